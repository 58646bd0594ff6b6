import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import * as zstd from '@foxglove/wasm-zstd';
import type { Modality, SensorFrame } from '../../engine/core/frames.js';
import { loadProtos } from '../../engine/core/proto.js';
import { toBigInt, type Nanos } from '../../engine/core/time.js';
import { decodeFrame } from '../frame-codec.js';
import { GROUND_TRUTH_TOPIC } from '../topics.js';
import type { EgoPose, GroundTruthObject } from '../scenario-writer.js';

/**
 * For the generator's tests: reads a generated file back with @mcap/core and the frame codec
 * alone, so the tests check the file itself rather than percept's own reader.
 */
export interface ReadBack {
  frames: SensorFrame[];
  groundTruth: { stamp: Nanos; ego: EgoPose; objects: GroundTruthObject[] }[];
  topics: string[];
  logTimes: Nanos[];
}

export async function readGenerated(path: string, modalityOf: Record<string, Modality>): Promise<ReadBack> {
  await zstd.isLoaded;
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: { zstd: (data, size) => zstd.decompress(data, Number(size)) },
    });
    const out: ReadBack = { frames: [], groundTruth: [], topics: [], logTimes: [] };
    const gtType = loadProtos().type('percept.GroundTruth');
    for await (const msg of reader.readMessages()) {
      const topic = reader.channelsById.get(msg.channelId)!.topic;
      out.topics.push(topic);
      out.logTimes.push(msg.logTime);
      if (topic === GROUND_TRUTH_TOPIC) {
        const gt = gtType.toObject(gtType.decode(msg.data), { longs: String, defaults: true }) as Record<string, any>;
        out.groundTruth.push({
          stamp: toBigInt(gt.stamp_ns),
          ego: gt.ego,
          objects: gt.objects.map((o: Record<string, any>) => ({ ...o, lidarPoints: o.lidar_points })),
        });
        continue;
      }
      const sensorId = topic.split('/')[1];
      const modality = modalityOf[sensorId];
      if (!modality || topic.endsWith('/camera_info') || topic === '/tf_static') continue;
      out.frames.push(decodeFrame(msg.data, { sensorId, modality, logTime: msg.logTime, publishTime: msg.publishTime, sequence: msg.sequence }));
    }
    return out;
  } finally {
    await handle.close();
  }
}
