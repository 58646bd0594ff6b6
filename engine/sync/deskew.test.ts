import { describe, it, expect } from 'vitest';
import type { PointCloud, PointField } from '../core/frames.js';
import { quatFromYaw, type Transform, type Vec3 } from '../core/geometry.js';
import { deskewPointCloud, type MotionAt, type Twist } from './deskew.js';

const SWEEP_S = 0.1;
const WALL_X = 15;

interface SweepPoint {
  /** As measured, in the sensor's frame at its instant. */
  measured: Vec3;
  /** Seconds after the stamp. */
  t: number;
  /** Where it is in the sensor's frame at the stamp. */
  truth: Vec3;
}

/** Sensor position after t seconds of a constant twist, by Simpson's rule: independent of deskew's closed form. */
function positionAt(twist: Twist, t: number): Vec3 {
  const n = 200;
  let x = 0, y = 0;
  for (let i = 0; i <= n; i++) {
    const tau = (t * i) / n;
    const weight = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    const c = Math.cos(twist.yawRate * tau), s = Math.sin(twist.yawRate * tau);
    x += weight * (c * twist.velocity.x - s * twist.velocity.y);
    y += weight * (s * twist.velocity.x + c * twist.velocity.y);
  }
  return { x: (x * t) / (3 * n), y: (y * t) / (3 * n), z: twist.velocity.z * t };
}

function motionOf(twist: Twist): MotionAt {
  return (t: number): Transform => ({ translation: positionAt(twist, t), rotation: quatFromYaw(twist.yawRate * t) });
}

/**
 * A clockwise sweep stamped mid-way while the head faces +x, of a wall at x = 15 in the sensor's
 * frame at the stamp, seen from a sensor moving with `twist`. Each beam fires at the time its
 * azimuth implies, so a point's measured azimuth gives back its time.
 */
function sweepOfWall(twist: Twist): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (let j = -150; j <= 150; j++) {
    const az = (j * Math.PI) / 360; // ±75°, 0.5° apart
    const t = (-az / (2 * Math.PI)) * SWEEP_S; // clockwise: +az is seen before the stamp
    for (const el of [-0.2, -0.1, 0, 0.05]) {
      const d = { x: Math.cos(el) * Math.cos(az), y: Math.cos(el) * Math.sin(az), z: Math.sin(el) };
      const yaw = twist.yawRate * t;
      const dirX = Math.cos(yaw) * d.x - Math.sin(yaw) * d.y;
      const dirY = Math.sin(yaw) * d.x + Math.cos(yaw) * d.y;
      const p = positionAt(twist, t);
      const range = (WALL_X - p.x) / dirX;
      points.push({
        measured: { x: range * d.x, y: range * d.y, z: range * d.z },
        t,
        truth: { x: WALL_X, y: p.y + range * dirY, z: p.z + range * d.z },
      });
    }
  }
  return points;
}

const FLOAT_LAYOUT: PointField[] = [
  { name: 'x', offset: 0, type: 'float32' },
  { name: 'y', offset: 4, type: 'float32' },
  { name: 'z', offset: 8, type: 'float32' },
  { name: 'intensity', offset: 12, type: 'float32' },
  { name: 't', offset: 16, type: 'float32' },
];

function cloudOf(points: SweepPoint[], withTime: boolean): PointCloud {
  const fields = withTime ? FLOAT_LAYOUT : FLOAT_LAYOUT.slice(0, 4);
  const stride = withTime ? 20 : 16;
  const data = new Uint8Array(points.length * stride);
  const f = new Float32Array(data.buffer);
  points.forEach((p, i) => {
    const o = (i * stride) / 4;
    f[o] = p.measured.x; f[o + 1] = p.measured.y; f[o + 2] = p.measured.z; f[o + 3] = i % 256;
    if (withTime) f[o + 4] = p.t;
  });
  return { modality: 'lidar', sensorId: 'lidar', frameId: 'lidar', stamp: 1_000_000_000n, receivedAt: 1_100_000_000n, seq: 3, fields, stride, count: points.length, data };
}

/** x, y, z float32, ring uint16, offset uint32 ns from the sweep's start: 18 bytes, so no Float32Array view fits. */
function packedCloudOf(points: SweepPoint[]): PointCloud {
  const stride = 18;
  const data = new Uint8Array(points.length * stride + 1).subarray(1); // and a misaligned start
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  points.forEach((p, i) => {
    const at = i * stride;
    view.setFloat32(at, p.measured.x, true);
    view.setFloat32(at + 4, p.measured.y, true);
    view.setFloat32(at + 8, p.measured.z, true);
    view.setUint16(at + 12, i % 4, true);
    view.setUint32(at + 14, Math.round((p.t + SWEEP_S / 2) * 1e9), true);
  });
  const fields: PointField[] = [
    { name: 'x', offset: 0, type: 'float32' }, { name: 'y', offset: 4, type: 'float32' }, { name: 'z', offset: 8, type: 'float32' },
    { name: 'ring', offset: 12, type: 'uint16' }, { name: 'offset', offset: 14, type: 'uint32' },
  ];
  return { modality: 'lidar', sensorId: 'lidar', frameId: 'lidar', stamp: 0n, receivedAt: 0n, seq: 0, fields, stride, count: points.length, data };
}

function readXyz(cloud: PointCloud): Vec3[] {
  const view = new DataView(cloud.data.buffer, cloud.data.byteOffset, cloud.data.byteLength);
  const [x, y, z] = ['x', 'y', 'z'].map((n) => cloud.fields.find((f) => f.name === n)!.offset);
  return Array.from({ length: cloud.count }, (_, i) => ({
    x: view.getFloat32(i * cloud.stride + x, true), y: view.getFloat32(i * cloud.stride + y, true), z: view.getFloat32(i * cloud.stride + z, true),
  }));
}

function worstDistance(a: Vec3[], b: Vec3[]): number {
  return Math.max(...a.map((p, i) => Math.hypot(p.x - b[i].x, p.y - b[i].y, p.z - b[i].z)));
}

describe('deskewPointCloud', () => {
  it('straightens a wall seen from a sensor driving at 10 m/s (times from azimuth)', () => {
    const twist: Twist = { velocity: { x: 10, y: 0, z: 0 }, yawRate: 0 };
    const sweep = sweepOfWall(twist);
    const cloud = cloudOf(sweep, false);
    const skew = Math.max(...sweep.map((p) => Math.abs(p.measured.x - WALL_X)));
    expect(skew).toBeGreaterThan(0.2);
    const out = deskewPointCloud(cloud, { sweep: { durationNs: 100_000_000n, direction: 'cw' }, motion: twist });
    const xyz = readXyz(out);
    expect(Math.max(...xyz.map((p) => Math.abs(p.x - WALL_X)))).toBeLessThan(0.001);
    expect(worstDistance(xyz, sweep.map((p) => p.truth))).toBeLessThan(0.001);
  });

  it('undoes a turning, climbing drift exactly with a per-point float32 time in seconds', () => {
    const twist: Twist = { velocity: { x: 8, y: 1, z: 0.3 }, yawRate: 0.6 };
    const sweep = sweepOfWall(twist);
    const truth = sweep.map((p) => p.truth);
    expect(worstDistance(sweep.map((p) => p.measured), truth)).toBeGreaterThan(0.2);
    const out = deskewPointCloud(cloudOf(sweep, true), { motion: twist });
    expect(worstDistance(readXyz(out), truth)).toBeLessThan(0.001);
    const wrongTurn = deskewPointCloud(cloudOf(sweep, true), { motion: { ...twist, yawRate: -twist.yawRate } });
    expect(worstDistance(readXyz(wrongTurn), truth)).toBeGreaterThan(0.05);
  });

  it('reads integer nanosecond offsets from the sweep start in a packed, misaligned layout', () => {
    const twist: Twist = { velocity: { x: 12, y: -0.5, z: 0 }, yawRate: -0.4 };
    const sweep = sweepOfWall(twist);
    const cloud = packedCloudOf(sweep);
    const out = deskewPointCloud(cloud, { pointTimeField: 'offset', pointTimeBaseNs: -50_000_000n, motion: twist });
    expect(worstDistance(readXyz(out), sweep.map((p) => p.truth))).toBeLessThan(0.001);
    // The other fields come through untouched.
    const inView = new DataView(cloud.data.buffer, cloud.data.byteOffset);
    const outView = new DataView(out.data.buffer, out.data.byteOffset);
    for (let i = 0; i < cloud.count; i++) {
      expect(outView.getUint16(i * 18 + 12, true)).toBe(inView.getUint16(i * 18 + 12, true));
      expect(outView.getUint32(i * 18 + 14, true)).toBe(inView.getUint32(i * 18 + 14, true));
    }
  });

  it('takes the motion as a function of time', () => {
    const twist: Twist = { velocity: { x: 15, y: 0, z: 0 }, yawRate: 1.2 };
    const sweep = sweepOfWall(twist);
    const out = deskewPointCloud(cloudOf(sweep, true), { motion: motionOf(twist) });
    expect(worstDistance(readXyz(out), sweep.map((p) => p.truth))).toBeLessThan(0.001);
  });

  it('is the identity without motion, and returns a new cloud leaving the input alone', () => {
    const sweep = sweepOfWall({ velocity: { x: 10, y: 0, z: 0 }, yawRate: 0 });
    const cloud = cloudOf(sweep, true);
    const before = cloud.data.slice();
    const out = deskewPointCloud(cloud, { motion: { velocity: { x: 0, y: 0, z: 0 }, yawRate: 0 } });
    // Plain comparisons: a failing toBe deep-compares the two clouds, which is slow.
    expect(out === cloud).toBe(false);
    expect(out.data.buffer === cloud.data.buffer).toBe(false);
    expect(Buffer.compare(out.data, before)).toBe(0);
    expect(Buffer.compare(cloud.data, before)).toBe(0);
    const { data: _a, ...meta } = out;
    const { data: _b, ...metaIn } = cloud;
    expect(meta).toEqual(metaIn);
  });

  it('with a yaw rate alone, turns each point by ω·t about z', () => {
    const points: SweepPoint[] = [
      { measured: { x: 10, y: 0, z: 1 }, t: 0.02, truth: { x: 0, y: 0, z: 0 } },
      { measured: { x: 0, y: -5, z: 0 }, t: -0.04, truth: { x: 0, y: 0, z: 0 } },
      { measured: { x: 3, y: 4, z: -1 }, t: 0, truth: { x: 0, y: 0, z: 0 } },
    ];
    const out = readXyz(deskewPointCloud(cloudOf(points, true), { motion: { velocity: { x: 0, y: 0, z: 0 }, yawRate: 1 } }));
    const expected = points.map(({ measured: p, t }) => ({ x: Math.cos(t) * p.x - Math.sin(t) * p.y, y: Math.sin(t) * p.x + Math.cos(t) * p.y, z: p.z }));
    expect(worstDistance(out, expected)).toBeLessThan(1e-5);
  });

  it('leaves the point at the reference azimuth where it is, and times the others from it', () => {
    const reference = 0.3;
    const at = (az: number, r: number): SweepPoint => ({ measured: { x: r * Math.cos(az), y: r * Math.sin(az), z: 0.5 }, t: 0, truth: { x: 0, y: 0, z: 0 } });
    const points = [at(reference, 20), at(reference + 0.5, 20), at(reference - Math.PI / 2, 20)];
    const twist: Twist = { velocity: { x: 20, y: 0, z: 0 }, yawRate: 0 };
    const options = { sweep: { durationNs: 100_000_000n, direction: 'cw' as const, referenceAzimuth: reference }, motion: twist };
    const out = readXyz(deskewPointCloud(cloudOf(points, false), options));
    expect(worstDistance([out[0]], [points[0].measured])).toBeLessThan(1e-6);
    // Clockwise, 0.5 rad before the reference is seen 0.5/2π of a sweep earlier: the sensor was 20·t behind.
    const t1 = (-0.5 / (2 * Math.PI)) * SWEEP_S;
    expect(out[1].x - points[1].measured.x).toBeCloseTo(20 * t1, 5);
    const t2 = (Math.PI / 2 / (2 * Math.PI)) * SWEEP_S;
    expect(out[2].x - points[2].measured.x).toBeCloseTo(20 * t2, 5);
    // Counter-clockwise the signs turn round; with the stamp at the sweep's start every time is ≥ 0.
    const ccw = readXyz(deskewPointCloud(cloudOf(points, false), { ...options, sweep: { ...options.sweep, direction: 'ccw', referenceFraction: 0 } }));
    expect(ccw[0].x).toBeCloseTo(points[0].measured.x, 5);
    expect(ccw[1].x - points[1].measured.x).toBeCloseTo(20 * -t1, 5);
    expect(ccw[2].x - points[2].measured.x).toBeCloseTo(20 * (SWEEP_S - t2), 5);
  });

  it('refuses clouds and options it cannot handle with a clear TypeError', () => {
    const cloud = cloudOf(sweepOfWall({ velocity: { x: 1, y: 0, z: 0 }, yawRate: 0 }), false);
    const motion: Twist = { velocity: { x: 1, y: 0, z: 0 }, yawRate: 0 };
    expect(() => deskewPointCloud(cloud, { motion })).toThrow(/no t field and no sweep geometry/);
    expect(() => deskewPointCloud({ ...cloud, count: cloud.count + 1 }, { motion })).toThrow(/declares/);
    expect(() => deskewPointCloud({ ...cloud, fields: cloud.fields.filter((f) => f.name !== 'z') }, { motion })).toThrow(/no z field/);
    expect(() => deskewPointCloud({ ...cloud, fields: cloud.fields.map((f) => (f.name === 'x' ? { ...f, type: 'float64' as const } : f)) }, { motion })).toThrow(/float32/);
    expect(() => deskewPointCloud(cloud, { motion: { velocity: { x: NaN, y: 0, z: 0 }, yawRate: 0 }, sweep: { durationNs: 1n, direction: 'cw' } })).toThrow(/finite/);
    expect(() => deskewPointCloud(cloud, { motion, sweep: { durationNs: 0n, direction: 'cw' } })).toThrow(/duration/);
    const empty = deskewPointCloud({ ...cloud, count: 0, data: new Uint8Array(0) }, { motion });
    expect(empty.count).toBe(0);
  });
});
