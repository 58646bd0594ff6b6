import type { PointCloud, PointField } from '../core/frames.js';
import { quatToMatrix3, type Transform, type Vec3 } from '../core/geometry.js';
import type { Nanos } from '../core/time.js';

/** The sensor's motion as a constant twist over the sweep, in the LiDAR frame at the reference stamp. */
export interface Twist {
  /** Velocity of the sensor, m/s, in its own (moving) frame. */
  readonly velocity: Vec3;
  /** Turn rate about the sensor's z axis, rad/s, counter-clockwise seen from above. */
  readonly yawRate: number;
}

/**
 * For t seconds after the cloud's stamp (negative: before), the transform that maps points from the
 * sensor's frame at that instant into its frame at the stamp.
 */
export type MotionAt = (t: number) => Transform;

/** Per-point time from azimuth, for a rotating LiDAR without a per-point time field. */
export interface SweepGeometry {
  /** One revolution, ns. */
  readonly durationNs: Nanos;
  /** Seen from above: 'cw' when azimuth falls as the head turns (Velodyne, Ouster), else 'ccw'. */
  readonly direction: 'cw' | 'ccw';
  /** Azimuth, rad from +x towards +y, the head faced at the cloud's stamp (default 0: forward). */
  readonly referenceAzimuth?: number;
  /**
   * Where the stamp falls in the sweep, from 0 (its start) to 1 (its end); default 0.5, the middle,
   * as KITTI stamps its sweeps: with start and end stamps it is (stamp − start) / (end − start).
   */
  readonly referenceFraction?: number;
}

export interface DeskewOptions {
  /**
   * The per-point time field (default 't'). Float fields are seconds and integer fields are
   * nanoseconds unless `pointTimeUnit` says otherwise.
   */
  pointTimeField?: string;
  pointTimeUnit?: 's' | 'ns';
  /** When the field's zero falls, ns after the cloud's stamp (default 0; e.g. −sweep/2 for times from the sweep's start). */
  pointTimeBaseNs?: Nanos;
  /** Used when the cloud has no time field: each point's time from its azimuth. */
  sweep?: SweepGeometry;
  motion: Twist | MotionAt;
  /** For a MotionAt, how many instants across the points' time span it is sampled at (default 64). */
  motionSamples?: number;
}

/**
 * A new cloud (same fields, stride and count; other fields copied) with every point moved to where
 * the sensor would have seen it from its pose at the cloud's stamp. x, y and z must be float32.
 * Throws a TypeError for a cloud or options it cannot handle: a stage that runs it on a stream
 * catches and counts that.
 */
export function deskewPointCloud(cloud: PointCloud, options: DeskewOptions): PointCloud {
  const { count, stride } = cloud;
  const need = count * stride;
  if (cloud.data.byteLength < need) {
    throw new TypeError(`point cloud of ${cloud.sensorId} declares ${count} points of ${stride} bytes but holds ${cloud.data.byteLength} bytes`);
  }
  const fx = float32Field(cloud, 'x');
  const fy = float32Field(cloud, 'y');
  const fz = float32Field(cloud, 'z');
  // A fresh copy is aligned at offset 0, so a Float32Array can view it whenever the layout allows.
  const data = cloud.data.slice(0, need);
  const out: PointCloud = { ...cloud, data };
  if (count === 0) return out;

  const aligned = stride % 4 === 0 && fx.offset % 4 === 0 && fy.offset % 4 === 0 && fz.offset % 4 === 0;
  let xyz: Float32Array;
  let strideFloats: number;
  let ox: number, oy: number, oz: number;
  if (aligned) {
    xyz = new Float32Array(data.buffer, 0, need / 4);
    strideFloats = stride / 4;
    ox = fx.offset / 4;
    oy = fy.offset / 4;
    oz = fz.offset / 4;
  } else {
    xyz = gatherXyz(data, count, stride, fx.offset, fy.offset, fz.offset);
    strideFloats = 3;
    ox = 0;
    oy = 1;
    oz = 2;
  }

  const times = pointTimes(cloud, data, xyz, strideFloats, ox, oy, options);
  if (typeof options.motion === 'function') applySampledMotion(xyz, strideFloats, ox, oy, oz, times, count, options.motion, options.motionSamples ?? 64);
  else applyTwist(xyz, strideFloats, ox, oy, oz, times, count, options.motion);

  if (!aligned) scatterXyz(xyz, data, count, stride, fx.offset, fy.offset, fz.offset);
  return out;
}

function float32Field(cloud: PointCloud, name: string): PointField {
  const field = cloud.fields.find((f) => f.name === name);
  if (!field) throw new TypeError(`point cloud of ${cloud.sensorId} has no ${name} field`);
  if (field.type !== 'float32') throw new TypeError(`point cloud of ${cloud.sensorId}: field ${name} is ${field.type}, de-skew needs float32`);
  if (field.offset < 0 || field.offset + 4 > cloud.stride) throw new TypeError(`point cloud of ${cloud.sensorId}: field ${name} lies outside the stride`);
  return field;
}

/** Each point's time, seconds after the cloud's stamp. */
function pointTimes(
  cloud: PointCloud, data: Uint8Array, xyz: Float32Array, strideFloats: number, ox: number, oy: number, options: DeskewOptions,
): Float64Array {
  const { count, stride } = cloud;
  const times = new Float64Array(count);
  const name = options.pointTimeField ?? 't';
  const field = cloud.fields.find((f) => f.name === name);
  if (field) {
    const size = FIELD_SIZES[field.type];
    if (field.offset < 0 || field.offset + size > stride) throw new TypeError(`point cloud of ${cloud.sensorId}: field ${name} lies outside the stride`);
    const isFloat = field.type === 'float32' || field.type === 'float64';
    const unit = options.pointTimeUnit ?? (isFloat ? 's' : 'ns');
    const scale = unit === 's' ? 1 : 1e-9;
    const base = Number(options.pointTimeBaseNs ?? 0n) / 1e9;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const read = FIELD_READERS[field.type];
    for (let i = 0, at = field.offset; i < count; i++, at += stride) times[i] = base + read(view, at) * scale;
    return times;
  }
  const sweep = options.sweep;
  if (!sweep) {
    throw new TypeError(`point cloud of ${cloud.sensorId} has no ${name} field and no sweep geometry to derive point times from`);
  }
  if (sweep.durationNs <= 0n) throw new TypeError(`sweep duration must be positive, got ${sweep.durationNs}`);
  const fraction = sweep.referenceFraction ?? 0.5;
  if (!(fraction >= 0 && fraction <= 1)) throw new TypeError(`sweep referenceFraction must be in [0, 1], got ${fraction}`);
  const reference = sweep.referenceAzimuth ?? 0;
  const sign = sweep.direction === 'cw' ? -1 : 1;
  const duration = Number(sweep.durationNs) / 1e9;
  const twoPi = 2 * Math.PI;
  // Angles swept after the stamp lie in [−fraction, 1 − fraction) turns.
  const low = -fraction * twoPi;
  for (let i = 0, k = 0; i < count; i++, k += strideFloats) {
    let swept = sign * (Math.atan2(xyz[k + oy], xyz[k + ox]) - reference);
    swept -= twoPi * Math.floor((swept - low) / twoPi);
    times[i] = (swept / twoPi) * duration;
  }
  return times;
}

/**
 * Exact constant twist: after t seconds the sensor has turned by ωt and moved by ∫R(ωτ)v dτ, whose
 * planar part is [[sin ωt, cos ωt − 1], [1 − cos ωt, sin ωt]]·v/ω.
 */
function applyTwist(xyz: Float32Array, strideFloats: number, ox: number, oy: number, oz: number, times: Float64Array, count: number, twist: Twist): void {
  const { x: vx, y: vy, z: vz } = twist.velocity;
  const w = twist.yawRate;
  if (![vx, vy, vz, w].every(Number.isFinite)) throw new TypeError('de-skew motion must be finite');
  for (let i = 0, k = 0; i < count; i++, k += strideFloats) {
    const t = times[i];
    const a = w * t;
    const c = Math.cos(a);
    const s = Math.sin(a);
    let sOverW: number, oneMinusCOverW: number;
    if (Math.abs(a) < 1e-4) {
      // Series: sin(a)/ω and (1 − cos a)/ω lose digits to cancellation as ω → 0.
      sOverW = t * (1 - (a * a) / 6);
      oneMinusCOverW = t * (a / 2) * (1 - (a * a) / 12);
    } else {
      sOverW = s / w;
      oneMinusCOverW = (1 - c) / w;
    }
    const tx = sOverW * vx - oneMinusCOverW * vy;
    const ty = oneMinusCOverW * vx + sOverW * vy;
    const px = xyz[k + ox];
    const py = xyz[k + oy];
    xyz[k + ox] = c * px - s * py + tx;
    xyz[k + oy] = s * px + c * py + ty;
    xyz[k + oz] += vz * t;
  }
}

/** A MotionAt sampled at evenly spaced instants over the points' span; between them the 3×4 matrices are interpolated linearly. */
function applySampledMotion(
  xyz: Float32Array, strideFloats: number, ox: number, oy: number, oz: number, times: Float64Array, count: number, motion: MotionAt, samples: number,
): void {
  let t0 = Infinity, t1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const t = times[i];
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) throw new TypeError('point times must be finite');
  const knots = t1 > t0 ? Math.max(2, Math.floor(samples)) : 1;
  const step = knots > 1 ? (t1 - t0) / (knots - 1) : 0;
  const m = new Float64Array(knots * 12);
  for (let j = 0; j < knots; j++) {
    const tf = motion(t0 + j * step);
    const r = quatToMatrix3(tf.rotation);
    const o = j * 12;
    m[o] = r[0]; m[o + 1] = r[1]; m[o + 2] = r[2]; m[o + 3] = tf.translation.x;
    m[o + 4] = r[3]; m[o + 5] = r[4]; m[o + 6] = r[5]; m[o + 7] = tf.translation.y;
    m[o + 8] = r[6]; m[o + 9] = r[7]; m[o + 10] = r[8]; m[o + 11] = tf.translation.z;
  }
  if (!m.every(Number.isFinite)) throw new TypeError('de-skew motion gave a non-finite transform');
  for (let i = 0, k = 0; i < count; i++, k += strideFloats) {
    let a = 0, u = 0;
    if (knots > 1) {
      const f = (times[i] - t0) / step;
      a = Math.min(knots - 2, Math.floor(f));
      u = f - a;
    }
    const p = a * 12;
    const q = knots > 1 ? p + 12 : p;
    const px = xyz[k + ox], py = xyz[k + oy], pz = xyz[k + oz];
    // Row by row, each entry m[p + n] + (m[q + n] − m[p + n])·u, written out so no closure runs per point.
    const v = 1 - u;
    xyz[k + ox] = (v * m[p] + u * m[q]) * px + (v * m[p + 1] + u * m[q + 1]) * py + (v * m[p + 2] + u * m[q + 2]) * pz + (v * m[p + 3] + u * m[q + 3]);
    xyz[k + oy] = (v * m[p + 4] + u * m[q + 4]) * px + (v * m[p + 5] + u * m[q + 5]) * py + (v * m[p + 6] + u * m[q + 6]) * pz + (v * m[p + 7] + u * m[q + 7]);
    xyz[k + oz] = (v * m[p + 8] + u * m[q + 8]) * px + (v * m[p + 9] + u * m[q + 9]) * py + (v * m[p + 10] + u * m[q + 10]) * pz + (v * m[p + 11] + u * m[q + 11]);
  }
}

function gatherXyz(data: Uint8Array, count: number, stride: number, ox: number, oy: number, oz: number): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const xyz = new Float32Array(count * 3);
  for (let i = 0, at = 0; i < count; i++, at += stride) {
    xyz[3 * i] = view.getFloat32(at + ox, true);
    xyz[3 * i + 1] = view.getFloat32(at + oy, true);
    xyz[3 * i + 2] = view.getFloat32(at + oz, true);
  }
  return xyz;
}

function scatterXyz(xyz: Float32Array, data: Uint8Array, count: number, stride: number, ox: number, oy: number, oz: number): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0, at = 0; i < count; i++, at += stride) {
    view.setFloat32(at + ox, xyz[3 * i], true);
    view.setFloat32(at + oy, xyz[3 * i + 1], true);
    view.setFloat32(at + oz, xyz[3 * i + 2], true);
  }
}

const FIELD_SIZES: Record<PointField['type'], number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

const FIELD_READERS: Record<PointField['type'], (view: DataView, at: number) => number> = {
  int8: (v, at) => v.getInt8(at),
  uint8: (v, at) => v.getUint8(at),
  int16: (v, at) => v.getInt16(at, true),
  uint16: (v, at) => v.getUint16(at, true),
  int32: (v, at) => v.getInt32(at, true),
  uint32: (v, at) => v.getUint32(at, true),
  float32: (v, at) => v.getFloat32(at, true),
  float64: (v, at) => v.getFloat64(at, true),
};
