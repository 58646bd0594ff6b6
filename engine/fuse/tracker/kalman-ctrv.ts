/**
 * Constant turn rate and velocity (CTRV) extended Kalman filter: state [x, y, ψ, v, ω] (heading,
 * speed along it, yaw rate). Process noise is white longitudinal and yaw acceleration. Below a
 * yaw rate of 1e-6 rad/s the straight-line formulas (and their limits for the Jacobian) are used,
 * so a CTRV track that does not turn moves exactly as a constant-velocity one would.
 * Measures position, box yaw (modulo π) and a radar velocity (v cos ψ, v sin ψ).
 */
import { ekfUpdate, foldHalfTurn, sandwich, symmetrize, wrapAngle, type UpdateOutcome } from './linalg.js';
import { hasVelocity, type MeasurementNoise, type MotionFilter, type PlanarMeasurement, type ProcessNoise } from './motion-filter.js';

const N = 5;
const STRAIGHT_YAW_RATE = 1e-6;

export interface CtrvInit {
  x: number;
  y: number;
  yaw: number;
  speed?: number;
  yawRate?: number;
  positionStd: number;
  yawStd: number;
  speedStd: number;
  yawRateStd: number;
}

export class CtrvFilter implements MotionFilter {
  readonly model = 'ctrv' as const;
  readonly state: Float64Array;
  readonly covariance: Float64Array;
  processNoise: ProcessNoise;

  constructor(init: CtrvInit, processNoise: ProcessNoise) {
    this.state = Float64Array.of(init.x, init.y, wrapAngle(init.yaw), init.speed ?? 0, init.yawRate ?? 0);
    this.covariance = new Float64Array(N * N);
    const diag = [init.positionStd ** 2, init.positionStd ** 2, init.yawStd ** 2, init.speedStd ** 2, init.yawRateStd ** 2];
    diag.forEach((v, i) => (this.covariance[i * N + i] = v));
    this.processNoise = processNoise;
    this.#canonical();
  }

  static fromState(state: ArrayLike<number>, covariance: ArrayLike<number>, processNoise: ProcessNoise): CtrvFilter {
    const f = new CtrvFilter({ x: 0, y: 0, yaw: 0, positionStd: 1, yawStd: 1, speedStd: 1, yawRateStd: 1 }, processNoise);
    f.state.set(state);
    f.covariance.set(covariance);
    f.#canonical();
    return f;
  }

  predict(dt: number): void {
    if (!(dt > 0)) return;
    const s = this.state;
    const [x, y, yaw, v, w] = s;
    const cy = Math.cos(yaw), sy = Math.sin(yaw);
    const f = new Float64Array(N * N);
    for (let i = 0; i < N; i++) f[i * N + i] = 1;
    if (Math.abs(w) > STRAIGHT_YAW_RATE) {
      const yaw2 = yaw + w * dt;
      const c2 = Math.cos(yaw2), s2 = Math.sin(yaw2);
      s[0] = x + (v / w) * (s2 - sy);
      s[1] = y + (v / w) * (cy - c2);
      f[0 * N + 2] = (v / w) * (c2 - cy);
      f[0 * N + 3] = (s2 - sy) / w;
      f[0 * N + 4] = (v * dt * c2) / w - (v * (s2 - sy)) / (w * w);
      f[1 * N + 2] = (v / w) * (s2 - sy);
      f[1 * N + 3] = (cy - c2) / w;
      f[1 * N + 4] = (v * dt * s2) / w - (v * (cy - c2)) / (w * w);
    } else {
      s[0] = x + v * cy * dt;
      s[1] = y + v * sy * dt;
      f[0 * N + 2] = -v * sy * dt;
      f[0 * N + 3] = cy * dt;
      f[0 * N + 4] = (-v * sy * dt * dt) / 2;
      f[1 * N + 2] = v * cy * dt;
      f[1 * N + 3] = sy * dt;
      f[1 * N + 4] = (v * cy * dt * dt) / 2;
    }
    s[2] = wrapAngle(yaw + w * dt);
    f[2 * N + 4] = dt;
    const p = sandwich(f, this.covariance, N, N);
    // Noise enters as longitudinal acceleration a and yaw acceleration α: G = ∂state/∂(a, α).
    const h2 = (dt * dt) / 2;
    const g = Float64Array.of(h2 * cy, 0, h2 * sy, 0, 0, h2, dt, 0, 0, dt);
    const qa = this.processNoise.accelStd ** 2, qw = this.processNoise.yawAccelStd ** 2;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) p[i * N + j] += g[i * 2] * qa * g[j * 2] + g[i * 2 + 1] * qw * g[j * 2 + 1];
    }
    this.covariance.set(symmetrize(p, N));
  }

  update(z: PlanarMeasurement, noise: MeasurementNoise): UpdateOutcome {
    const s = this.state;
    const withYaw = z.yaw !== undefined && Number.isFinite(noise.yawStd);
    const withVelocity = hasVelocity(z);
    const m = 2 + (withYaw ? 1 : 0) + (withVelocity ? 2 : 0);
    const h = new Float64Array(m * N);
    const r = new Float64Array(m * m);
    const residual = new Float64Array(m);
    h[0 * N + 0] = 1;
    h[1 * N + 1] = 1;
    residual[0] = z.x - s[0];
    residual[1] = z.y - s[1];
    r[0] = r[m + 1] = noise.positionStd ** 2;
    let row = 2;
    if (withYaw) {
      h[row * N + 2] = 1;
      residual[row] = wrapAngle(foldHalfTurn(z.yaw!, s[2]) - s[2]);
      r[row * m + row] = noise.yawStd ** 2;
      row++;
    }
    if (withVelocity) {
      const cy = Math.cos(s[2]), sy = Math.sin(s[2]), v = s[3];
      h[row * N + 2] = -v * sy;
      h[row * N + 3] = cy;
      h[(row + 1) * N + 2] = v * cy;
      h[(row + 1) * N + 3] = sy;
      residual[row] = z.vx - v * cy;
      residual[row + 1] = z.vy - v * sy;
      r[row * m + row] = r[(row + 1) * m + row + 1] = noise.velocityStd ** 2;
    }
    const outcome = ekfUpdate(s, this.covariance, N, residual, h, r, m);
    this.#canonical();
    return outcome;
  }

  position(): { x: number; y: number } {
    return { x: this.state[0], y: this.state[1] };
  }

  velocity(): { x: number; y: number } {
    const [, , yaw, v] = this.state;
    return { x: v * Math.cos(yaw), y: v * Math.sin(yaw) };
  }

  positionCovariance(): Float64Array {
    const p = this.covariance;
    return Float64Array.of(p[0], p[1], p[N], p[N + 1]);
  }

  /** Covariance of (vx, vy), by the Jacobian of (v cos ψ, v sin ψ). */
  velocityCovariance(): Float64Array {
    const [, , yaw, v] = this.state;
    const c = Math.cos(yaw), sn = Math.sin(yaw);
    const j = Float64Array.of(-v * sn, c, v * c, sn);
    const p = this.covariance;
    const sub = Float64Array.of(p[2 * N + 2], p[2 * N + 3], p[3 * N + 2], p[3 * N + 3]);
    return sandwich(j, sub, 2, 2);
  }

  transform(theta: number, tx: number, ty: number): void {
    const c = Math.cos(theta), sn = Math.sin(theta);
    const s = this.state;
    const [x, y] = s;
    s[0] = c * x - sn * y + tx;
    s[1] = sn * x + c * y + ty;
    s[2] = wrapAngle(s[2] + theta);
    const j = new Float64Array(N * N);
    j[0] = c;
    j[1] = -sn;
    j[N] = sn;
    j[N + 1] = c;
    for (let i = 2; i < N; i++) j[i * N + i] = 1;
    this.covariance.set(symmetrize(sandwich(j, this.covariance, N, N), N));
  }

  /**
   * Keeps the speed ≥ 0 by turning the heading round when an update made it negative: the box
   * yaw is only known modulo π, so a track may start facing backwards. Same motion, same
   * uncertainty, with the sign of v's correlations flipped.
   */
  #canonical(): void {
    const s = this.state;
    if (s[3] >= 0) return;
    s[2] = wrapAngle(s[2] + Math.PI);
    s[3] = -s[3];
    const p = this.covariance;
    for (let i = 0; i < N; i++) {
      if (i === 3) continue;
      p[3 * N + i] = -p[3 * N + i];
      p[i * N + 3] = -p[i * N + 3];
    }
  }
}
