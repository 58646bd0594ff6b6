import { open, type FileHandle } from 'node:fs/promises';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import * as zstd from '@foxglove/wasm-zstd';
import type { Modality, SensorFrame } from '../engine/core/frames.js';
import type { RigInput, Rig } from '../engine/config/rig-schema.js';
import { sensorCameraModel, sensorExtrinsic, sensorFrameId } from '../engine/config/load-rig.js';
import { cameraMatrix } from '../engine/core/geometry.js';
import { loadProtos } from '../engine/core/proto.js';
import { nanosToSecNsec, type Nanos } from '../engine/core/time.js';
import { encodeFrame } from './frame-codec.js';
import { eventToProtoObject, type EgoPose, type PerceptionEvent } from '../engine/events/perception-event.js';
import {
  CALIBRATION_SCHEMA, CALIBRATION_TOPIC, EVENT_SCHEMA, EVENTS_TOPIC, CAMERA_INFO_SCHEMA, GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TOPIC, RIG_METADATA,
  SCENARIO_METADATA, SCHEMA_OF_MODALITY, cameraInfoTopic, sensorTopic,
} from './topics.js';

export type { EgoPose };

export interface GroundTruthObject {
  id: number;
  label: string;
  position: { x: number; y: number; z: number };
  size: { x: number; y: number; z: number };
  yaw: number;
  velocity: { x: number; y: number; z: number };
  lidarPoints?: number;
}


export interface ScenarioWriterOptions {
  /** The rig as written: it is stored verbatim in the file's metadata. */
  rig: RigInput;
  /** The validated rig, for topics, calibration and modalities. */
  validRig: Rig;
  /** Free-form facts about how the scenario was made (preset, seed, source dataset). */
  info?: Record<string, string>;
  /** zstd level for chunks; 3 balances size against write time. */
  zstdLevel?: number;
  chunkSize?: number;
}

/** Writes a scenario: an indexed MCAP file with zstd chunks, the rig as metadata, calibration first. */
export class ScenarioWriter {
  readonly #writer: McapWriter;
  readonly #handle: FileHandle;
  readonly #rig: Rig;
  readonly #schemaIds = new Map<string, number>();
  readonly #channelIds = new Map<string, number>();
  readonly #sequences = new Map<number, number>();

  private constructor(handle: FileHandle, writer: McapWriter, rig: Rig) {
    this.#handle = handle;
    this.#writer = writer;
    this.#rig = rig;
  }

  static async create(path: string, options: ScenarioWriterOptions): Promise<ScenarioWriter> {
    await zstd.isLoaded;
    const level = options.zstdLevel ?? 3;
    const handle = await open(path, 'w');
    const writer = new McapWriter({
      writable: new FileHandleWritable(handle),
      useChunks: true,
      chunkSize: options.chunkSize ?? 4 * 1024 * 1024,
      compressChunk: (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, level) }),
    });
    await writer.start({ profile: '', library: 'percept' });
    await writer.addMetadata({ name: RIG_METADATA, metadata: new Map([['rig', JSON.stringify(options.rig)]]) });
    if (options.info) await writer.addMetadata({ name: SCENARIO_METADATA, metadata: new Map(Object.entries(options.info)) });
    return new ScenarioWriter(handle, writer, options.validRig);
  }

  async #channel(topic: string, schemaName: string): Promise<number> {
    let id = this.#channelIds.get(topic);
    if (id !== undefined) return id;
    let schemaId = this.#schemaIds.get(schemaName);
    if (schemaId === undefined) {
      schemaId = await this.#writer.registerSchema({ name: schemaName, encoding: 'protobuf', data: loadProtos().descriptorSet(schemaName) });
      this.#schemaIds.set(schemaName, schemaId);
    }
    id = await this.#writer.registerChannel({ topic, schemaId, messageEncoding: 'protobuf', metadata: new Map() });
    this.#channelIds.set(topic, id);
    return id;
  }

  async #add(topic: string, schemaName: string, logTime: Nanos, publishTime: Nanos, data: Uint8Array, sequence?: number): Promise<void> {
    const channelId = await this.#channel(topic, schemaName);
    const seq = sequence ?? this.#sequences.get(channelId) ?? 0;
    this.#sequences.set(channelId, seq + 1);
    await this.#writer.addMessage({ channelId, sequence: seq, logTime, publishTime, data });
  }

  /** One foxglove.FrameTransform per sensor (base_link → sensor frame) and a CameraCalibration per camera. */
  async writeCalibration(stamp: Nanos): Promise<void> {
    const protos = loadProtos();
    const { sec, nsec } = nanosToSecNsec(stamp);
    const timestamp = { seconds: sec, nanos: nsec };
    for (const sensor of this.#rig.sensors) {
      const t = sensorExtrinsic(sensor);
      const tf = protos.type(CALIBRATION_SCHEMA).encode({
        timestamp, parent_frame_id: 'base_link', child_frame_id: sensorFrameId(sensor),
        translation: t.translation, rotation: t.rotation,
      }).finish();
      await this.#add(CALIBRATION_TOPIC, CALIBRATION_SCHEMA, stamp, stamp, tf);
      const cam = sensorCameraModel(sensor);
      if (!cam) continue;
      const k = cameraMatrix(cam);
      const info = protos.type(CAMERA_INFO_SCHEMA).encode({
        timestamp, frame_id: sensorFrameId(sensor), width: cam.width, height: cam.height,
        distortion_model: cam.distortionModel === 'plumb_bob' ? 'plumb_bob' : '',
        D: cam.distortion, K: k, R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        P: [k[0], k[1], k[2], 0, k[3], k[4], k[5], 0, k[6], k[7], k[8], 0],
      }).finish();
      await this.#add(cameraInfoTopic(sensor.id), CAMERA_INFO_SCHEMA, stamp, stamp, info);
    }
  }

  /** Writes a frame on its sensor's topic; the sensor must be in the rig. */
  async writeFrame(frame: SensorFrame): Promise<void> {
    const sensor = this.#rig.sensors.find((s) => s.id === frame.sensorId);
    if (!sensor) throw new Error(`sensor ${frame.sensorId} is not in the rig`);
    if (sensor.modality !== frame.modality) throw new Error(`sensor ${frame.sensorId} is a ${sensor.modality}, not a ${frame.modality}`);
    await this.#add(sensorTopic(sensor), SCHEMA_OF_MODALITY[frame.modality as Modality], frame.stamp, frame.receivedAt, encodeFrame(frame), frame.seq);
  }

  async writeGroundTruth(stamp: Nanos, ego: EgoPose | undefined, objects: readonly GroundTruthObject[]): Promise<void> {
    const data = loadProtos().type(GROUND_TRUTH_SCHEMA).encode({
      stamp_ns: stamp.toString(),
      ego,
      objects: objects.map((o) => ({ id: o.id, label: o.label, position: o.position, size: o.size, yaw: o.yaw, velocity: o.velocity, lidar_points: o.lidarPoints ?? 0 })),
    }).finish();
    await this.#add(GROUND_TRUTH_TOPIC, GROUND_TRUTH_SCHEMA, stamp, stamp, data);
  }

  /** A PerceptionEvent on /percept/events, logged at its stamp. */
  async writeEvent(event: PerceptionEvent, publishTime: Nanos): Promise<void> {
    const type = loadProtos().type(EVENT_SCHEMA);
    await this.#add(EVENTS_TOPIC, EVENT_SCHEMA, event.stamp, publishTime, type.encode(type.fromObject(eventToProtoObject(event))).finish(), event.seq);
  }

  async close(): Promise<void> {
    await this.#writer.end();
    await this.#handle.close();
  }
}
