import type { Nanos } from './time.js';

/** The five sensor modalities percept knows. */
export type Modality = 'camera' | 'lidar' | 'radar' | 'gnss' | 'audio';
export const MODALITIES: readonly Modality[] = ['camera', 'lidar', 'radar', 'gnss', 'audio'];

interface FrameBase {
  /** The rig's name for the sensor that produced the frame. */
  readonly sensorId: string;
  /** Coordinate frame of the data (the sensor's frame; its extrinsic maps it to base_link). */
  readonly frameId: string;
  /** When the sensor acquired the data, on the engine clock. */
  readonly stamp: Nanos;
  /** When the host received it. */
  readonly receivedAt: Nanos;
  /** Per-sensor sequence number, starting at 0. */
  readonly seq: number;
}

export type ImageEncoding = 'jpeg' | 'png' | 'rgb8' | 'bgr8' | 'mono8' | 'yuyv' | 'nv12';

export interface CameraFrame extends FrameBase {
  readonly modality: 'camera';
  /** Compressed formats keep the bytes as received; decoding is the encoder's job. */
  readonly encoding: ImageEncoding;
  /** Known for raw encodings; 0 for compressed frames until decoded. */
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type PointFieldType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface PointField {
  readonly name: string;
  /** Byte offset inside one point. */
  readonly offset: number;
  readonly type: PointFieldType;
}

export interface PointCloud extends FrameBase {
  readonly modality: 'lidar';
  /** Declared layout: `data` holds `count` points of `stride` bytes each. */
  readonly fields: readonly PointField[];
  readonly stride: number;
  readonly count: number;
  /** Raw point bytes; when every field is float32 and stride % 4 === 0, `floats` views the same memory. */
  readonly data: Uint8Array;
}

export interface RadarTarget {
  /** Position in the radar's frame, metres. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  /** Radial (Doppler) velocity, m/s, positive away from the sensor. */
  readonly doppler: number;
  /** Radar cross-section, dBsm. */
  readonly rcs: number;
  readonly snr: number;
}

export interface RadarScan extends FrameBase {
  readonly modality: 'radar';
  readonly targets: readonly RadarTarget[];
}

export type FixType = 'none' | '2d' | '3d' | 'dgps' | 'rtk-float' | 'rtk-fixed';

export interface GnssFix extends FrameBase {
  readonly modality: 'gnss';
  readonly fixType: FixType;
  /** WGS84 degrees. */
  readonly latitude: number;
  readonly longitude: number;
  /** Altitude above mean sea level, metres. */
  readonly altitudeMsl: number;
  /** Geoid separation (ellipsoid minus MSL), metres. */
  readonly geoidSeparation: number;
  readonly satellites: number;
  readonly hdop: number;
  /** Ground speed, m/s, and course over ground, degrees clockwise from true north (NaN when unknown). */
  readonly speed: number;
  readonly track: number;
  /** True heading, degrees (NaN when the receiver gives none). */
  readonly heading: number;
  /** ENU position covariance, m², row-major 3×3 (NaN-filled when unknown). */
  readonly covariance: readonly number[];
  /** Position and vertical dilution of precision (NMEA GSA), where the receiver reports them. */
  readonly pdop?: number;
  readonly vdop?: number;
}

export interface AudioChunk extends FrameBase {
  readonly modality: 'audio';
  readonly sampleRate: number;
  readonly channels: number;
  /** Interleaved samples, normalized to [-1, 1]. */
  readonly samples: Float32Array;
}

export type SensorFrame = CameraFrame | PointCloud | RadarScan | GnssFix | AudioChunk;

/** Frames chosen by a synchronization policy to describe one instant. */
export interface FrameSet {
  /** The reference stamp of the set (the pivot sensor's stamp). */
  readonly stamp: Nanos;
  readonly frames: ReadonlyMap<string, SensorFrame>;
  /** Sensors expected in the set but absent from it. */
  readonly missing: readonly string[];
  /** When the set was formed, on the engine clock. */
  readonly formedAt: Nanos;
  readonly seq: number;
}

/** A zero-copy Float32Array view of a point cloud whose fields are all float32. */
export function pointFloats(cloud: PointCloud): Float32Array {
  if (cloud.stride % 4 !== 0 || cloud.fields.some((f) => f.type !== 'float32')) {
    throw new TypeError(`point cloud of ${cloud.sensorId} is not all float32 with a stride divisible by 4`);
  }
  const { data } = cloud;
  // Checked here because an aligned view reads the underlying buffer, which may run past `data`.
  if (data.byteLength < cloud.count * cloud.stride) {
    throw new RangeError(`point cloud of ${cloud.sensorId} declares ${cloud.count} points of ${cloud.stride} bytes but holds ${data.byteLength} bytes`);
  }
  if (data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, (cloud.count * cloud.stride) / 4);
  return new Float32Array(data.slice().buffer, 0, (cloud.count * cloud.stride) / 4);
}

/** Float32 stride, in floats, of a point cloud whose fields are all float32. */
export function pointStrideFloats(cloud: PointCloud): number {
  return cloud.stride / 4;
}

export function fieldOffset(cloud: PointCloud, name: string): number | undefined {
  return cloud.fields.find((f) => f.name === name)?.offset;
}
