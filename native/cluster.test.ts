import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { createRng } from '../engine/core/prng.js';
import type { BevGrid } from './bev.js';
import { clusterBev, clusterBevAsync, clusterBevPacked, LABEL_GROUND, LABEL_NOISE, LABEL_OUTSIDE, type ClusterOptions } from './cluster.js';
import { backendInfo, loadNative } from './index.js';
import { convexHull, minAreaRect } from './reference/cluster.js';

const fixtureUrl = (path: string): URL => new URL(`../test/fixtures/${path}`, import.meta.url);
const floats = (path: string): Float32Array => {
  const buf = readFileSync(fixtureUrl(path));
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
};
const NUSCENES = floats('nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin'); // stride 5
const KITTI = floats('kitti/000001/velodyne.bin'); // stride 4
// The info file has bare NaN velocities, which JSON.parse rejects.
const INFO = JSON.parse(readFileSync(fixtureUrl('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json'), 'utf8').replace(/\bNaN\b/g, 'null')) as {
  data_list: { instances: { bbox_3d: number[]; num_lidar_pts: number }[] }[];
};

const GRID: BevGrid = { xMin: -50, xMax: 50, yMin: -50, yMax: 50, resolution: 0.3 };
// The nuScenes LiDAR sits 1.84 m above the road: nothing above −1.3 m in the sensor frame is ground.
const NUSCENES_OPTIONS: ClusterOptions = { groundThreshold: 0.25, maxGroundZ: -1.3, minPoints: 3 };
// KITTI's Velodyne is at 1.73 m.
const KITTI_OPTIONS: ClusterOptions = { groundThreshold: 0.25, maxGroundZ: -1.2, minPoints: 3 };

const nativeOk = loadNative().ok;
const cuda = backendInfo().cudaAvailable;

function expectClose(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const rel = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, Number.isNaN(rel) ? Infinity : rel);
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
}

function expectAgreement(points: Float32Array, stride: number, grid: BevGrid, options: ClusterOptions, other: 'cpu' | 'cuda' = 'cpu'): number {
  const ts = clusterBevPacked(points, stride, grid, { ...options, backend: 'ts' });
  const native = clusterBevPacked(points, stride, grid, { ...options, backend: other });
  expect(Buffer.from(native.labels.buffer).equals(Buffer.from(ts.labels.buffer))).toBe(true);
  expectClose(native.records, ts.records);
  return ts.records.length / 12;
}

/** A flat ground grid of points at z = −1.8 with a few upright boxes of points on it. */
function syntheticScene(seed: number): { points: Float32Array; boxes: { x: number; y: number; l: number; w: number; yaw: number }[] } {
  const rng = createRng(seed);
  const pts: number[] = [];
  for (let x = -30; x < 30; x += 0.4) for (let y = -30; y < 30; y += 0.4) pts.push(x + rng.uniform(0, 0.1), y + rng.uniform(0, 0.1), -1.8 + rng.normal() * 0.02);
  const boxes = [
    { x: 10, y: 5, l: 4.5, w: 1.8, yaw: 0.4 },
    { x: -12, y: -8, l: 2, w: 1, yaw: -1.2 },
    { x: 3, y: -20, l: 6, w: 2.5, yaw: 1.5 },
  ];
  for (const b of boxes) {
    const c = Math.cos(b.yaw), s = Math.sin(b.yaw);
    for (let k = 0; k < 400; k++) {
      // Points on the box's outline (what a LiDAR sees), heights 0.2..1.5 m above ground.
      const t = rng.next() * 2 * (b.l + b.w);
      let a: number, d: number;
      if (t < b.l) [a, d] = [t - b.l / 2, -b.w / 2];
      else if (t < b.l + b.w) [a, d] = [b.l / 2, t - b.l - b.w / 2];
      else if (t < 2 * b.l + b.w) [a, d] = [t - b.l - b.w - b.l / 2, b.w / 2];
      else [a, d] = [-b.l / 2, t - 2 * b.l - b.w - b.w / 2];
      pts.push(b.x + a * c - d * s, b.y + a * s + d * c, -1.6 + rng.uniform(0, 1.3));
    }
  }
  pts.push(NaN, 0, 0, 0, Infinity, 0, 100, 100, 0); // non-finite and outside
  return { points: Float32Array.from(pts), boxes };
}

describe.skipIf(!nativeOk)('clusterBev: C++ agrees with the TypeScript reference', () => {
  it('on a synthetic scene, finding each box with its size and orientation', () => {
    const { points, boxes } = syntheticScene(1);
    const grid: BevGrid = { xMin: -32, xMax: 32, yMin: -32, yMax: 32, resolution: 0.4 };
    expect(expectAgreement(points, 3, grid, { minPoints: 5 })).toBe(3);
    const { labels, clusters } = clusterBev(points, 3, grid, { minPoints: 5, backend: 'cpu' });
    expect(clusters.map((c) => c.id)).toEqual([0, 1, 2]);
    const n = points.length / 3;
    expect(labels[n - 3]).toBe(LABEL_OUTSIDE);
    expect(labels[n - 1]).toBe(LABEL_OUTSIDE);
    expect(labels.filter((l) => l === LABEL_GROUND).length).toBeGreaterThan(20000);
    for (const b of boxes) {
      const c = clusters.find((k) => Math.hypot(k.box.cx - b.x, k.box.cy - b.y) < 0.2);
      expect(c, `box at ${b.x},${b.y}`).toBeDefined();
      expect(c!.count).toBe(400);
      expect(c!.box.length).toBeCloseTo(b.l, 0);
      expect(c!.box.width).toBeCloseTo(b.w, 0);
      expect(c!.box.length).toBeGreaterThanOrEqual(c!.box.width);
      expect(c!.box.yaw).toBeGreaterThan(-Math.PI / 2);
      expect(c!.box.yaw).toBeLessThanOrEqual(Math.PI / 2);
      expect(Math.abs(c!.box.yaw - b.yaw)).toBeLessThan(0.05);
    }
    // Ids follow the lowest cell index: cluster 0 starts in a lower row than cluster 2.
    const firstRow = (id: number): number => Math.min(...Array.from(labels.keys()).filter((i) => labels[i] === id).map((i) => Math.floor((points[3 * i + 1] + 32) / 0.4)));
    expect(firstRow(0)).toBeLessThanOrEqual(firstRow(1));
    expect(firstRow(1)).toBeLessThanOrEqual(firstRow(2));
  });

  it('on random points with linkRadius 2 and minPoints noise', () => {
    const rng = createRng(5);
    const points = Float32Array.from({ length: 3 * 8000 }, (_, i) => (i % 3 === 2 ? rng.uniform(-2, 1) : rng.uniform(-25, 25)));
    const count = expectAgreement(points, 3, { xMin: -20, xMax: 20, yMin: -20, yMax: 20, resolution: 0.25 }, { linkRadius: 2, minPoints: 4, groundThreshold: 0.1 });
    expect(count).toBeGreaterThan(10);
    const r = clusterBev(points, 3, { xMin: -20, xMax: 20, yMin: -20, yMax: 20, resolution: 0.25 }, { minPoints: 4, backend: 'cpu' });
    expect(r.labels.some((l) => l === LABEL_NOISE)).toBe(true);
  });

  it('on the real nuScenes sweep and KITTI 000001', () => {
    expect(expectAgreement(NUSCENES, 5, GRID, NUSCENES_OPTIONS)).toBeGreaterThan(50);
    expect(expectAgreement(KITTI, 4, { xMin: 0, xMax: 70, yMin: -40, yMax: 40, resolution: 0.3 }, KITTI_OPTIONS)).toBeGreaterThan(30);
  });

  it('on the nuScenes sweep with other ground windows and link radii, and on grids one row or column wide', () => {
    // Rows link in two bands, and links reach across the split by up to linkRadius rows.
    for (const [groundRadius, linkRadius] of [[0, 1], [2, 3], [1, 16]]) {
      expect(expectAgreement(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, groundRadius, linkRadius })).toBeGreaterThanOrEqual(10);
    }
    expect(expectAgreement(NUSCENES, 5, { xMin: -50, xMax: 50, yMin: -0.3, yMax: 0, resolution: 0.01 }, NUSCENES_OPTIONS)).toBeGreaterThan(0);
    expect(expectAgreement(NUSCENES, 5, { xMin: -0.3, xMax: 0, yMin: -50, yMax: 50, resolution: 0.01 }, { ...NUSCENES_OPTIONS, linkRadius: 2 })).toBeGreaterThan(0);
  });

  it('finds clusters at the ground-truth objects of the nuScenes sample', () => {
    const { clusters } = clusterBev(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, backend: 'cpu' });
    // bbox_3d = [x, y, z(centre), l, w, h, yaw] in the LiDAR frame.
    const near = INFO.data_list[0].instances.filter((inst) => Math.hypot(inst.bbox_3d[0], inst.bbox_3d[1]) <= 40);
    const found = near.filter((inst) => clusters.some((c) => Math.hypot(c.centroid.x - inst.bbox_3d[0], c.centroid.y - inst.bbox_3d[1]) < 2));
    expect(near.length).toBe(38);
    // Measured: 33 of 38; the misses are objects with 0–4 LiDAR points.
    expect(found.length).toBeGreaterThanOrEqual(30);
    const missedWithManyPoints = near.filter((inst) => !found.includes(inst) && inst.num_lidar_pts >= 20);
    expect(missedWithManyPoints).toEqual([]);
  });

  it('async and reused labels give the same result', async () => {
    const labels = new Int32Array(NUSCENES.length / 5).fill(99);
    const sync = clusterBev(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, backend: 'cpu', labels });
    expect(sync.labels).toBe(labels);
    const again = await clusterBevAsync(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, backend: 'cpu' });
    expect(Buffer.from(again.labels.buffer).equals(Buffer.from(labels.buffer))).toBe(true);
    expect(again.clusters).toEqual(sync.clusters);
  });

  it('concurrent calls over different grids each give what one call at a time gives', async () => {
    // The addon keeps per-cell scratch between calls and shares one thread pool: calls that run
    // at once, or follow one on a larger grid, must not see each other's state.
    const grids: BevGrid[] = [
      { xMin: -80, xMax: 80, yMin: -80, yMax: 80, resolution: 0.2 },
      GRID,
      { xMin: -20, xMax: 30, yMin: -10, yMax: 15, resolution: 0.5 },
    ];
    const one = grids.map((grid) => clusterBev(NUSCENES, 5, grid, { ...NUSCENES_OPTIONS, backend: 'cpu' }));
    const together = await Promise.all(
      [...grids, ...grids].map((grid) => clusterBevAsync(NUSCENES, 5, grid, { ...NUSCENES_OPTIONS, backend: 'cpu' })),
    );
    together.forEach((result, i) => {
      const expected = one[i % grids.length];
      expect(Buffer.from(result.labels.buffer).equals(Buffer.from(expected.labels.buffer))).toBe(true);
      expect(result.clusters).toEqual(expected.clusters);
    });
    expect(one[2].clusters.length).toBeLessThan(one[0].clusters.length);
    expectAgreement(NUSCENES, 5, grids[2], NUSCENES_OPTIONS);
  });

  it.skipIf(!cuda)('CUDA gives the same labels, ids and statistics', () => {
    expectAgreement(NUSCENES, 5, GRID, NUSCENES_OPTIONS, 'cuda');
    const ts = clusterBevPacked(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, backend: 'cpu' });
    const gpu = clusterBevPacked(NUSCENES, 5, GRID, { ...NUSCENES_OPTIONS, backend: 'cuda' });
    expect(Buffer.from(gpu.records.buffer).equals(Buffer.from(ts.records.buffer))).toBe(true);
  });
});

describe('minimum-area rectangle', () => {
  it('recovers a rotated rectangle with length ≥ width and yaw in (−π/2, π/2]', () => {
    for (const yaw of [0, 0.3, Math.PI / 2, -1.2, 2.5, -Math.PI / 2 + 1e-3]) {
      const c = Math.cos(yaw), s = Math.sin(yaw);
      const corners = [[-2, -1], [2, -1], [2, 1], [-2, 1], [0, 0], [1, 0.5]].map(([a, b]) => [5 + a * c - b * s, -3 + a * s + b * c] as const);
      const box = minAreaRect(convexHull(corners));
      expect(box.length).toBeCloseTo(4, 9);
      expect(box.width).toBeCloseTo(2, 9);
      expect(box.cx).toBeCloseTo(5, 9);
      expect(box.cy).toBeCloseTo(-3, 9);
      let expected = yaw;
      while (expected > Math.PI / 2) expected -= Math.PI;
      while (expected <= -Math.PI / 2) expected += Math.PI;
      expect(box.yaw).toBeCloseTo(expected, 9);
    }
  });

  it('handles one point and collinear points', () => {
    expect(minAreaRect(convexHull([[1, 2]]))).toEqual({ cx: 1, cy: 2, length: 0, width: 0, yaw: 0 });
    const line = minAreaRect(convexHull([[0, 0], [0, 1], [0, 3]]));
    expect(line).toMatchObject({ cx: 0, cy: 1.5, length: 3, width: 0 });
    expect(line.yaw).toBeCloseTo(Math.PI / 2, 12);
  });
});

describe('robustness', () => {
  const grid: BevGrid = { xMin: -10, xMax: 10, yMin: -10, yMax: 10, resolution: 0.5 };
  it('bad arguments throw TypeError / RangeError', () => {
    expect(() => clusterBev(new Float64Array(6) as unknown as Float32Array, 3, grid)).toThrow(TypeError);
    expect(() => clusterBev(new Float32Array(6), 2, grid)).toThrow(RangeError);
    expect(() => clusterBev(new Float32Array(6), 3, grid, { linkRadius: 0 })).toThrow(/linkRadius/);
    expect(() => clusterBev(new Float32Array(6), 3, grid, { groundThreshold: NaN })).toThrow(RangeError);
    expect(() => clusterBev(new Float32Array(6), 3, grid, { fields: { z: 3 } })).toThrow(/fields.z/);
    expect(() => clusterBev(new Float32Array(6), 3, grid, { labels: new Int32Array(1) })).toThrow(/too short/);
    expect(() => clusterBev(new Float32Array(6), 3, grid, { minPoints: 1.5 })).toThrow(RangeError);
  });

  it('empty and all-NaN input give no clusters', () => {
    for (const backend of nativeOk ? (['ts', 'cpu'] as const) : (['ts'] as const)) {
      expect(clusterBev(new Float32Array(0), 3, grid, { backend }).clusters).toEqual([]);
      const nan = clusterBev(new Float32Array(9).fill(NaN), 3, grid, { backend });
      expect(nan.clusters).toEqual([]);
      expect(Array.from(nan.labels)).toEqual([LABEL_OUTSIDE, LABEL_OUTSIDE, LABEL_OUTSIDE]);
    }
  });
});
