/**
 * Plain TypeScript reference for the native `transformPoints` kernel. It is the ground truth the
 * native backends are tested against, and the fallback when the addon cannot be loaded.
 */

/**
 * Applies the affine part (top three rows) of a row-major 4x4 matrix to x,y,z — the first three
 * floats of each `stride`-float point — and copies the remaining floats unchanged.
 * `out` may be `points` itself (in-place).
 */
export function transformPointsReference(
  points: Float32Array,
  stride: number,
  matrix: ArrayLike<number>,
  out: Float32Array = new Float32Array(points.length),
): Float32Array {
  const m0 = matrix[0], m1 = matrix[1], m2 = matrix[2], m3 = matrix[3];
  const m4 = matrix[4], m5 = matrix[5], m6 = matrix[6], m7 = matrix[7];
  const m8 = matrix[8], m9 = matrix[9], m10 = matrix[10], m11 = matrix[11];
  const n = points.length - (points.length % stride);
  for (let i = 0; i < n; i += stride) {
    const x = points[i], y = points[i + 1], z = points[i + 2];
    // Evaluated in double and rounded once on store, in the same order as backend_cpu.cc,
    // so the two agree bit-for-bit on x86-64.
    out[i] = m0 * x + m1 * y + m2 * z + m3;
    out[i + 1] = m4 * x + m5 * y + m6 * z + m7;
    out[i + 2] = m8 * x + m9 * y + m10 * z + m11;
    if (out !== points) {
      for (let k = 3; k < stride; k++) out[i + k] = points[i + k];
    }
  }
  return out;
}
