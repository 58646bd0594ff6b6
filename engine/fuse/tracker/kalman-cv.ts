/**
 * Constant-velocity Kalman filter in the plane: state [x, y, vx, vy], white-acceleration
 * process noise (the discrete model: per axis q·[[dt⁴/4, dt³/2], [dt³/2, dt²]]). Measures
 * position, and velocity when a radar gives one. Linear, so the EKF update is the exact one.
 */
import { ekfUpdate, sandwich, symmetrize, type UpdateOutcome } from './linalg.js';
import { hasVelocity, type MeasurementNoise, type MotionFilter, type PlanarMeasurement, type ProcessNoise } from './motion-filter.js';

const N = 4;

export interface CvInit {
  x: number;
  y: number;
  vx?: number;
  vy?: number;
  positionStd: number;
  /** Std of each velocity component; the measured velocity's std when one is given. */
  velocityStd: number;
}

export class CvFilter implements MotionFilter {
  readonly model = 'cv' as const;
  readonly state: Float64Array;
  readonly covariance: Float64Array;
  processNoise: ProcessNoise;

  constructor(init: CvInit, processNoise: ProcessNoise) {
    this.state = Float64Array.of(init.x, init.y, init.vx ?? 0, init.vy ?? 0);
    const pv = init.positionStd ** 2, vv = init.velocityStd ** 2;
    this.covariance = Float64Array.of(pv, 0, 0, 0, 0, pv, 0, 0, 0, 0, vv, 0, 0, 0, 0, vv);
    this.processNoise = processNoise;
  }

  /** A filter with the given state and covariance (copied). */
  static fromState(state: ArrayLike<number>, covariance: ArrayLike<number>, processNoise: ProcessNoise): CvFilter {
    const f = new CvFilter({ x: 0, y: 0, positionStd: 1, velocityStd: 1 }, processNoise);
    f.state.set(state);
    f.covariance.set(covariance);
    return f;
  }

  predict(dt: number): void {
    if (!(dt > 0)) return;
    const s = this.state;
    s[0] += s[2] * dt;
    s[1] += s[3] * dt;
    const f = Float64Array.of(1, 0, dt, 0, 0, 1, 0, dt, 0, 0, 1, 0, 0, 0, 0, 1);
    const p = sandwich(f, this.covariance, N, N);
    const q = this.processNoise.accelStd ** 2;
    const a = (q * dt ** 4) / 4, b = (q * dt ** 3) / 2, c = q * dt * dt;
    p[0] += a;
    p[2] += b;
    p[8] += b;
    p[10] += c;
    p[5] += a;
    p[7] += b;
    p[13] += b;
    p[15] += c;
    this.covariance.set(symmetrize(p, N));
  }

  update(z: PlanarMeasurement, noise: MeasurementNoise): UpdateOutcome {
    const s = this.state;
    const withVelocity = hasVelocity(z);
    const m = withVelocity ? 4 : 2;
    const h = new Float64Array(m * N);
    const r = new Float64Array(m * m);
    const residual = new Float64Array(m);
    for (let i = 0; i < m; i++) h[i * N + i] = 1;
    residual[0] = z.x - s[0];
    residual[1] = z.y - s[1];
    r[0] = r[m + 1] = noise.positionStd ** 2;
    if (withVelocity) {
      residual[2] = z.vx - s[2];
      residual[3] = z.vy - s[3];
      r[2 * m + 2] = r[3 * m + 3] = noise.velocityStd ** 2;
    }
    return ekfUpdate(s, this.covariance, N, residual, h, r, m);
  }

  position(): { x: number; y: number } {
    return { x: this.state[0], y: this.state[1] };
  }

  velocity(): { x: number; y: number } {
    return { x: this.state[2], y: this.state[3] };
  }

  positionCovariance(): Float64Array {
    const p = this.covariance;
    return Float64Array.of(p[0], p[1], p[4], p[5]);
  }

  transform(theta: number, tx: number, ty: number): void {
    const c = Math.cos(theta), sn = Math.sin(theta);
    const s = this.state;
    const [x, y, vx, vy] = s;
    s[0] = c * x - sn * y + tx;
    s[1] = sn * x + c * y + ty;
    s[2] = c * vx - sn * vy;
    s[3] = sn * vx + c * vy;
    const j = Float64Array.of(c, -sn, 0, 0, sn, c, 0, 0, 0, 0, c, -sn, 0, 0, sn, c);
    this.covariance.set(symmetrize(sandwich(j, this.covariance, N, N), N));
  }
}
