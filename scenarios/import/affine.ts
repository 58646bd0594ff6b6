import { quatFromMatrix3, type Transform, type Vec3 } from '../../engine/core/geometry.js';

/**
 * Row-major 4×4 affine matrices (length 16) as datasets give them. Calibration matrices from
 * datasets are close to, but not exactly, rigid; these helpers keep them exact until the last
 * step, where a Transform is made for the rig.
 */
export type Affine4 = readonly number[];

/** A 3×4 (12 values) or 3×3 (9 values) row-major matrix padded to 4×4 with [0 0 0 1]. */
export function affineFromRows(m: readonly number[]): Affine4 {
  if (m.length === 16) return [...m];
  if (m.length === 12) return [...m, 0, 0, 0, 1];
  if (m.length === 9) return [m[0], m[1], m[2], 0, m[3], m[4], m[5], 0, m[6], m[7], m[8], 0, 0, 0, 0, 1];
  throw new RangeError(`expected 9, 12 or 16 values, got ${m.length}`);
}

/** a·b: apply b first, then a. */
export function multiplyAffine(a: Affine4, b: Affine4): Affine4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Exact inverse of an affine matrix (general 3×3 block, not assumed orthonormal). */
export function invertAffine(m: Affine4): Affine4 {
  const [a, b, c, , d, e, f, , g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('matrix is singular');
  const inv3 = [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
  const t = [m[3], m[7], m[11]];
  const ti = [0, 1, 2].map((r) => -(inv3[r * 3] * t[0] + inv3[r * 3 + 1] * t[1] + inv3[r * 3 + 2] * t[2]));
  return [inv3[0], inv3[1], inv3[2], ti[0], inv3[3], inv3[4], inv3[5], ti[1], inv3[6], inv3[7], inv3[8], ti[2], 0, 0, 0, 1];
}

export function applyAffine(m: Affine4, p: Vec3): Vec3 {
  return {
    x: m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3],
    y: m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
    z: m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11],
  };
}

/** The linear part only: for directions and velocities. */
export function rotateByAffine(m: Affine4, v: Vec3): Vec3 {
  return applyAffine([m[0], m[1], m[2], 0, m[4], m[5], m[6], 0, m[8], m[9], m[10], 0, 0, 0, 0, 1], v);
}

/** The nearest rigid Transform (rotation from the 3×3 block, translation kept). */
export function transformFromAffine(m: Affine4): Transform {
  return {
    translation: { x: m[3], y: m[7], z: m[11] },
    rotation: quatFromMatrix3([m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]]),
  };
}

/** A Transform as the rig file writes an extrinsic. */
export function rigExtrinsic(t: Transform): { translation: [number, number, number]; rotation: { quaternion: [number, number, number, number] } } {
  return {
    translation: [t.translation.x, t.translation.y, t.translation.z],
    rotation: { quaternion: [t.rotation.x, t.rotation.y, t.rotation.z, t.rotation.w] },
  };
}

/** Yaw (about +z) of the x axis after rotation by m: a box heading carried into another frame. */
export function headingAfter(m: Affine4, yaw: number): number {
  const d = rotateByAffine(m, { x: Math.cos(yaw), y: Math.sin(yaw), z: 0 });
  return Math.atan2(d.y, d.x);
}

/** Angle in (−π, π]. */
export function normalizeAngle(a: number): number {
  const twoPi = 2 * Math.PI;
  let r = a % twoPi;
  if (r <= -Math.PI) r += twoPi;
  if (r > Math.PI) r -= twoPi;
  return r;
}
