import { describe, expect, it } from 'vitest';
import { convexHull, minAreaRect } from '../../native/reference/cluster.js';
import { fitLShape } from './box-fit.js';

/** Points along the two faces of a length × width box centred at (cx, cy), turned by yaw, that a sensor at the origin sees. */
function lShape(cx: number, cy: number, yaw: number, length: number, width: number, step = 0.1): Float64Array {
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const local: [number, number][] = [];
  // The near end (−length/2) and the near side (−width/2) for a box ahead and to the left of the sensor.
  for (let v = -width / 2; v <= width / 2 + 1e-9; v += step) local.push([-length / 2, v]);
  for (let u = -length / 2 + step; u <= length / 2 + 1e-9; u += step) local.push([u, -width / 2]);
  const out = new Float64Array(2 * local.length);
  local.forEach(([u, v], i) => {
    out[2 * i] = cx + c * u - s * v;
    out[2 * i + 1] = cy + s * u + c * v;
  });
  return out;
}

describe('fitLShape', () => {
  it('finds the heading and the extents of a box seen on two faces', () => {
    const yaw = 0.5;
    const xy = lShape(15, 4, yaw, 4.5, 1.9);
    const r = fitLShape(xy, xy.length / 2);
    expect(r.yaw).toBeCloseTo(yaw, 1);
    const sides = [r.maxU - r.minU, r.maxV - r.minV].sort((a, b) => b - a);
    expect(sides[0]).toBeCloseTo(4.5, 1);
    expect(sides[1]).toBeCloseTo(1.9, 1);
  });

  it('gives headings in [0, π/2): a box turned by a quarter is the same box', () => {
    const xy = lShape(10, -3, 0.3 + Math.PI / 2, 4, 2);
    const r = fitLShape(xy, xy.length / 2);
    expect(r.yaw).toBeGreaterThanOrEqual(0);
    expect(r.yaw).toBeLessThan(Math.PI / 2);
    expect(r.yaw).toBeCloseTo(0.3, 1);
  });

  it('is not turned by a few stray points, as a minimum-area rectangle would be', () => {
    const clean = lShape(12, 2, 0, 4.5, 1.9);
    const n = clean.length / 2;
    const xy = new Float64Array(clean.length + 4);
    xy.set(clean);
    // A mirror and an antenna off the box.
    xy.set([10.2, 0.6, 14.6, 3.4], clean.length);
    const r = fitLShape(xy, n + 2);
    expect(Math.min(r.yaw, Math.PI / 2 - r.yaw)).toBeLessThan(0.04);
    const points = Array.from({ length: n + 2 }, (_, i) => [xy[2 * i], xy[2 * i + 1]] as const);
    const hullBox = minAreaRect(convexHull(points));
    const off = Math.abs(hullBox.yaw) % (Math.PI / 2);
    expect(Math.min(off, Math.PI / 2 - off)).toBeGreaterThan(0.05);
  });

  it('takes a single face (a car seen end-on) along its own direction', () => {
    const xy = new Float64Array(40);
    for (let i = 0; i < 20; i++) {
      xy[2 * i] = 20;
      xy[2 * i + 1] = -0.95 + (1.9 * i) / 19;
    }
    const r = fitLShape(xy, 20);
    const across = Math.abs(Math.cos(r.yaw)) > 0.5 ? r.maxV - r.minV : r.maxU - r.minU;
    expect(across).toBeCloseTo(1.9, 2);
  });

  it('has no extent without points', () => {
    expect(fitLShape(new Float64Array(0), 0)).toEqual({ yaw: 0, minU: 0, maxU: 0, minV: 0, maxV: 0 });
  });
});
