import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { createRng } from '../engine/core/prng.js';
import {
  buildPillars,
  buildPillarsAsync,
  gridShape,
  rasterizeBev,
  rasterizeBevAsync,
  rasterizeRadarBev,
  scatterPillars,
  scatterPillarsAsync,
  type BevGrid,
} from './bev.js';
import { backendInfo, loadNative } from './index.js';

const fixture = (path: string): Float32Array => {
  const buf = readFileSync(new URL(`../test/fixtures/${path}`, import.meta.url));
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
};
const NUSCENES = fixture('nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin'); // stride 5
const KITTI = fixture('kitti/000001/velodyne.bin'); // stride 4
const NUSCENES_GRID: BevGrid = { xMin: -51.2, xMax: 51.2, yMin: -51.2, yMax: 51.2, resolution: 0.2 };
const KITTI_GRID: BevGrid = { xMin: 0, xMax: 69.12, yMin: -39.68, yMax: 39.68, resolution: 0.16 };

const nativeOk = loadNative().ok;
const cuda = backendInfo().cudaAvailable;

/** Points in and around a grid with NaN/Inf sprinkled in. */
function randomPoints(n: number, stride: number, seed: number, span = 25): Float32Array {
  const rng = createRng(seed);
  const pts = new Float32Array(n * stride);
  for (let i = 0; i < pts.length; i++) pts[i] = rng.uniform(-span, span);
  for (let i = 0; i < n; i += 97) pts[i * stride + rng.int(0, stride - 1)] = rng.pick([NaN, Infinity, -Infinity]);
  return pts;
}

/** Bit-for-bit equality (vitest's deep equality is too slow for multi-million-element arrays). */
function expectIdentical(a: ArrayBufferView, b: ArrayBufferView, what = 'arrays'): void {
  const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  expect(bytes(a).equals(bytes(b)), `${what} differ`).toBe(true);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const rel = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(rel <= worst)) worst = Number.isNaN(rel) ? Infinity : rel;
  }
  expect(worst, what).toBeLessThanOrEqual(1e-5);
}

/** Counts exact, other channels within 1e-5 relative (in practice the backends agree bit for bit). */
function expectRasterAgreement(a: Float32Array, b: Float32Array, countChannel: number, cells: number): void {
  expectIdentical(a.subarray(countChannel * cells, (countChannel + 1) * cells), b.subarray(countChannel * cells, (countChannel + 1) * cells), 'counts');
  expectClose(a, b, 'raster');
}

const grid40: BevGrid = { xMin: -20, xMax: 20, yMin: -20, yMax: 20, resolution: 0.5 };

describe('gridShape', () => {
  it('takes whole cells without rounding noise', () => {
    expect(gridShape(NUSCENES_GRID)).toEqual({ width: 512, height: 512 });
    expect(gridShape(KITTI_GRID)).toEqual({ width: 432, height: 496 });
    expect(gridShape({ xMin: 0, xMax: 1.05, yMin: 0, yMax: 1, resolution: 0.5 })).toEqual({ width: 3, height: 2 });
  });
});

describe.skipIf(!nativeOk)('rasterizeBev: C++ agrees with the TypeScript reference', () => {
  it('on random points with NaN/Inf and points outside the grid', () => {
    const pts = randomPoints(20_000, 4, 1);
    const cpu = rasterizeBev(pts, 4, undefined, grid40, { backend: 'cpu' });
    const ts = rasterizeBev(pts, 4, undefined, grid40, { backend: 'ts' });
    expectRasterAgreement(cpu.data, ts.data, 3, cpu.width * cpu.height);
    // Every finite point inside the grid is counted once.
    let inside = 0;
    for (let i = 0; i < pts.length; i += 4) {
      if ([0, 1, 2, 3].every((k) => Number.isFinite(pts[i + k])) && pts[i] >= -20 && pts[i] < 20 && pts[i + 1] >= -20 && pts[i + 1] < 20) inside++;
    }
    expect(ts.data.subarray(3 * 6400).reduce((s, v) => s + v, 0)).toBe(inside);
  });

  it('on the real nuScenes sweep (34,688 points) and KITTI 000001', () => {
    expect(NUSCENES.length / 5).toBe(34688);
    for (const [pts, stride, grid] of [[NUSCENES, 5, NUSCENES_GRID], [KITTI, 4, KITTI_GRID]] as const) {
      const cpu = rasterizeBev(pts, stride, { intensity: 3 }, grid, { backend: 'cpu' });
      const ts = rasterizeBev(pts, stride, { intensity: 3 }, grid, { backend: 'ts' });
      const cells = cpu.width * cpu.height;
      expectRasterAgreement(cpu.data, ts.data, 3, cells);
      const occupied = ts.data.subarray(3 * cells).filter((v) => v > 0).length;
      expect(occupied).toBeGreaterThan(5000);
      // max z >= min z wherever something landed
      for (let c = 0; c < cells; c++) if (ts.data[3 * cells + c] > 0) expect(ts.data[c]).toBeGreaterThanOrEqual(ts.data[cells + c]);
    }
  });

  it('reuses out and the async variant matches', async () => {
    const out = new Float32Array(4 * 512 * 512).fill(7);
    const sync = rasterizeBev(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cpu', out });
    expect(sync.data).toBe(out);
    const again = await rasterizeBevAsync(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cpu' });
    expectIdentical(again.data, out);
  });

  it.skipIf(!cuda)('CUDA is bit-identical to the CPU', async () => {
    const cpu = rasterizeBev(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cpu' });
    const gpu = rasterizeBev(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cuda' });
    expectIdentical(gpu.data, cpu.data);
    const pts = randomPoints(50_000, 4, 9);
    expectIdentical(rasterizeBev(pts, 4, undefined, grid40, { backend: 'cuda' }).data, rasterizeBev(pts, 4, undefined, grid40, { backend: 'cpu' }).data);
  });
});

describe.skipIf(!nativeOk)('rasterizeRadarBev', () => {
  const targets = randomPoints(3000, 5, 2, 22); // x, y, vx, vy, rcs
  it('radial velocity from (vx, vy) and from a velocity field agree with the reference', () => {
    for (const fields of [{ vx: 2, vy: 3, rcs: 4 }, { velocity: 2, rcs: 4 }, { velocity: 2 }]) {
      const cpu = rasterizeRadarBev(targets, 5, fields, grid40, { backend: 'cpu' });
      const ts = rasterizeRadarBev(targets, 5, fields, grid40, { backend: 'ts' });
      expectRasterAgreement(cpu.data, ts.data, 2, 6400);
    }
  });

  it('averages radial velocity and keeps the max RCS per cell', () => {
    // Two targets in one cell at bearing 0: radial = vx.
    const t = Float32Array.of(10.1, 0.1, 2, 5, -3, 10.2, 0.2, 4, 0, 7);
    const r = rasterizeRadarBev(t, 5, { vx: 2, vy: 3, rcs: 4 }, grid40, { backend: 'ts' });
    const cell = 40 * 80 + 60; // row 40, col 60 of the 80-wide grid
    expect(r.data[cell + 6400 * 2]).toBe(2);
    expect(r.data[cell + 6400]).toBe(7);
    const expected = (2 * 10.1 + 5 * 0.1) / Math.hypot(10.1, 0.1) / 2 + (4 * 10.2) / Math.hypot(10.2, 0.2) / 2;
    expect(r.data[cell]).toBeCloseTo(expected, 4);
    expectIdentical(rasterizeRadarBev(t, 5, { vx: 2, vy: 3, rcs: 4 }, grid40, { backend: 'cpu' }).data, r.data);
  });
});

describe.skipIf(!nativeOk)('pillars', () => {
  it('buildPillars: C++ equals the reference on nuScenes, KITTI and random points', async () => {
    const cases = [
      [NUSCENES, 5, NUSCENES_GRID, 12000, 32],
      [KITTI, 4, KITTI_GRID, 12000, 32],
      [randomPoints(30_000, 4, 3), 4, grid40, 500, 4], // more pillars than allowed, full pillars
    ] as const;
    for (const [pts, stride, grid, maxPillars, maxPoints] of cases) {
      const cpu = buildPillars(pts, stride, { intensity: 3 }, grid, { backend: 'cpu', maxPillars, maxPoints });
      const ts = buildPillars(pts, stride, { intensity: 3 }, grid, { backend: 'ts', maxPillars, maxPoints });
      expect(cpu.pillarCount).toBe(ts.pillarCount);
      expectIdentical(cpu.coords, ts.coords);
      expectIdentical(cpu.pointCounts, ts.pointCounts);
      expectClose(cpu.features, ts.features, 'features');
      const asyncResult = await buildPillarsAsync(pts, stride, { intensity: 3 }, grid, { backend: 'cpu', maxPillars, maxPoints });
      expectIdentical(asyncResult.features, cpu.features);
    }
  });

  it('decorates each point with the standard 9 PointPillars features', () => {
    // Points 0, 1 and 3 share cell (row 41, col 40) of grid40; point 2 opens the second pillar.
    const pts = Float32Array.of(0.1, 0.6, 1, 10, 0.3, 0.8, 2, 20, 5.2, 5.2, 0, 1, 0.2, 0.7, 3, 30);
    const p = buildPillars(pts, 4, undefined, grid40, { backend: 'ts', maxPillars: 4, maxPoints: 2 });
    expect(p.pillarCount).toBe(2);
    expect(Array.from(p.coords)).toEqual([41, 40, 50, 50, -1, -1, -1, -1]);
    expect(Array.from(p.pointCounts)).toEqual([2, 1, 0, 0]); // the third point of pillar 0 is dropped (maxPoints 2)
    const f = Array.from(p.features.subarray(0, 9));
    const expected = [0.1, 0.6, 1, 10, 0.1 - 0.2, 0.6 - 0.7, 1 - 1.5, 0.1 - 0.25, 0.6 - 0.75];
    f.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(Array.from(p.features.subarray(2 * 9 * 2))).toEqual(new Array(2 * 9 * 2).fill(0));
    expectIdentical(buildPillars(pts, 4, undefined, grid40, { backend: 'cpu', maxPillars: 4, maxPoints: 2 }).features, p.features);
  });

  it('scatterPillars puts [P, C] features on a [C, H, W] canvas; padding skipped, highest index wins', async () => {
    const rng = createRng(4);
    const pillars = 3000, channels = 8, shape = { width: 64, height: 48 };
    const features = Float32Array.from({ length: pillars * channels }, () => rng.normal());
    const coords = Int32Array.from({ length: pillars * 2 }, (_, i) => (i % 2 === 0 ? rng.int(-1, 48) : rng.int(-1, 64)));
    const ts = scatterPillars(features, coords, channels, shape, { backend: 'ts' });
    const cpu = scatterPillars(features, coords, channels, shape, { backend: 'cpu' });
    expectIdentical(cpu, ts);
    expectIdentical(await scatterPillarsAsync(features, coords, channels, shape, { backend: 'cpu' }), ts);
    // The last pillar landing on a valid cell owns it.
    const last = new Map<number, number>();
    for (let p = 0; p < pillars; p++) {
      const r = coords[2 * p], c = coords[2 * p + 1];
      if (r >= 0 && c >= 0 && r < 48 && c < 64) last.set(r * 64 + c, p);
    }
    for (const [cell, p] of last) expect(ts[5 * 64 * 48 + cell]).toBe(features[p * channels + 5]);
    if (cuda) expectIdentical(scatterPillars(features, coords, channels, shape, { backend: 'cuda' }), ts);
  });

  it.skipIf(!cuda)('CUDA pillars are identical to the CPU', () => {
    const cpu = buildPillars(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cpu' });
    const gpu = buildPillars(NUSCENES, 5, undefined, NUSCENES_GRID, { backend: 'cuda' });
    expect(gpu.pillarCount).toBe(cpu.pillarCount);
    expectIdentical(gpu.coords, cpu.coords);
    expectIdentical(gpu.features, cpu.features);
  });
});

describe('robustness', () => {
  const backends = nativeOk ? (['ts', 'cpu'] as const) : (['ts'] as const);
  it('bad arguments throw TypeError / RangeError naming the argument', () => {
    expect(() => rasterizeBev([1, 2, 3] as unknown as Float32Array, 3, undefined, grid40)).toThrow(TypeError);
    expect(() => rasterizeBev(new Float32Array(7), 4, undefined, grid40)).toThrow(/multiple of stride/);
    expect(() => rasterizeBev(new Float32Array(8), 4, { z: 4 }, grid40)).toThrow(RangeError);
    expect(() => rasterizeBev(new Float32Array(8), 4, undefined, { ...grid40, resolution: 0 })).toThrow(/resolution/);
    expect(() => rasterizeBev(new Float32Array(8), 4, undefined, { ...grid40, xMax: NaN })).toThrow(RangeError);
    expect(() => rasterizeBev(new Float32Array(8), 4, undefined, { ...grid40, resolution: 1e-4 })).toThrow(/limit/);
    expect(() => rasterizeBev(new Float32Array(8), 4, undefined, grid40, { out: new Float32Array(3) })).toThrow(/too short/);
    expect(() => rasterizeBev(new Float32Array(8), 4, undefined, grid40, { backend: 'gpu' as never })).toThrow(TypeError);
    expect(() => rasterizeRadarBev(new Float32Array(8), 4, { vx: 2 }, grid40)).toThrow(/together/);
    expect(() => buildPillars(new Float32Array(8), 4, undefined, grid40, { maxPoints: 0 })).toThrow(RangeError);
    expect(() => scatterPillars(new Float32Array(5), new Int32Array(4), 2, { width: 4, height: 4 })).toThrow(/features.length/);
    expect(() => scatterPillars(new Float32Array(4), new Int32Array(4), 2, { width: 0, height: 4 })).toThrow(RangeError);
  });

  it('empty input gives an empty raster and no pillars', () => {
    for (const backend of backends) {
      const r = rasterizeBev(new Float32Array(0), 4, undefined, grid40, { backend });
      expect(r.data.every((v) => v === 0)).toBe(true);
      expect(buildPillars(new Float32Array(0), 4, undefined, grid40, { backend, maxPillars: 10 }).pillarCount).toBe(0);
      expect(rasterizeRadarBev(new Float32Array(0), 4, { velocity: 2 }, grid40, { backend }).data.every((v) => v === 0)).toBe(true);
    }
  });

  it.skipIf(!nativeOk)('the addon itself rejects sizes that would overflow its buffers', () => {
    const addon = loadNative() as unknown as { ok: true; addon: Record<string, (...args: unknown[]) => unknown> };
    const grid = Float64Array.of(-20, -20, 0.5, 80, 80);
    expect(() => addon.addon.rasterizeBev(new Float32Array(8), 4, Int32Array.of(0, 1, 2, 3), grid, new Float32Array(10), 'cpu')).toThrow(RangeError);
    expect(() => addon.addon.rasterizeBev(new Float32Array(8), 4, Int32Array.of(0, 1, 9, 3), grid, new Float32Array(4 * 6400), 'cpu')).toThrow(RangeError);
    expect(() => addon.addon.scatterPillars(new Float32Array(4), 4, 2, new Int32Array(8), 4, 4, new Float32Array(32), 'cpu')).toThrow(RangeError);
  });
});
