import type {
  AudioChunk, CameraFrame, GnssFix, ImageEncoding, Modality, PointCloud, PointField, PointFieldType, RadarScan, SensorFrame,
} from '../engine/core/frames.js';
import { loadProtos } from '../engine/core/proto.js';
import { SCHEMA_OF_MODALITY } from './topics.js';
import { nanosToSecNsec, secNsecToNanos, toBigInt, type Nanos } from '../engine/core/time.js';

/**
 * Sensor frames ⇄ MCAP message payloads (protobuf). The stamp travels in the message and as the
 * MCAP log time; receivedAt is the MCAP publish time; seq is the MCAP sequence number.
 */

// foxglove.PackedElementField.NumericType
const NUMERIC_TYPE: Record<PointFieldType, number> = {
  uint8: 1, int8: 2, uint16: 3, int16: 4, uint32: 5, int32: 6, float32: 7, float64: 8,
};
const TYPE_OF_NUMERIC = Object.fromEntries(Object.entries(NUMERIC_TYPE).map(([k, v]) => [v, k])) as Record<number, PointFieldType>;
export const FIELD_BYTES: Record<PointFieldType, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8,
};

const COMPRESSED_FORMATS = new Set<ImageEncoding>(['jpeg', 'png']);

function timestamp(ns: Nanos): { seconds: number; nanos: number } {
  const { sec, nsec } = nanosToSecNsec(ns);
  return { seconds: sec, nanos: nsec };
}

export class FrameDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameDecodeError';
  }
}

export function encodeFrame(frame: SensorFrame): Uint8Array {
  const protos = loadProtos();
  switch (frame.modality) {
    case 'camera': {
      if (!COMPRESSED_FORMATS.has(frame.encoding)) throw new TypeError(`camera ${frame.sensorId}: only jpeg and png frames are stored in scenarios, got ${frame.encoding}`);
      const t = protos.type('foxglove.CompressedImage');
      return t.encode({ timestamp: timestamp(frame.stamp), frame_id: frame.frameId, data: frame.data, format: frame.encoding }).finish();
    }
    case 'lidar': {
      const t = protos.type('foxglove.PointCloud');
      return t.encode({
        timestamp: timestamp(frame.stamp),
        frame_id: frame.frameId,
        pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        point_stride: frame.stride,
        fields: frame.fields.map((f) => ({ name: f.name, offset: f.offset, type: NUMERIC_TYPE[f.type] })),
        data: frame.data.subarray(0, frame.count * frame.stride),
      }).finish();
    }
    case 'radar': {
      const t = protos.type('percept.RadarScan');
      return t.encode({ stamp_ns: frame.stamp.toString(), frame_id: frame.frameId, targets: frame.targets }).finish();
    }
    case 'gnss': {
      const t = protos.type('foxglove.LocationFix');
      const known = frame.covariance.every(Number.isFinite);
      const track = (frame.track * Math.PI) / 180;
      const heading = Number.isFinite(frame.heading) ? (frame.heading * Math.PI) / 180 : undefined;
      return t.encode({
        timestamp: timestamp(frame.stamp),
        frame_id: frame.frameId,
        latitude: frame.latitude,
        longitude: frame.longitude,
        // Foxglove's altitude is ellipsoidal, as in ROS NavSatFix.
        altitude: frame.altitudeMsl + frame.geoidSeparation,
        position_covariance: known ? frame.covariance : [0, 0, 0, 0, 0, 0, 0, 0, 0],
        position_covariance_type: known ? 3 : 0,
        heading,
        velocity: Number.isFinite(frame.speed) && Number.isFinite(track)
          ? { x: frame.speed * Math.sin(track), y: frame.speed * Math.cos(track), z: 0 }
          : undefined,
        metadata: [
          { key: 'fix_type', value: frame.fixType },
          { key: 'satellites', value: String(frame.satellites) },
          { key: 'hdop', value: String(frame.hdop) },
          { key: 'geoid_separation', value: String(frame.geoidSeparation) },
          { key: 'speed', value: String(frame.speed) },
          { key: 'track', value: String(frame.track) },
        ],
      }).finish();
    }
    case 'audio': {
      const t = protos.type('percept.AudioChunk');
      const pcm = new Int16Array(frame.samples.length);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(frame.samples[i] * 32768)));
      return t.encode({
        stamp_ns: frame.stamp.toString(),
        frame_id: frame.frameId,
        sample_rate: frame.sampleRate,
        channels: frame.channels,
        pcm_s16le: new Uint8Array(pcm.buffer),
      }).finish();
    }
  }
}

export interface MessageContext {
  sensorId: string;
  modality: Modality;
  logTime: Nanos;
  publishTime: Nanos;
  sequence: number;
}

/** Decodes one scenario message into a frame; throws FrameDecodeError on bytes that do not fit the schema. */
export function decodeFrame(data: Uint8Array, ctx: MessageContext): SensorFrame {
  const protos = loadProtos();
  const base = { sensorId: ctx.sensorId, receivedAt: ctx.publishTime, seq: ctx.sequence };
  let msg: Record<string, any>;
  try {
    msg = protos.type(SCHEMA_OF_MODALITY[ctx.modality]).decode(data) as unknown as Record<string, any>;
  } catch (err) {
    throw new FrameDecodeError(`${ctx.sensorId}: ${(err as Error).message}`);
  }
  switch (ctx.modality) {
    case 'camera': {
      const format = String(msg.format ?? '').toLowerCase();
      const encoding = format === 'jpg' ? 'jpeg' : format;
      if (!COMPRESSED_FORMATS.has(encoding as ImageEncoding)) throw new FrameDecodeError(`${ctx.sensorId}: unsupported image format "${format}"`);
      const frame: CameraFrame = {
        ...base, modality: 'camera', frameId: msg.frame_id, stamp: stampOf(msg.timestamp, ctx.logTime),
        encoding: encoding as ImageEncoding, width: 0, height: 0, data: msg.data,
      };
      return frame;
    }
    case 'lidar': {
      const stride: number = msg.point_stride;
      if (!stride) throw new FrameDecodeError(`${ctx.sensorId}: point_stride is 0`);
      const fields: PointField[] = (msg.fields ?? []).map((f: { name: string; offset: number; type: number }) => {
        const type = TYPE_OF_NUMERIC[f.type];
        if (!type) throw new FrameDecodeError(`${ctx.sensorId}: field ${f.name} has unknown numeric type ${f.type}`);
        if (f.offset + FIELD_BYTES[type] > stride) throw new FrameDecodeError(`${ctx.sensorId}: field ${f.name} ends past the point stride`);
        return { name: f.name, offset: f.offset, type };
      });
      const bytes: Uint8Array = msg.data;
      if (bytes.length % stride !== 0) throw new FrameDecodeError(`${ctx.sensorId}: ${bytes.length} data bytes is not a multiple of the stride ${stride}`);
      // Keep the points 4-byte aligned so typed-array views need no copy downstream.
      const data = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      const frame: PointCloud = {
        ...base, modality: 'lidar', frameId: msg.frame_id, stamp: stampOf(msg.timestamp, ctx.logTime),
        fields, stride, count: bytes.length / stride, data,
      };
      return frame;
    }
    case 'radar': {
      const frame: RadarScan = {
        ...base, modality: 'radar', frameId: msg.frame_id, stamp: toBigInt(msg.stamp_ns ?? 0) || ctx.logTime,
        targets: (msg.targets ?? []).map((t: Record<string, number>) => ({
          x: t.x ?? 0, y: t.y ?? 0, z: t.z ?? 0, doppler: t.doppler ?? 0, rcs: t.rcs ?? 0, snr: t.snr ?? 0,
        })),
      };
      return frame;
    }
    case 'gnss': {
      const meta = new Map<string, string>((msg.metadata ?? []).map((kv: { key: string; value: string }) => [kv.key, kv.value]));
      const num = (key: string): number => (meta.has(key) ? Number(meta.get(key)) : NaN);
      const geoid = num('geoid_separation');
      const cov: number[] = msg.position_covariance_type ? Array.from(msg.position_covariance as number[]) : new Array(9).fill(NaN);
      let speed = num('speed');
      let track = num('track');
      if (!Number.isFinite(speed) && msg.velocity) {
        speed = Math.hypot(msg.velocity.x, msg.velocity.y);
        track = ((Math.atan2(msg.velocity.x, msg.velocity.y) * 180) / Math.PI + 360) % 360;
      }
      const frame: GnssFix = {
        ...base, modality: 'gnss', frameId: msg.frame_id, stamp: stampOf(msg.timestamp, ctx.logTime),
        fixType: (meta.get('fix_type') as GnssFix['fixType']) ?? '3d',
        latitude: msg.latitude, longitude: msg.longitude,
        altitudeMsl: msg.altitude - (Number.isFinite(geoid) ? geoid : 0),
        geoidSeparation: Number.isFinite(geoid) ? geoid : 0,
        satellites: num('satellites') || 0,
        hdop: num('hdop'),
        speed, track,
        heading: msg.heading !== undefined && msg.heading !== null ? (msg.heading * 180) / Math.PI : NaN,
        covariance: cov,
      };
      return frame;
    }
    case 'audio': {
      const pcm: Uint8Array = msg.pcm_s16le;
      if (pcm.length % 2 !== 0) throw new FrameDecodeError(`${ctx.sensorId}: odd number of PCM bytes`);
      const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      const samples = new Float32Array(pcm.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 32768;
      if (!msg.sample_rate || !msg.channels) throw new FrameDecodeError(`${ctx.sensorId}: sample_rate and channels must be positive`);
      const frame: AudioChunk = {
        ...base, modality: 'audio', frameId: msg.frame_id, stamp: toBigInt(msg.stamp_ns ?? 0) || ctx.logTime,
        sampleRate: msg.sample_rate, channels: msg.channels, samples,
      };
      return frame;
    }
  }
}

function stampOf(ts: { seconds?: unknown; nanos?: number } | undefined, fallback: Nanos): Nanos {
  if (!ts) return fallback;
  return secNsecToNanos(ts as Parameters<typeof secNsecToNanos>[0]);
}

