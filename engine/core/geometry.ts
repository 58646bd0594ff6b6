/** Rigid-body geometry: vectors, unit quaternions (x, y, z, w), transforms, camera models. */

export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface Quaternion {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly w: number;
}

/** Maps points from a child frame into its parent frame: p_parent = R·p_child + t. */
export interface Transform {
  readonly translation: Vec3;
  readonly rotation: Quaternion;
}

export const IDENTITY_QUATERNION: Quaternion = { x: 0, y: 0, z: 0, w: 1 };
export const IDENTITY_TRANSFORM: Transform = { translation: { x: 0, y: 0, z: 0 }, rotation: IDENTITY_QUATERNION };

export function quatNormalize(q: Quaternion): Quaternion {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (n === 0 || !Number.isFinite(n)) throw new RangeError('quaternion has zero or non-finite norm');
  return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
}

/** Hamilton product a·b: rotating by b, then by a. */
export function quatMultiply(a: Quaternion, b: Quaternion): Quaternion {
  return {
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

export function quatConjugate(q: Quaternion): Quaternion {
  return { x: -q.x, y: -q.y, z: -q.z, w: q.w };
}

/** Intrinsic Z-Y-X (yaw, pitch, roll) angles in radians, the ROS/aerospace convention. */
export function quatFromEuler(roll: number, pitch: number, yaw: number): Quaternion {
  const cr = Math.cos(roll / 2), sr = Math.sin(roll / 2);
  const cp = Math.cos(pitch / 2), sp = Math.sin(pitch / 2);
  const cy = Math.cos(yaw / 2), sy = Math.sin(yaw / 2);
  return {
    w: cr * cp * cy + sr * sp * sy,
    x: sr * cp * cy - cr * sp * sy,
    y: cr * sp * cy + sr * cp * sy,
    z: cr * cp * sy - sr * sp * cy,
  };
}

/**
 * Inverse of quatFromEuler, with pitch in [-π/2, π/2]. Pitch comes from atan2 rather than asin,
 * which loses half the digits near ±π/2. At gimbal lock only yaw − roll (or yaw + roll) is defined:
 * roll is then 0 and yaw carries the whole turn about the vertical.
 */
export function quatToEuler(q: Quaternion): { roll: number; pitch: number; yaw: number } {
  const { x, y, z, w } = q;
  const r00 = 1 - 2 * (y * y + z * z);
  const r01 = 2 * (x * y - w * z);
  const r10 = 2 * (x * y + w * z);
  const r11 = 1 - 2 * (x * x + z * z);
  const r20 = 2 * (x * z - w * y);
  const r21 = 2 * (y * z + w * x);
  const r22 = 1 - 2 * (x * x + y * y);
  const cosPitch = Math.hypot(r21, r22);
  const pitch = Math.atan2(-r20, cosPitch);
  // Below this, roll and yaw from atan2 of ~1e-16-accurate tiny terms would be noise; the lock
  // formula's own error is about cosPitch, so 1e-8 balances the two.
  if (cosPitch < 1e-8) return { roll: 0, pitch, yaw: Math.atan2(-r01, r11) };
  return { roll: Math.atan2(r21, r22), pitch, yaw: Math.atan2(r10, r00) };
}

export function quatFromYaw(yaw: number): Quaternion {
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

/** Row-major 3×3 rotation matrix of a unit quaternion. */
export function quatToMatrix3(q: Quaternion): number[] {
  const { x, y, z, w } = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/** Unit quaternion of a row-major 3×3 rotation matrix (Shepperd's method, stable for all angles). */
export function quatFromMatrix3(m: ArrayLike<number>): Quaternion {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from(m);
  const trace = m00 + m11 + m22;
  let q: Quaternion;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    q = { w: s / 4, x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s };
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = { w: (m21 - m12) / s, x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s };
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = { w: (m02 - m20) / s, x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s };
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = { w: (m10 - m01) / s, x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4 };
  }
  return quatNormalize(q);
}

export function rotate(q: Quaternion, v: Vec3): Vec3 {
  // v' = v + 2w(u×v) + 2u×(u×v), u = vector part: cheaper than building the matrix.
  const tx = 2 * (q.y * v.z - q.z * v.y);
  const ty = 2 * (q.z * v.x - q.x * v.z);
  const tz = 2 * (q.x * v.y - q.y * v.x);
  return {
    x: v.x + q.w * tx + (q.y * tz - q.z * ty),
    y: v.y + q.w * ty + (q.z * tx - q.x * tz),
    z: v.z + q.w * tz + (q.x * ty - q.y * tx),
  };
}

export function transformPoint(t: Transform, p: Vec3): Vec3 {
  const r = rotate(t.rotation, p);
  return { x: r.x + t.translation.x, y: r.y + t.translation.y, z: r.z + t.translation.z };
}

/** a∘b: first b, then a (parent←mid←child). */
export function composeTransforms(a: Transform, b: Transform): Transform {
  return { translation: transformPoint(a, b.translation), rotation: quatNormalize(quatMultiply(a.rotation, b.rotation)) };
}

export function invertTransform(t: Transform): Transform {
  const inv = quatConjugate(t.rotation);
  const p = rotate(inv, t.translation);
  return { translation: { x: -p.x, y: -p.y, z: -p.z }, rotation: inv };
}

/** Row-major 4×4 homogeneous matrix. */
export function transformToMatrix4(t: Transform): Float64Array {
  const r = quatToMatrix3(t.rotation);
  return Float64Array.from([
    r[0], r[1], r[2], t.translation.x,
    r[3], r[4], r[5], t.translation.y,
    r[6], r[7], r[8], t.translation.z,
    0, 0, 0, 1,
  ]);
}

/** Rigid transform from a row-major 4×4 (or 3×4) matrix; its rotation block must be orthonormal. */
export function transformFromMatrix4(m: ArrayLike<number>): Transform {
  if (m.length !== 16 && m.length !== 12) throw new RangeError(`expected 12 or 16 values, got ${m.length}`);
  const rot = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
  return { translation: { x: m[3], y: m[7], z: m[11] }, rotation: quatFromMatrix3(rot) };
}

export type DistortionModel = 'none' | 'plumb_bob';

/** Pinhole camera with optional plumb_bob (Brown–Conrady k1, k2, p1, p2, k3) distortion, as in ROS CameraInfo. */
export interface CameraModel {
  readonly width: number;
  readonly height: number;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  readonly distortionModel: DistortionModel;
  /** [k1, k2, p1, p2, k3] for plumb_bob; empty for none. */
  readonly distortion: readonly number[];
}

export interface Pixel {
  readonly u: number;
  readonly v: number;
}

/** Camera optical frame (x right, y down, z forward) → pixel; undefined behind the camera. */
export function projectPoint(cam: CameraModel, p: Vec3): Pixel | undefined {
  if (p.z <= 0) return undefined;
  let x = p.x / p.z;
  let y = p.y / p.z;
  if (cam.distortionModel === 'plumb_bob') [x, y] = distort(cam.distortion, x, y);
  return { u: cam.fx * x + cam.cx, v: cam.fy * y + cam.cy };
}

function distort(d: readonly number[], x: number, y: number): [number, number] {
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0] = d;
  const r2 = x * x + y * y;
  const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
  return [
    x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
    y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y,
  ];
}

/**
 * Pixel → unit-depth ray (x, y, 1) in the optical frame. Distortion is inverted by Newton's method:
 * the fixed-point iteration OpenCV uses converges slowly near the image corners of strongly
 * distorted lenses (KITTI's leaves ~1e-6 after 20 steps), Newton reaches 1e-12 in a few.
 * A pixel beyond the fold of the distortion polynomial (the far corners of a strong barrel lens)
 * has no preimage: the ray returned is then the finite one whose projection comes nearest to it.
 */
export function unprojectPixel(cam: CameraModel, px: Pixel): Vec3 {
  const xd = (px.u - cam.cx) / cam.fx;
  const yd = (px.v - cam.cy) / cam.fy;
  if (cam.distortionModel !== 'plumb_bob') return { x: xd, y: yd, z: 1 };
  const d = cam.distortion;
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0] = d;
  const residual = (x: number, y: number): [number, number, number] => {
    const [dx, dy] = distort(d, x, y);
    const ex = xd - dx, ey = yd - dy;
    return [ex, ey, Math.hypot(ex, ey)];
  };
  let x = xd, y = yd;
  let [ex, ey, err] = residual(x, y);
  for (let i = 0; i < 30 && err > 1e-15; i++) {
    const r2 = x * x + y * y;
    const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
    const dRadial = k1 + 2 * k2 * r2 + 3 * k3 * r2 * r2; // d(radial)/d(r²)
    const jxx = radial + 2 * x * x * dRadial + 2 * p1 * y + 6 * p2 * x;
    const jxy = 2 * x * y * dRadial + 2 * p1 * x + 2 * p2 * y;
    const jyy = radial + 2 * y * y * dRadial + 6 * p1 * y + 2 * p2 * x;
    const det = jxx * jyy - jxy * jxy;
    if (!(Math.abs(det) > 1e-300)) break;
    const sx = (jyy * ex - jxy * ey) / det;
    const sy = (jxx * ey - jxy * ex) / det;
    // Damped: halve the step until the residual shrinks, so a pixel with no preimage settles
    // at the fold instead of running off to infinity.
    let step = 1;
    let improved = false;
    for (let h = 0; h < 30; h++, step /= 2) {
      const nx = x + step * sx, ny = y + step * sy;
      const [nex, ney, nerr] = residual(nx, ny);
      if (nerr < err) {
        x = nx; y = ny; ex = nex; ey = ney; err = nerr;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return { x, y, z: 1 };
}

/** Row-major 3×3 intrinsic matrix K. */
export function cameraMatrix(cam: CameraModel): number[] {
  return [cam.fx, 0, cam.cx, 0, cam.fy, cam.cy, 0, 0, 1];
}

/** Rotation from a camera's optical frame (x right, y down, z forward) to a body frame (x forward, y left, z up). */
export const OPTICAL_TO_BODY: Quaternion = quatFromMatrix3([0, 0, 1, -1, 0, 0, 0, -1, 0]);
