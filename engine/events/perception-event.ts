import type { Nanos } from '../core/time.js';

/** The engine's output, mirroring percept.PerceptionEvent in proto/percept.proto. */
export interface EgoPose {
  /** Local ENU position relative to the first fix, metres; yaw from east, counter-clockwise, radians. */
  position: { x: number; y: number; z: number };
  yaw: number;
  latitude: number;
  longitude: number;
  altitude: number;
  speed: number;
}

export interface FrameRef {
  sensorId: string;
  stamp: Nanos;
  seq: number;
}

export interface StageLatency {
  syncMs: number;
  encodeMs: number;
  fuseMs: number;
  publishMs: number;
  totalMs: number;
}

export type HealthState = 'ok' | 'late' | 'silent' | 'disconnected';

export interface SensorHealth {
  sensorId: string;
  state: HealthState;
  frames: number;
  errors: number;
}

export interface DetectedObject {
  id: number;
  label: string;
  score: number;
  /** Where the label comes from: a camera detector, the cluster's shape, radar alone. */
  classSource?: 'camera' | 'shape' | 'radar';
  position: { x: number; y: number; z: number };
  size: { x: number; y: number; z: number };
  yaw: number;
  velocity: { x: number; y: number; z: number };
  latitude: number;
  longitude: number;
  covariance: number[];
  ageS: number;
  sources: string[];
}

export interface AudioEvent {
  sensorId: string;
  start: Nanos;
  end: Nanos;
  label: string;
  score: number;
}

/** An object found in one camera image, in pixels of that image as received. */
export interface Detection2D {
  sensorId: string;
  classId: number;
  /** Class name from the model's label list (e.g. COCO's). */
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in pixels of the original image. */
  box: [number, number, number, number];
  /** The encoder that produced it. */
  encoder: string;
}

export interface PerceptionEvent {
  seq: number;
  stamp: Nanos;
  ego?: EgoPose;
  objects: DetectedObject[];
  audio: AudioEvent[];
  latency: StageLatency;
  health: SensorHealth[];
  frames: FrameRef[];
  missing: string[];
  /** Camera detections of the set, by encoder, then camera, then as the detector ranked them; empty without a detector. */
  detections: Detection2D[];
}

/** The proto3-JSON-compatible object protobufjs encodes (int64 as strings). */
export function eventToProtoObject(e: PerceptionEvent): Record<string, unknown> {
  return {
    seq: e.seq,
    stamp_ns: e.stamp.toString(),
    ego: e.ego,
    objects: e.objects.map((o) => ({
      id: o.id, label: o.label, score: o.score, position: o.position, size: o.size, yaw: o.yaw, velocity: o.velocity,
      latitude: o.latitude, longitude: o.longitude, covariance: o.covariance, age_s: o.ageS, sources: o.sources,
      class_source: o.classSource ?? '',
    })),
    audio: e.audio.map((a) => ({ sensor_id: a.sensorId, start_ns: a.start.toString(), end_ns: a.end.toString(), label: a.label, score: a.score })),
    latency: { sync_ms: e.latency.syncMs, encode_ms: e.latency.encodeMs, fuse_ms: e.latency.fuseMs, publish_ms: e.latency.publishMs, total_ms: e.latency.totalMs },
    health: e.health.map((h) => ({ sensor_id: h.sensorId, state: h.state.toUpperCase(), frames: h.frames, errors: h.errors })),
    frames: e.frames.map((f) => ({ sensor_id: f.sensorId, stamp_ns: f.stamp.toString(), seq: f.seq })),
    missing: e.missing,
    detections: e.detections.map((d) => ({
      sensor_id: d.sensorId, encoder: d.encoder, label: d.label, class_id: d.classId, score: d.score,
      x1: d.box[0], y1: d.box[1], x2: d.box[2], y2: d.box[3],
    })),
  };
}

/** Everything but wall-clock measurements: what must be identical between two replays of one scenario. */
export function deterministicView(e: PerceptionEvent): Omit<PerceptionEvent, 'latency'> {
  const { latency: _latency, ...rest } = e;
  return rest;
}
