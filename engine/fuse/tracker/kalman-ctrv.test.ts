import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import { CtrvFilter } from './kalman-ctrv.js';
import { CvFilter } from './kalman-cv.js';
import { sandwich } from './linalg.js';

const NO_NOISE = { accelStd: 0, yawAccelStd: 0 };

describe('CtrvFilter', () => {
  it('moves on a circle of radius v/ω', () => {
    const f = new CtrvFilter({ x: 0, y: 0, yaw: 0, speed: 10, yawRate: 0.5, positionStd: 1, yawStd: 0.1, speedStd: 1, yawRateStd: 0.1 }, NO_NOISE);
    f.predict(1);
    expect(f.state[0]).toBeCloseTo(20 * Math.sin(0.5), 12);
    expect(f.state[1]).toBeCloseTo(20 * (1 - Math.cos(0.5)), 12);
    expect(f.state[2]).toBeCloseTo(0.5, 12);
    expect(f.velocity().x).toBeCloseTo(10 * Math.cos(0.5), 12);
  });

  it('in the straight-line limit predicts what a CV filter does, mean and covariance', () => {
    const yaw = 0.7, v = 8, dt = 0.1;
    const ctrv = new CtrvFilter({ x: 3, y: -2, yaw, speed: v, yawRate: 0, positionStd: 0.5, yawStd: 0.2, speedStd: 1.5, yawRateStd: 0 }, NO_NOISE);
    // The same uncertainty in (x, y, vx, vy): J = ∂(x, y, v cos ψ, v sin ψ)/∂(x, y, ψ, v).
    const c = Math.cos(yaw), s = Math.sin(yaw);
    const j = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -v * s, c, 0, 0, v * c, s);
    const p4 = new Float64Array(16);
    for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) p4[r * 4 + k] = ctrv.covariance[r * 5 + k];
    const cv = CvFilter.fromState([3, -2, v * c, v * s], sandwich(j, p4, 4, 4), NO_NOISE);
    for (let k = 0; k < 5; k++) {
      ctrv.predict(dt);
      cv.predict(dt);
    }
    expect(ctrv.state[0]).toBeCloseTo(cv.state[0], 12);
    expect(ctrv.state[1]).toBeCloseTo(cv.state[1], 12);
    expect(ctrv.velocity().x).toBeCloseTo(cv.state[2], 12);
    expect(ctrv.velocity().y).toBeCloseTo(cv.state[3], 12);
    const pc = ctrv.positionCovariance(), pv = cv.positionCovariance();
    for (let i = 0; i < 4; i++) expect(pc[i]).toBeCloseTo(pv[i], 10);
    const vc = ctrv.velocityCovariance();
    expect(vc[0]).toBeCloseTo(cv.covariance[10], 10);
    expect(vc[1]).toBeCloseTo(cv.covariance[11], 10);
    expect(vc[3]).toBeCloseTo(cv.covariance[15], 10);
  });

  it('is continuous as the yaw rate goes to zero', () => {
    const make = (w: number) => new CtrvFilter({ x: 0, y: 0, yaw: 1, speed: 12, yawRate: w, positionStd: 1, yawStd: 0.1, speedStd: 1, yawRateStd: 0.2 }, { accelStd: 2, yawAccelStd: 1 });
    const a = make(0), b = make(2e-6);
    a.predict(0.5);
    b.predict(0.5);
    for (let i = 0; i < 2; i++) expect(a.state[i]).toBeCloseTo(b.state[i], 4);
    for (let i = 0; i < 25; i++) expect(a.covariance[i]).toBeCloseTo(b.covariance[i], 4);
  });

  it('has the Jacobian of its own motion (finite differences)', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 20; trial++) {
      const x0 = [rng.uniform(-5, 5), rng.uniform(-5, 5), rng.uniform(-3, 3), rng.uniform(0.5, 15), trial % 4 === 0 ? 0 : rng.uniform(-0.8, 0.8)];
      const dt = rng.uniform(0.05, 0.5);
      const mean = (x: number[]): Float64Array => {
        const f = CtrvFilter.fromState(x, new Float64Array(25), NO_NOISE);
        f.predict(dt);
        return f.state;
      };
      // Unit covariance, no process noise: predicted P = F Fᵀ; compare with F from differences.
      const eye = new Float64Array(25);
      for (let i = 0; i < 5; i++) eye[i * 5 + i] = 1;
      const f = CtrvFilter.fromState(x0, eye, NO_NOISE);
      f.predict(dt);
      const fd = new Float64Array(25);
      for (let k = 0; k < 5; k++) {
        // Steps in ω stay clear of the straight-line switch (|ω| ≤ 1e-6), which the Jacobian spans by its limit.
        const h = k === 4 ? 1e-4 : 1e-6;
        const up = [...x0], down = [...x0];
        up[k] += h;
        down[k] -= h;
        const a = mean(up), b = mean(down);
        for (let i = 0; i < 5; i++) fd[i * 5 + k] = (i === 2 ? Math.atan2(Math.sin(a[i] - b[i]), Math.cos(a[i] - b[i])) : a[i] - b[i]) / (2 * h);
      }
      const expected = sandwich(fd, eye, 5, 5);
      for (let i = 0; i < 25; i++) expect(f.covariance[i]).toBeCloseTo(expected[i], 4);
    }
  });

  it('treats the box yaw as known modulo π', () => {
    const f = new CtrvFilter({ x: 0, y: 0, yaw: 0.2, speed: 5, positionStd: 1, yawStd: 0.3, speedStd: 1, yawRateStd: 0.1 }, NO_NOISE);
    f.update({ x: 0, y: 0, yaw: 0.2 + Math.PI + 0.1 }, { positionStd: 1, yawStd: 0.3, velocityStd: 1 });
    // yaw variance 0.09 = R: half of the 0.1 residual
    expect(f.state[2]).toBeCloseTo(0.25, 10);
    expect(f.state[3]).toBe(5);
  });

  it('keeps the speed positive by turning round when a velocity says it goes the other way', () => {
    const f = new CtrvFilter({ x: 0, y: 0, yaw: 0, speed: 0, positionStd: 1, yawStd: 0.1, speedStd: 10, yawRateStd: 0.1 }, NO_NOISE);
    f.update({ x: 0, y: 0, vx: -6, vy: 0 }, { positionStd: 1, yawStd: 0.3, velocityStd: 0.3 });
    expect(f.state[3]).toBeGreaterThan(5);
    expect(Math.abs(f.state[2])).toBeCloseTo(Math.PI, 6);
    expect(f.velocity().x).toBeLessThan(-5);
  });

  it('learns the yaw rate of a turning object', () => {
    const rng = createRng(5);
    const w = 0.3, v = 10;
    const f = new CtrvFilter({ x: 0, y: 0, yaw: 0, positionStd: 0.3, yawStd: 0.2, speedStd: 10, yawRateStd: 0.5 }, { accelStd: 2, yawAccelStd: 1 });
    for (let k = 1; k <= 40; k++) {
      const t = 0.1 * k;
      f.predict(0.1);
      f.update(
        { x: (v / w) * Math.sin(w * t) + 0.1 * rng.normal(), y: (v / w) * (1 - Math.cos(w * t)) + 0.1 * rng.normal(), yaw: w * t + 0.05 * rng.normal() },
        { positionStd: 0.3, yawStd: 0.2, velocityStd: 1 },
      );
    }
    expect(f.state[4]).toBeCloseTo(w, 1);
    expect(f.state[3]).toBeCloseTo(v, 0);
  });
});
