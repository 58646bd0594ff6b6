import { describe, expect, it } from 'vitest';
import { CvFilter } from './kalman-cv.js';

const noise = { positionStd: 1, yawStd: Infinity, velocityStd: 0.5 };

describe('CvFilter', () => {
  it('predicts state and covariance by the white-acceleration model', () => {
    const f = new CvFilter({ x: 0, y: 0, vx: 1, vy: 2, positionStd: 1, velocityStd: 2 }, { accelStd: 0.5, yawAccelStd: 0 });
    f.predict(0.1);
    expect(f.state[0]).toBeCloseTo(0.1, 14);
    expect(f.state[1]).toBeCloseTo(0.2, 14);
    const p = f.covariance;
    // P_xx = 1 + dt²·4 + q·dt⁴/4, P_x,vx = dt·4 + q·dt³/2, P_vx,vx = 4 + q·dt², q = 0.25
    expect(p[0]).toBeCloseTo(1.04000625, 12);
    expect(p[2]).toBeCloseTo(0.400125, 12);
    expect(p[8]).toBeCloseTo(0.400125, 12);
    expect(p[10]).toBeCloseTo(4.0025, 12);
    expect(p[5]).toBeCloseTo(1.04000625, 12);
    expect(p[1]).toBe(0);
  });

  it('updates position by the Kalman gain, and velocity through its correlation', () => {
    const f = new CvFilter({ x: 0, y: 0, vx: 1, vy: 2, positionStd: 1, velocityStd: 2 }, { accelStd: 0.5, yawAccelStd: 0 });
    f.predict(0.1);
    const s = 1.04000625 + 1;
    const kx = 1.04000625 / s, kv = 0.400125 / s;
    f.update({ x: 1.1, y: 0.2 }, noise);
    expect(f.state[0]).toBeCloseTo(0.1 + kx * 1.0, 12);
    expect(f.state[2]).toBeCloseTo(1 + kv * 1.0, 12);
    expect(f.state[1]).toBeCloseTo(0.2, 12);
    expect(f.state[3]).toBeCloseTo(2, 12);
    expect(f.covariance[0]).toBeCloseTo(1.04000625 - 1.04000625 ** 2 / s, 12);
    expect(f.covariance[10]).toBeCloseTo(4.0025 - 0.400125 ** 2 / s, 12);
    expect(f.covariance[2]).toBeCloseTo(0.400125 - (1.04000625 * 0.400125) / s, 12);
  });

  it('halves the variance when prior and measurement are equally certain', () => {
    const f = new CvFilter({ x: 0, y: 0, positionStd: 1, velocityStd: 2 }, { accelStd: 1, yawAccelStd: 0 });
    f.update({ x: 2, y: -2 }, noise);
    expect([...f.state]).toEqual([1, -1, 0, 0]);
    expect(f.covariance[0]).toBeCloseTo(0.5, 15);
    expect(f.covariance[10]).toBe(4);
  });

  it('takes a measured velocity', () => {
    const f = new CvFilter({ x: 0, y: 0, positionStd: 1, velocityStd: 2 }, { accelStd: 1, yawAccelStd: 0 });
    // velocity prior variance 4, measurement 0.25: gain 4 / 4.25
    f.update({ x: 0, y: 0, vx: 4.25, vy: 0 }, noise);
    expect(f.state[2]).toBeCloseTo(4, 12);
    expect(f.covariance[10]).toBeCloseTo(1 / (1 / 4 + 1 / 0.25), 12);
  });

  it('moves into another frame: rotated state and covariance', () => {
    const f = new CvFilter({ x: 1, y: 0, vx: 2, vy: 0, positionStd: 1, velocityStd: 1 }, { accelStd: 1, yawAccelStd: 0 });
    f.covariance[0] = 4; // var x = 4, var y = 1
    f.transform(Math.PI / 2, 10, 20);
    expect(f.state[0]).toBeCloseTo(10, 12);
    expect(f.state[1]).toBeCloseTo(21, 12);
    expect(f.state[2]).toBeCloseTo(0, 12);
    expect(f.state[3]).toBeCloseTo(2, 12);
    const pc = f.positionCovariance();
    expect(pc[0]).toBeCloseTo(1, 12);
    expect(pc[3]).toBeCloseTo(4, 12);
    expect(pc[1]).toBeCloseTo(0, 12);
  });

  it('estimates a constant velocity from noisy positions', () => {
    const f = new CvFilter({ x: 0, y: 0, positionStd: 0.3, velocityStd: 10 }, { accelStd: 1, yawAccelStd: 0 });
    for (let k = 1; k <= 20; k++) {
      f.predict(0.1);
      f.update({ x: 0.5 * k, y: -0.3 * k }, { positionStd: 0.3, yawStd: Infinity, velocityStd: 1 });
    }
    expect(f.state[2]).toBeCloseTo(5, 1);
    expect(f.state[3]).toBeCloseTo(-3, 1);
  });
});
