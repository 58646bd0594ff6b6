import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { createRng } from '../engine/core/prng.js';
import { associateBoxes, hungarian, type AssociableCluster, type CameraModel } from './associate.js';
import { clusterBev } from './cluster.js';
import { backendInfo, loadNative } from './index.js';

const fixtureUrl = (path: string): URL => new URL(`../test/fixtures/${path}`, import.meta.url);
const buf = readFileSync(fixtureUrl('nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin'));
const NUSCENES = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
interface CamInfo { cam2img: number[][]; lidar2cam: number[][] }
const SAMPLE = (JSON.parse(readFileSync(fixtureUrl('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json'), 'utf8').replace(/\bNaN\b/g, 'null')) as {
  data_list: { images: Record<string, CamInfo>; cam_instances: Record<string, { bbox: number[] }[]> }[];
}).data_list[0];
const CAMERA_NAMES = Object.keys(SAMPLE.images);

/** nuScenes images are already undistorted: pinhole intrinsics, lidar2cam as the extrinsic. */
const nuscenesCameras: CameraModel[] = CAMERA_NAMES.map((name) => {
  const { cam2img: k, lidar2cam } = SAMPLE.images[name];
  return { width: 1600, height: 900, fx: k[0][0], fy: k[1][1], cx: k[0][2], cy: k[1][2], distortion: [], cameraFromSensor: Float64Array.from(lidar2cam.flat()) };
});
const nuscenesBoxes = CAMERA_NAMES.map((name) => (SAMPLE.cam_instances[name] ?? []).flatMap((inst) => inst.bbox));

const nativeOk = loadNative().ok;
const cuda = backendInfo().cudaAvailable;

// Sensor x forward, y left, z up → optical x right, y down, z forward.
const FORWARD = Float64Array.of(0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 1);
const pinhole: CameraModel = { width: 100, height: 100, fx: 100, fy: 100, cx: 50, cy: 50, distortion: [0, 0, 0, 0, 0], cameraFromSensor: FORWARD };
const cluster = (id: number, cx: number, cy: number, length = 2, width = 2, yaw = 0, minZ = -1, maxZ = 1): AssociableCluster => ({ id, minZ, maxZ, box: { cx, cy, length, width, yaw } });

describe('associateBoxes', () => {
  it('projects a box ahead of the camera onto its image rectangle', () => {
    const r = associateBoxes([cluster(7, 10, 0)], [pinhole], [[50 - 100 / 9, 50 - 100 / 9, 50 + 100 / 9, 50 + 100 / 9]], { backend: 'ts' });
    expect(Array.from(r.rects)).toEqual([50 - 100 / 9, 50 - 100 / 9, 50 + 100 / 9, 50 + 100 / 9].map((v) => expect.closeTo(v, 9)));
    expect(r.assignments).toEqual([{ camera: 0, box: 0, cluster: 0, clusterId: 7, iou: expect.closeTo(1, 9) }]);
  });

  it('clips a box that straddles the camera at the near plane and the image border; boxes behind are invisible', () => {
    const r = associateBoxes([cluster(0, 0.5, 0, 3, 1), cluster(1, -10, 0)], [pinhole], [[0, 0, 100, 100]], { backend: 'ts' });
    expect(Array.from(r.rects.subarray(0, 4))).toEqual([0, 0, 100, 100]);
    expect(Array.from(r.rects.subarray(4, 8)).every(Number.isNaN)).toBe(true);
    expect(r.iou[1]).toBe(0);
    expect(r.assignments.map((a) => a.cluster)).toEqual([0]);
  });

  it('assigns one to one per camera, preferring more matches over one greedy best pair', () => {
    // Cluster 0 overlaps both boxes (best with box 0); cluster 1 overlaps only box 0.
    const clusters = [cluster(0, 10, 0.25, 2, 2.5), cluster(1, 10, 1)];
    const boxes = [[50 - 100 / 9, 50 - 100 / 9, 50 + 100 / 9 + 10, 50 + 100 / 9], [50 - 100 / 9 - 3, 50 - 100 / 9, 50 + 100 / 9 - 12, 50 + 100 / 9]];
    const flat = boxes.flat();
    const hungarianPairs = associateBoxes(clusters, [pinhole], [flat], { backend: 'ts', iouThreshold: 0.1 }).assignments;
    const greedyPairs = associateBoxes(clusters, [pinhole], [flat], { backend: 'ts', iouThreshold: 0.1, method: 'greedy' }).assignments;
    expect(hungarianPairs.length).toBeGreaterThanOrEqual(greedyPairs.length);
    expect(new Set(hungarianPairs.map((a) => a.box)).size).toBe(hungarianPairs.length);
  });

  it.skipIf(!nativeOk)('on the real nuScenes sample: C++ equals the reference; clusters match the annotated 2D boxes', () => {
    const { clusters } = clusterBev(NUSCENES, 5, { xMin: -50, xMax: 50, yMin: -50, yMax: 50, resolution: 0.3 }, { groundThreshold: 0.25, maxGroundZ: -1.3, backend: 'cpu' });
    const ts = associateBoxes(clusters, nuscenesCameras, nuscenesBoxes, { backend: 'ts' });
    const cpu = associateBoxes(clusters, nuscenesCameras, nuscenesBoxes, { backend: 'cpu' });
    expect(Buffer.from(cpu.iou.buffer).equals(Buffer.from(ts.iou.buffer))).toBe(true);
    expect(Buffer.from(cpu.rects.buffer).equals(Buffer.from(ts.rects.buffer))).toBe(true);
    expect(cpu.assignments).toEqual(ts.assignments);
    const boxCount = nuscenesBoxes.reduce((s, b) => s + b.length / 4, 0);
    expect(ts.iou.length).toBe(clusters.length * boxCount);
    // Measured: 7 assignments for the 84 annotated boxes; only 12 boxes overlap any cluster's
    // projection at IoU ≥ 0.3. Half the annotations are 30–77 m away with a handful of LiDAR
    // points, and cluster boxes start above the ground threshold, so projections are shorter.
    expect(boxCount).toBe(84);
    expect(ts.assignments.length).toBeGreaterThanOrEqual(5);
    for (const a of ts.assignments) {
      expect(a.iou).toBeGreaterThanOrEqual(0.3);
      // The assigned cluster lies in front of that camera.
      const m = nuscenesCameras[a.camera].cameraFromSensor;
      const c = clusters[a.cluster].centroid;
      expect(m[8] * c.x + m[9] * c.y + m[10] * c.z + m[11]).toBeGreaterThan(0);
    }
    if (cuda) {
      const gpu = associateBoxes(clusters, nuscenesCameras, nuscenesBoxes, { backend: 'cuda' });
      expect(Buffer.from(gpu.iou.buffer).equals(Buffer.from(cpu.iou.buffer))).toBe(true);
    }
  });

  it.skipIf(!nativeOk)('C++ equals the reference on random boxes and distorted cameras', () => {
    const rng = createRng(3);
    const clusters = Array.from({ length: 40 }, (_, i) => cluster(i, rng.uniform(-30, 30), rng.uniform(-30, 30), rng.uniform(0.3, 6), rng.uniform(0.3, 3), rng.uniform(-1.5, 1.5), rng.uniform(-2, -1), rng.uniform(0, 2)));
    const cams: CameraModel[] = [0, 1.5, 3].map((yaw) => {
      const c = Math.cos(yaw), s = Math.sin(yaw);
      // Rotate the sensor by −yaw about z, then FORWARD.
      const rot = [c, s, 0, -s, c, 0, 0, 0, 1];
      const m = new Float64Array(16);
      for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) m[4 * r + k] = FORWARD[4 * r] * rot[k] + FORWARD[4 * r + 1] * rot[3 + k] + FORWARD[4 * r + 2] * rot[6 + k];
      m[3] = 0.1; m[7] = -0.2; m[11] = 0.3; m[15] = 1;
      return { width: 1280, height: 720, fx: 700, fy: 710, cx: 640, cy: 360, distortion: [-0.2, 0.05, 0.001, -0.002, 0.01], cameraFromSensor: m };
    });
    const boxes = cams.map(() => Array.from({ length: 15 }, () => { const x = rng.uniform(0, 1200), y = rng.uniform(0, 650); return [x, y, x + rng.uniform(5, 300), y + rng.uniform(5, 300)]; }).flat());
    const ts = associateBoxes(clusters, cams, boxes, { backend: 'ts', iouThreshold: 0.05 });
    const cpu = associateBoxes(clusters, cams, boxes, { backend: 'cpu', iouThreshold: 0.05 });
    expect(Buffer.from(cpu.iou.buffer).equals(Buffer.from(ts.iou.buffer))).toBe(true);
    expect(Buffer.from(cpu.rects.buffer).equals(Buffer.from(ts.rects.buffer))).toBe(true);
    expect(ts.iou.some((v) => v > 0)).toBe(true);
  });

  it('rejects bad arguments', () => {
    expect(() => associateBoxes({} as never, [pinhole], [[]])).toThrow(TypeError);
    expect(() => associateBoxes([], [pinhole], [])).toThrow(/lists for 1 cameras/);
    expect(() => associateBoxes([], [pinhole], [[1, 2, 3]])).toThrow(/multiple of 4/);
    expect(() => associateBoxes([], [pinhole], [[5, 5, 1, 1]])).toThrow(/x2 ≥ x1/);
    expect(() => associateBoxes([cluster(0, NaN, 0)], [pinhole], [[]])).toThrow(RangeError);
    expect(() => associateBoxes([], [{ ...pinhole, fx: 0 }], [[]])).toThrow(RangeError);
    expect(() => associateBoxes([], [pinhole], [[]], { iouThreshold: 2 })).toThrow(RangeError);
    expect(() => associateBoxes([], [pinhole], [[]], { method: 'auction' as never })).toThrow(TypeError);
    expect(associateBoxes([], [], []).assignments).toEqual([]);
  });
});

describe('hungarian', () => {
  function bruteForce(cost: Float64Array, rows: number, cols: number): number {
    let best = Infinity;
    const used = new Uint8Array(cols);
    const rec = (r: number, acc: number): void => {
      if (r === rows) { best = Math.min(best, acc); return; }
      for (let c = 0; c < cols; c++) {
        if (used[c]) continue;
        used[c] = 1;
        rec(r + 1, acc + cost[r * cols + c]);
        used[c] = 0;
      }
    };
    rec(0, 0);
    return best;
  }

  it('finds the optimal assignment on random square and rectangular matrices', () => {
    const rng = createRng(8);
    for (let t = 0; t < 60; t++) {
      const rows = rng.int(1, 6), cols = rng.int(1, 6);
      const cost = Float64Array.from({ length: rows * cols }, () => rng.next());
      const match = hungarian(cost, rows, cols);
      const assigned = Array.from(match).filter((j) => j >= 0);
      expect(assigned.length).toBe(Math.min(rows, cols));
      expect(new Set(assigned).size).toBe(assigned.length);
      const total = Array.from(match).reduce((s, j, i) => s + (j >= 0 ? cost[i * cols + j] : 0), 0);
      const optimum = rows <= cols ? bruteForce(cost, rows, cols) : bruteForce(Float64Array.from({ length: rows * cols }, (_, k) => cost[(k % rows) * cols + Math.floor(k / rows)]), cols, rows);
      expect(total).toBeCloseTo(optimum, 12);
    }
  });
});
