/**
 * The few dense-matrix operations the Kalman filters need, on small row-major Float64Arrays
 * (states of 4 or 5, measurements of 2 to 5). Written out rather than pulled from a library: the
 * sizes are tiny and the order of operations must be fixed for replays to be bit-identical.
 */

/** a (r×k) · b (k×c) */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * c + j];
      out[i * c + j] = s;
    }
  }
  return out;
}

/** a (r×k) · bᵀ where b is (c×k) */
export function matMulTransposed(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
      out[i * c + j] = s;
    }
  }
  return out;
}

/** A·P·Aᵀ for A (r×n) and P (n×n). */
export function sandwich(a: ArrayLike<number>, p: ArrayLike<number>, r: number, n: number): Float64Array {
  return matMulTransposed(matMul(a, p, r, n, n), a, r, n, r);
}

/** Averages P with its transpose, in place: rounding would otherwise let it drift from symmetric. */
export function symmetrize(p: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = (p[i * n + j] + p[j * n + i]) / 2;
      p[i * n + j] = m;
      p[j * n + i] = m;
    }
  }
  return p;
}

/** Inverse of an n×n matrix by Gauss–Jordan with partial pivoting; undefined when singular. */
export function invert(m: ArrayLike<number>, n: number): Float64Array | undefined {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) a[i] = m[i];
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    const pv = a[pivot * n + col];
    if (!(Math.abs(pv) > 1e-300) || !Number.isFinite(pv)) return undefined;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        let t = a[col * n + j];
        a[col * n + j] = a[pivot * n + j];
        a[pivot * n + j] = t;
        t = inv[col * n + j];
        inv[col * n + j] = inv[pivot * n + j];
        inv[pivot * n + j] = t;
      }
    }
    for (let j = 0; j < n; j++) {
      a[col * n + j] /= pv;
      inv[col * n + j] /= pv;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[col * n + j];
        inv[r * n + j] -= f * inv[col * n + j];
      }
    }
  }
  return inv;
}

/** Wraps an angle into (−π, π]. */
export function wrapAngle(a: number): number {
  const w = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return w <= -Math.PI ? w + 2 * Math.PI : w;
}

/**
 * The angle equivalent to `a` modulo π that lies within ±π/2 of `reference`: box yaws are only
 * known up to a half turn (a box looks the same from front and back).
 */
export function foldHalfTurn(a: number, reference: number): number {
  const d = wrapAngle(a - reference);
  if (d > Math.PI / 2) return wrapAngle(a - Math.PI);
  if (d < -Math.PI / 2) return wrapAngle(a + Math.PI);
  return wrapAngle(a);
}

/** One extended Kalman update result: whether it was applied and the normalized innovation squared. */
export interface UpdateOutcome {
  applied: boolean;
  nis: number;
}

/**
 * Extended Kalman filter update, in place: x (n), P (n×n), z − h(x) = `residual` (m, angles
 * already wrapped by the caller), H (m×n), R (m×m). Joseph form keeps P symmetric positive
 * definite when gains are large. Leaves x and P untouched when S is singular.
 */
export function ekfUpdate(x: Float64Array, p: Float64Array, n: number, residual: ArrayLike<number>, h: ArrayLike<number>, r: ArrayLike<number>, m: number): UpdateOutcome {
  const s = sandwich(h, p, m, n);
  for (let i = 0; i < m * m; i++) s[i] += r[i];
  const sInv = invert(s, m);
  if (!sInv) return { applied: false, nis: NaN };
  // K = P Hᵀ S⁻¹ (n×m)
  const pht = matMulTransposed(p, h, n, n, m);
  const k = matMul(pht, sInv, n, m, m);
  let nis = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) nis += residual[i] * sInv[i * m + j] * residual[j];
  for (let i = 0; i < n; i++) {
    let dx = 0;
    for (let j = 0; j < m; j++) dx += k[i * m + j] * residual[j];
    x[i] += dx;
  }
  // (I − K H)
  const ikh = matMul(k, h, n, m, n);
  for (let i = 0; i < n * n; i++) ikh[i] = -ikh[i];
  for (let i = 0; i < n; i++) ikh[i * n + i] += 1;
  const joseph = sandwich(ikh, p, n, n);
  const krk = sandwich(k, r, n, m);
  for (let i = 0; i < n * n; i++) p[i] = joseph[i] + krk[i];
  symmetrize(p, n);
  return { applied: true, nis };
}
