import { describe, it, expect } from 'vitest';
import {
  IDENTITY_TRANSFORM,
  OPTICAL_TO_BODY,
  cameraMatrix,
  composeTransforms,
  invertTransform,
  projectPoint,
  quatConjugate,
  quatFromEuler,
  quatFromMatrix3,
  quatFromYaw,
  quatMultiply,
  quatNormalize,
  quatToEuler,
  quatToMatrix3,
  rotate,
  transformFromMatrix4,
  transformPoint,
  transformToMatrix4,
  unprojectPixel,
  type CameraModel,
  type Quaternion,
  type Transform,
  type Vec3,
} from './geometry.js';
import { createRng } from './prng.js';

/** Uniform [0, 1) numbers from a seed, so a failure reproduces. */
const seededRandom = (seed: number): (() => number) => createRng(seed).next;


const uniform = (next: () => number, lo: number, hi: number): number => lo + (hi - lo) * next();

/** Uniformly random unit quaternion (Shoemake). */
function randomQuat(next: () => number): Quaternion {
  const u1 = next(), u2 = next() * 2 * Math.PI, u3 = next() * 2 * Math.PI;
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  return { x: a * Math.sin(u2), y: a * Math.cos(u2), z: b * Math.sin(u3), w: b * Math.cos(u3) };
}

function randomTransform(next: () => number): Transform {
  return { translation: { x: uniform(next, -50, 50), y: uniform(next, -50, 50), z: uniform(next, -5, 5) }, rotation: randomQuat(next) };
}

/** Distance between the rotations of two unit quaternions (q and −q are the same rotation); ≈ half the angle. */
function quatDistance(a: Quaternion, b: Quaternion): number {
  const minus = Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z, a.w - b.w);
  const plus = Math.hypot(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
  return Math.min(minus, plus);
}

function vecDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/** Wraps an angle difference into (-π, π]. */
function angleDiff(a: number, b: number): number {
  const d = (a - b) % (2 * Math.PI);
  return Math.abs(d > Math.PI ? d - 2 * Math.PI : d < -Math.PI ? d + 2 * Math.PI : d);
}

function mat3Multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
  return out;
}

function mat4Multiply(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[r * 4 + c] += a[r * 4 + k] * b[k * 4 + c];
  return out;
}

function mat3Apply(m: readonly number[], v: Vec3): Vec3 {
  return { x: m[0] * v.x + m[1] * v.y + m[2] * v.z, y: m[3] * v.x + m[4] * v.y + m[5] * v.z, z: m[6] * v.x + m[7] * v.y + m[8] * v.z };
}

const rotX = (a: number): number[] => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const rotY = (a: number): number[] => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
const rotZ = (a: number): number[] => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];

describe('quaternions', () => {
  it('normalizes and refuses a zero or non-finite quaternion', () => {
    const q = quatNormalize({ x: 0, y: 0, z: 3, w: 4 });
    expect(q).toEqual({ x: 0, y: 0, z: 0.6, w: 0.8 });
    expect(() => quatNormalize({ x: 0, y: 0, z: 0, w: 0 })).toThrow(RangeError);
    expect(() => quatNormalize({ x: Number.NaN, y: 0, z: 0, w: 1 })).toThrow(RangeError);
  });

  it('multiplies as rotation composition: (a·b) rotates by b, then by a', () => {
    const next = seededRandom(10);
    for (let i = 0; i < 200; i++) {
      const a = randomQuat(next), b = randomQuat(next);
      const v = { x: uniform(next, -3, 3), y: uniform(next, -3, 3), z: uniform(next, -3, 3) };
      expect(vecDistance(rotate(quatMultiply(a, b), v), rotate(a, rotate(b, v)))).toBeLessThan(1e-12);
      const conj = quatMultiply(a, quatConjugate(a));
      expect(quatDistance(conj, { x: 0, y: 0, z: 0, w: 1 })).toBeLessThan(1e-15);
    }
  });

  it('rotate agrees with the rotation matrix', () => {
    const next = seededRandom(11);
    for (let i = 0; i < 200; i++) {
      const q = randomQuat(next);
      const v = { x: uniform(next, -3, 3), y: uniform(next, -3, 3), z: uniform(next, -3, 3) };
      expect(vecDistance(rotate(q, v), mat3Apply(quatToMatrix3(q), v))).toBeLessThan(1e-12);
    }
  });

  it('quatFromYaw turns x towards y (counter-clockwise about z)', () => {
    const v = rotate(quatFromYaw(Math.PI / 2), { x: 1, y: 0, z: 0 });
    expect(vecDistance(v, { x: 0, y: 1, z: 0 })).toBeLessThan(1e-15);
    expect(quatDistance(quatFromYaw(0.3), quatFromEuler(0, 0, 0.3))).toBeLessThan(1e-16);
  });
});

describe('Euler angles (intrinsic Z-Y-X: yaw, then pitch, then roll)', () => {
  it('matches Rz(yaw)·Ry(pitch)·Rx(roll)', () => {
    const next = seededRandom(20);
    for (let i = 0; i < 200; i++) {
      const roll = uniform(next, -Math.PI, Math.PI), pitch = uniform(next, -Math.PI / 2, Math.PI / 2), yaw = uniform(next, -Math.PI, Math.PI);
      const expected = mat3Multiply(rotZ(yaw), mat3Multiply(rotY(pitch), rotX(roll)));
      const got = quatToMatrix3(quatFromEuler(roll, pitch, yaw));
      for (let k = 0; k < 9; k++) expect(Math.abs(got[k] - expected[k])).toBeLessThan(1e-14);
    }
  });

  it('round-trips the angles away from gimbal lock', () => {
    const next = seededRandom(21);
    for (let i = 0; i < 5000; i++) {
      const roll = uniform(next, -Math.PI, Math.PI), pitch = uniform(next, -1.55, 1.55), yaw = uniform(next, -Math.PI, Math.PI);
      const e = quatToEuler(quatFromEuler(roll, pitch, yaw));
      expect(angleDiff(e.roll, roll)).toBeLessThan(1e-9);
      expect(Math.abs(e.pitch - pitch)).toBeLessThan(1e-9);
      expect(angleDiff(e.yaw, yaw)).toBeLessThan(1e-9);
    }
  });

  it('round-trips the rotation at and near gimbal lock', () => {
    const next = seededRandom(22);
    for (const eps of [0, 1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-5]) {
      for (let i = 0; i < 500; i++) {
        const sign = next() < 0.5 ? 1 : -1;
        const q = quatFromEuler(uniform(next, -Math.PI, Math.PI), sign * (Math.PI / 2 - eps), uniform(next, -Math.PI, Math.PI));
        const e = quatToEuler(q);
        expect(Math.abs(e.pitch - sign * (Math.PI / 2 - eps))).toBeLessThan(1e-7);
        expect(quatDistance(quatFromEuler(e.roll, e.pitch, e.yaw), q), `eps=${eps}`).toBeLessThan(1e-7);
      }
    }
  });

  it('gives pitch in [-π/2, π/2] for any rotation', () => {
    const next = seededRandom(23);
    for (let i = 0; i < 2000; i++) {
      const q = randomQuat(next);
      const e = quatToEuler(q);
      expect(Math.abs(e.pitch)).toBeLessThanOrEqual(Math.PI / 2);
      expect(quatDistance(quatFromEuler(e.roll, e.pitch, e.yaw), q)).toBeLessThan(1e-9);
    }
  });
});

describe('rotation matrices', () => {
  it('round-trip through quatToMatrix3 / quatFromMatrix3 for random rotations', () => {
    const next = seededRandom(30);
    for (let i = 0; i < 5000; i++) {
      const q = randomQuat(next);
      expect(quatDistance(quatFromMatrix3(quatToMatrix3(q)), q)).toBeLessThan(1e-14);
    }
  });

  it('round-trip near 180° turns, where every branch of Shepperd’s method is taken', () => {
    const next = seededRandom(31);
    const axes: Vec3[] = [{ x: 1, y: 0, z: 0 }, { x: 0, y: 1, z: 0 }, { x: 0, y: 0, z: 1 }, { x: 1, y: 1, z: 0 }, { x: 0.2, y: -0.3, z: 0.9 }];
    for (const axis of axes) {
      const n = Math.hypot(axis.x, axis.y, axis.z);
      for (const angle of [Math.PI, Math.PI - 1e-9, Math.PI - 1e-4, -Math.PI + 1e-6]) {
        const s = Math.sin(angle / 2);
        const q = { x: (axis.x / n) * s, y: (axis.y / n) * s, z: (axis.z / n) * s, w: Math.cos(angle / 2) };
        expect(quatDistance(quatFromMatrix3(quatToMatrix3(q)), q)).toBeLessThan(1e-14);
      }
    }
    for (let i = 0; i < 100; i++) {
      const q = quatNormalize({ ...randomQuat(next), w: uniform(next, -1e-3, 1e-3) });
      expect(quatDistance(quatFromMatrix3(quatToMatrix3(q)), q)).toBeLessThan(1e-14);
    }
  });

  it('quatToMatrix3 is orthonormal with determinant 1', () => {
    const next = seededRandom(32);
    for (let i = 0; i < 200; i++) {
      const m = quatToMatrix3(randomQuat(next));
      const mt = [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
      const identity = mat3Multiply(m, mt);
      for (let k = 0; k < 9; k++) expect(Math.abs(identity[k] - (k % 4 === 0 ? 1 : 0))).toBeLessThan(1e-14);
      const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
      expect(det).toBeCloseTo(1, 14);
    }
  });
});

describe('transforms', () => {
  it('compose with the inverse gives the identity, on either side', () => {
    const next = seededRandom(40);
    for (let i = 0; i < 1000; i++) {
      const t = randomTransform(next);
      for (const id of [composeTransforms(t, invertTransform(t)), composeTransforms(invertTransform(t), t)]) {
        expect(vecDistance(id.translation, IDENTITY_TRANSFORM.translation)).toBeLessThan(1e-12);
        expect(quatDistance(id.rotation, IDENTITY_TRANSFORM.rotation)).toBeLessThan(1e-15);
      }
    }
  });

  it('composition applies b first, then a, and is associative', () => {
    const next = seededRandom(41);
    for (let i = 0; i < 500; i++) {
      const a = randomTransform(next), b = randomTransform(next), c = randomTransform(next);
      const p = { x: uniform(next, -20, 20), y: uniform(next, -20, 20), z: uniform(next, -20, 20) };
      expect(vecDistance(transformPoint(composeTransforms(a, b), p), transformPoint(a, transformPoint(b, p)))).toBeLessThan(1e-11);
      const left = composeTransforms(composeTransforms(a, b), c);
      const right = composeTransforms(a, composeTransforms(b, c));
      expect(vecDistance(left.translation, right.translation)).toBeLessThan(1e-11);
      expect(quatDistance(left.rotation, right.rotation)).toBeLessThan(1e-14);
    }
  });

  it('invert undoes transformPoint, and the identity leaves points alone', () => {
    const next = seededRandom(42);
    for (let i = 0; i < 500; i++) {
      const t = randomTransform(next);
      const p = { x: uniform(next, -20, 20), y: uniform(next, -20, 20), z: uniform(next, -20, 20) };
      expect(vecDistance(transformPoint(invertTransform(t), transformPoint(t, p)), p)).toBeLessThan(1e-11);
      expect(transformPoint(IDENTITY_TRANSFORM, p)).toEqual(p);
    }
  });

  it('maps child to parent: p_parent = R·p_child + t', () => {
    const t: Transform = { translation: { x: 1, y: 2, z: 0 }, rotation: quatFromYaw(Math.PI / 2) };
    // The example of foxglove.FrameTransform's documentation.
    expect(vecDistance(transformPoint(t, { x: 1, y: 0, z: 0 }), { x: 1, y: 3, z: 0 })).toBeLessThan(1e-15);
  });
});

describe('4×4 matrices', () => {
  it('round-trip a transform', () => {
    const next = seededRandom(50);
    for (let i = 0; i < 1000; i++) {
      const t = randomTransform(next);
      const back = transformFromMatrix4(transformToMatrix4(t));
      expect(vecDistance(back.translation, t.translation)).toBe(0);
      expect(quatDistance(back.rotation, t.rotation)).toBeLessThan(1e-14);
    }
  });

  it('act on homogeneous points as transformPoint does, and multiply as composition', () => {
    const next = seededRandom(51);
    for (let i = 0; i < 200; i++) {
      const a = randomTransform(next), b = randomTransform(next);
      const m = transformToMatrix4(a);
      expect(m).toBeInstanceOf(Float64Array);
      expect(Array.from(m.subarray(12))).toEqual([0, 0, 0, 1]);
      const p = { x: uniform(next, -20, 20), y: uniform(next, -20, 20), z: uniform(next, -20, 20) };
      const viaMatrix = { x: m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], y: m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7], z: m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11] };
      expect(vecDistance(viaMatrix, transformPoint(a, p))).toBeLessThan(1e-11);
      const product = mat4Multiply(transformToMatrix4(a), transformToMatrix4(b));
      const composed = transformToMatrix4(composeTransforms(a, b));
      for (let k = 0; k < 16; k++) expect(Math.abs(product[k] - composed[k])).toBeLessThan(1e-11);
    }
  });

  it('accept a 3×4 matrix (KITTI calibration style) and refuse other sizes', () => {
    // KITTI raw 2011_09_26 Tr_velo_to_cam (calib_velo_to_cam.txt), row-major 3×4; CC BY-NC-SA 3.0, test data only.
    const veloToCam = [
      7.533745e-3, -9.999714e-1, -6.16602e-4, -4.069766e-3,
      1.480249e-2, 7.280733e-4, -9.998902e-1, -7.631618e-2,
      9.998621e-1, 7.523790e-3, 1.480755e-2, -2.717806e-1,
    ];
    const t = transformFromMatrix4(veloToCam);
    expect(t.translation).toEqual({ x: -4.069766e-3, y: -7.631618e-2, z: -2.717806e-1 });
    // LiDAR forward (x) is the camera's forward (z).
    const fwd = rotate(t.rotation, { x: 1, y: 0, z: 0 });
    expect(fwd.z).toBeGreaterThan(0.9998);
    const m = transformToMatrix4(t);
    for (let k = 0; k < 12; k++) expect(Math.abs(m[k] - veloToCam[k])).toBeLessThan(1e-6);
    expect(() => transformFromMatrix4([1, 0, 0, 0, 1, 0, 0, 0, 1])).toThrow(/12 or 16/);
    expect(() => transformFromMatrix4(new Float64Array(15))).toThrow(RangeError);
  });
});

/**
 * KITTI raw 2011_09_26 camera 02 (K and D from calib_cam_to_cam.txt): strong barrel distortion.
 * KITTI (Geiger et al.) is CC BY-NC-SA 3.0: these numbers are test data only.
 */
const KITTI_CAM: CameraModel = {
  width: 1242,
  height: 375,
  fx: 721.5377,
  fy: 721.5377,
  cx: 609.5593,
  cy: 172.854,
  distortionModel: 'plumb_bob',
  distortion: [-0.3728755, 0.2037299, 0.002219027, 0.001383707, -0.07233722],
};

/**
 * OpenCV's camera model as documented for calib3d (cv::projectPoints), written out independently
 * with the rational (k4..k6) and thin-prism (s1..s4) terms, which plumb_bob sets to zero.
 */
function openCvProject(
  K: { fx: number; fy: number; cx: number; cy: number },
  d: { k1: number; k2: number; p1: number; p2: number; k3: number; k4?: number; k5?: number; k6?: number; s1?: number; s2?: number; s3?: number; s4?: number },
  P: Vec3,
): { u: number; v: number } {
  const x1 = P.x / P.z;
  const y1 = P.y / P.z;
  const r2 = x1 * x1 + y1 * y1;
  const r4 = r2 * r2, r6 = r4 * r2;
  const { k4 = 0, k5 = 0, k6 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0 } = d;
  const ratio = (1 + d.k1 * r2 + d.k2 * r4 + d.k3 * r6) / (1 + k4 * r2 + k5 * r4 + k6 * r6);
  const x2 = x1 * ratio + 2 * d.p1 * x1 * y1 + d.p2 * (r2 + 2 * x1 * x1) + s1 * r2 + s2 * r4;
  const y2 = y1 * ratio + d.p1 * (r2 + 2 * y1 * y1) + 2 * d.p2 * x1 * y1 + s3 * r2 + s4 * r4;
  return { u: K.fx * x2 + K.cx, v: K.fy * y2 + K.cy };
}

describe('projectPoint', () => {
  it('is a plain pinhole without distortion', () => {
    const cam: CameraModel = { width: 640, height: 480, fx: 500, fy: 400, cx: 320, cy: 240, distortionModel: 'none', distortion: [] };
    expect(projectPoint(cam, { x: 1, y: -0.5, z: 2 })).toEqual({ u: 570, v: 140 });
    expect(projectPoint(cam, { x: 0, y: 0, z: 5 })).toEqual({ u: 320, v: 240 });
  });

  it('gives nothing behind or on the camera plane', () => {
    expect(projectPoint(KITTI_CAM, { x: 1, y: 1, z: -1 })).toBeUndefined();
    expect(projectPoint(KITTI_CAM, { x: 1, y: 1, z: 0 })).toBeUndefined();
  });

  it('applies plumb_bob as computed by hand', () => {
    const cam: CameraModel = { width: 640, height: 480, fx: 500, fy: 500, cx: 320, cy: 240, distortionModel: 'plumb_bob', distortion: [0.1, 0.01, 0.001, 0.002, 0.0001] };
    // x' = 0.4, y' = 0.2, r² = 0.2
    // radial = 1 + 0.1·0.2 + 0.01·0.04 + 0.0001·0.008 = 1.0204008
    // x'' = 0.4·1.0204008 + 2·0.001·0.4·0.2 + 0.002·(0.2 + 2·0.16) = 0.40816032 + 0.00016 + 0.00104 = 0.40936032
    // y'' = 0.2·1.0204008 + 0.001·(0.2 + 2·0.04) + 2·0.002·0.4·0.2 = 0.20408016 + 0.00028 + 0.00032 = 0.20468016
    // u = 500·0.40936032 + 320 = 524.68016, v = 500·0.20468016 + 240 = 342.34008
    const px = projectPoint(cam, { x: 0.8, y: 0.4, z: 2 })!;
    expect(px.u).toBeCloseTo(524.68016, 9);
    expect(px.v).toBeCloseTo(342.34008, 9);
  });

  it('matches the equations of OpenCV’s documented camera model', () => {
    const next = seededRandom(60);
    const [k1, k2, p1, p2, k3] = KITTI_CAM.distortion;
    for (let i = 0; i < 2000; i++) {
      const z = uniform(next, 0.5, 80);
      const p = { x: uniform(next, -0.85, 0.85) * z, y: uniform(next, -0.25, 0.3) * z, z };
      const ours = projectPoint(KITTI_CAM, p)!;
      const theirs = openCvProject(KITTI_CAM, { k1, k2, p1, p2, k3 }, p);
      expect(Math.abs(ours.u - theirs.u)).toBeLessThan(1e-9);
      expect(Math.abs(ours.v - theirs.v)).toBeLessThan(1e-9);
    }
  });

  it('matches cv2.projectPoints', () => {
    // Computed once with OpenCV 4.6.0 (Debian python3-opencv): cv2.projectPoints(points, rvec=0,
    // tvec=0, K, D) with KITTI_CAM's K and D.
    const reference: [Vec3, number, number][] = [
      [{ x: 0, y: 0, z: 10 }, 609.5593, 172.854],
      [{ x: 3.2, y: -1.1, z: 7.5 }, 896.8261303909494, 74.50180226244788],
      [{ x: -4.0, y: 1.5, z: 6.0 }, 199.66905863096895, 327.5643145483652],
      [{ x: 0.5, y: 0.25, z: 2.0 }, 785.2099138161865, 260.765393881116],
      [{ x: -12.0, y: -2.0, z: 20.0 }, 227.1565629224424, 109.65105399248071],
      [{ x: 7.0, y: 1.8, z: 9.0 }, 1074.813859402392, 293.3579294882921],
    ];
    for (const [p, u, v] of reference) {
      const px = projectPoint(KITTI_CAM, p)!;
      expect(Math.abs(px.u - u)).toBeLessThan(1e-9);
      expect(Math.abs(px.v - v)).toBeLessThan(1e-9);
    }
  });
});

describe('unprojectPixel', () => {
  it('inverts projectPoint within 1e-6 px across the whole image for moderate distortion', () => {
    const next = seededRandom(70);
    const cam: CameraModel = { width: 1280, height: 720, fx: 900, fy: 900, cx: 640, cy: 360, distortionModel: 'plumb_bob', distortion: [-0.28, 0.07, 0.0002, 0.00002, 0] };
    let worst = 0;
    for (let i = 0; i < 5000; i++) {
      const u = uniform(next, 0, cam.width), v = uniform(next, 0, cam.height);
      const ray = unprojectPixel(cam, { u, v });
      expect(ray.z).toBe(1);
      const back = projectPoint(cam, ray)!;
      worst = Math.max(worst, Math.hypot(back.u - u, back.v - v));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('stays finite for a pixel with no preimage (beyond the fold of KITTI’s barrel distortion)', () => {
    // KITTI's raw corners lie outside the range of its distortion polynomial (hence rectified images).
    const corner = { u: 0, v: 0 };
    const ray = unprojectPixel(KITTI_CAM, corner);
    expect(Number.isFinite(ray.x) && Number.isFinite(ray.y)).toBe(true);
    const back = projectPoint(KITTI_CAM, ray)!;
    const naive = projectPoint(KITTI_CAM, { x: (corner.u - KITTI_CAM.cx) / KITTI_CAM.fx, y: (corner.v - KITTI_CAM.cy) / KITTI_CAM.fy, z: 1 })!;
    expect(Math.hypot(back.u - corner.u, back.v - corner.v)).toBeLessThan(Math.hypot(naive.u - corner.u, naive.v - corner.v));
  });

  it('recovers the ray of a projected point for moderate distortion', () => {
    const next = seededRandom(71);
    const cams: CameraModel[] = [
      KITTI_CAM,
      { ...KITTI_CAM, distortion: [-0.1, 0.01, 0.001, -0.001, 0] },
      { ...KITTI_CAM, distortion: [0.1, 0.05, 0.001, 0.001, 0.01] }, // pincushion
    ];
    for (const cam of cams) {
      for (let i = 0; i < 2000; i++) {
        const z = uniform(next, 1, 50);
        const p = { x: uniform(next, -0.8, 0.8) * z, y: uniform(next, -0.25, 0.25) * z, z };
        const ray = unprojectPixel(cam, projectPoint(cam, p)!);
        expect(Math.abs(ray.x - p.x / z)).toBeLessThan(1e-6);
        expect(Math.abs(ray.y - p.y / z)).toBeLessThan(1e-6);
      }
    }
  });

  it('is exact without distortion', () => {
    const cam: CameraModel = { ...KITTI_CAM, distortionModel: 'none', distortion: [] };
    expect(unprojectPixel(cam, { u: cam.cx + cam.fx, v: cam.cy - cam.fy / 2 })).toEqual({ x: 1, y: -0.5, z: 1 });
  });
});

describe('cameraMatrix', () => {
  it('is K, row-major', () => {
    expect(cameraMatrix(KITTI_CAM)).toEqual([721.5377, 0, 609.5593, 0, 721.5377, 172.854, 0, 0, 1]);
  });
});

describe('OPTICAL_TO_BODY', () => {
  it('maps optical forward (z) to body forward (x), right (x) to −y and down (y) to −z', () => {
    expect(vecDistance(rotate(OPTICAL_TO_BODY, { x: 0, y: 0, z: 1 }), { x: 1, y: 0, z: 0 })).toBeLessThan(1e-15);
    expect(vecDistance(rotate(OPTICAL_TO_BODY, { x: 1, y: 0, z: 0 }), { x: 0, y: -1, z: 0 })).toBeLessThan(1e-15);
    expect(vecDistance(rotate(OPTICAL_TO_BODY, { x: 0, y: 1, z: 0 }), { x: 0, y: 0, z: -1 })).toBeLessThan(1e-15);
  });

  it('is the rotation of roll −90°, yaw −90° (the usual camera mounting)', () => {
    expect(quatDistance(OPTICAL_TO_BODY, quatFromEuler(-Math.PI / 2, 0, -Math.PI / 2))).toBeLessThan(1e-15);
  });
});
