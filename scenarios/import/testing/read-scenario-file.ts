import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import type { RigInput } from '../../../engine/config/rig-schema.js';
import type { Modality, SensorFrame } from '../../../engine/core/frames.js';
import { loadProtos } from '../../../engine/core/proto.js';
import { decodeFrame } from '../../frame-codec.js';
import { CALIBRATION_TOPIC, GROUND_TRUTH_TOPIC, RIG_METADATA, SCENARIO_METADATA, defaultSensorTopic } from '../../topics.js';

/** Everything an importer test checks, read back from a scenario file through the MCAP index. */
export interface ScenarioContents {
  rig: RigInput;
  info: Record<string, string>;
  framesBySensor: Map<string, SensorFrame[]>;
  groundTruth: { stamp: bigint; ego?: Record<string, unknown>; objects: Record<string, any>[] }[];
  calibration: Record<string, any>[];
}

/** For tests: reads a whole (small) scenario written by an importer. */
export async function readScenarioFile(path: string): Promise<ScenarioContents> {
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
    let rig: RigInput | undefined;
    let info: Record<string, string> = {};
    for await (const m of reader.readMetadata()) {
      if (m.name === RIG_METADATA) rig = JSON.parse(m.metadata.get('rig') ?? 'null') as RigInput;
      if (m.name === SCENARIO_METADATA) info = Object.fromEntries(m.metadata);
    }
    if (!rig) throw new Error(`${path}: no rig metadata`);
    const sensorOfTopic = new Map(rig.sensors.map((s) => [defaultSensorTopic(s.id, s.modality as Modality), s]));
    const protos = loadProtos();
    const contents: ScenarioContents = { rig, info, framesBySensor: new Map(), groundTruth: [], calibration: [] };
    for await (const msg of reader.readMessages()) {
      const topic = reader.channelsById.get(msg.channelId)!.topic;
      const sensor = sensorOfTopic.get(topic);
      if (sensor) {
        const frame = decodeFrame(msg.data, {
          sensorId: sensor.id, modality: sensor.modality as Modality, logTime: msg.logTime, publishTime: msg.publishTime, sequence: msg.sequence,
        });
        const list = contents.framesBySensor.get(sensor.id) ?? [];
        list.push(frame);
        contents.framesBySensor.set(sensor.id, list);
      } else if (topic === GROUND_TRUTH_TOPIC) {
        const gt = protos.type('percept.GroundTruth').toObject(protos.type('percept.GroundTruth').decode(msg.data), { longs: String, defaults: true });
        contents.groundTruth.push({ stamp: BigInt(gt.stamp_ns), ego: gt.ego, objects: gt.objects });
      } else if (topic === CALIBRATION_TOPIC) {
        contents.calibration.push(protos.type('foxglove.FrameTransform').toObject(protos.type('foxglove.FrameTransform').decode(msg.data), { defaults: true }));
      }
    }
    return contents;
  } finally {
    await handle.close();
  }
}
