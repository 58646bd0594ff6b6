import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { createRng } from '../engine/core/prng.js';
import { nuscenesCameras } from './camera-models.js';
import { backendInfo } from './index.js';
import { paintPoints, type PaintResult, type PaintSource } from './paint.js';
import { projectToCameras, type ProjectionCamera } from './project.js';

const cudaAvailable = backendInfo().cudaAvailable;
const fixture = (path: string): string => fileURLToPath(new URL(`../test/fixtures/${path}`, import.meta.url));

function readFloats(path: string): Float32Array {
  const bytes = readFileSync(fixture(path));
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const identity = (): Float64Array => Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
/** 100×50 camera at the origin looking down +z. */
const simple: ProjectionCamera = { width: 100, height: 50, fx: 100, fy: 100, cx: 50, cy: 25, distortion: [], cameraFromSensor: identity() };

function sweep(): Float32Array {
  return readFloats('nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin');
}
function sixCameras(): ProjectionCamera[] {
  return nuscenesCameras(readFileSync(fixture('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json'), 'utf8')).map((c) => c.camera);
}

/** A seeded score map per camera, at a lower resolution than the image (like a segmentation head). */
function randomMaps(cameras: readonly ProjectionCamera[], classes: number, seed: number, cellStride = classes): PaintSource[] {
  const rng = createRng(seed);
  return cameras.map(() => {
    const width = 100 + rng.int(0, 60), height = 56 + rng.int(0, 30);
    const scores = new Float32Array(width * height * cellStride);
    for (let i = 0; i < scores.length; i++) scores[i] = rng.next();
    return { kind: 'map', scores, width, height, classes, cellStride };
  });
}

function randomBoxes(cameras: readonly ProjectionCamera[], classes: number, seed: number): PaintSource[] {
  const rng = createRng(seed);
  return cameras.map((cam) => {
    const n = rng.int(0, 30);
    const boxes: number[] = [];
    const scores: number[] = [];
    for (let b = 0; b < n; b++) {
      const x = rng.uniform(-50, cam.width), y = rng.uniform(-50, cam.height);
      boxes.push(x, y, x + rng.uniform(10, 600), y + rng.uniform(10, 400));
      // Some boxes share their max score exactly, to exercise the tie rule.
      for (let k = 0; k < classes; k++) scores.push(b % 5 === 0 ? 0.5 : Math.round(rng.next() * 8) / 8);
    }
    return { kind: 'boxes', boxes, scores, classes };
  });
}

function expectSame(a: PaintResult, b: PaintResult): void {
  let diff = 0;
  for (let i = 0; i < a.camera.length; i++) if (a.camera[i] !== b.camera[i]) diff++;
  for (let i = 0; i < a.scores.length; i++) if (!Object.is(a.scores[i], b.scores[i])) diff++;
  expect(a.scores.length).toBe(b.scores.length);
  expect(diff).toBe(0);
}

describe('paintPoints rules', () => {
  it('takes the nearest camera when several see the point', () => {
    const behind = identity();
    behind[11] = 5; // this camera sits 5 m further back: same pixel, larger depth
    const far = { ...simple, cameraFromSensor: behind };
    const pts = Float32Array.from([0, 0, 10, 0, 0, -6, 100, 0, 10]);
    const maps: PaintSource[] = [
      { kind: 'map', scores: new Float32Array([1, 2]), width: 1, height: 1, classes: 2 },
      { kind: 'map', scores: new Float32Array([3, 4]), width: 1, height: 1, classes: 2 },
    ];
    for (const backend of ['ts', 'cpu'] as const) {
      const r = paintPoints(pts, 3, [far, simple], maps, undefined, { backend });
      expect(Array.from(r.camera)).toEqual([1, -1, -1]);
      expect(Array.from(r.scores)).toEqual([3, 4, 0, 0, 0, 0]);
      // Equal depths: the lower camera index wins.
      const tie = paintPoints(pts, 3, [simple, simple], maps, undefined, { backend });
      expect(tie.camera[0]).toBe(0);
    }
  });

  it('scales image pixels to map cells and honours cellStride', () => {
    // 2×2 map, 3 floats per cell of which 2 classes are used.
    const scores = Float32Array.from([1, 1, 9, 2, 2, 9, 3, 3, 9, 4, 4, 9]);
    const source: PaintSource = { kind: 'map', scores, width: 2, height: 2, classes: 2, cellStride: 3 };
    // Pixels (u, v) ≈ (10, 10), (90, 10), (10, 40), (90, 40) at depth 1.
    const pts = Float32Array.from([-0.4, -0.15, 1, 0.4, -0.15, 1, -0.4, 0.15, 1, 0.4, 0.15, 1]);
    for (const backend of ['ts', 'cpu'] as const) {
      const r = paintPoints(pts, 3, [simple], [source], undefined, { backend });
      expect(Array.from(r.scores)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    }
  });

  it('boxes: the box with the highest max score wins, ties to the lower index, outside gives zeros', () => {
    const source: PaintSource = {
      kind: 'boxes',
      boxes: [0, 0, 60, 50, 40, 0, 100, 50, 40, 0, 100, 50],
      scores: [0.9, 0.1, 0.2, 0.8, 0.1, 0.8],
      classes: 2,
    };
    // u ≈ 10 (box 0 only), u ≈ 50 (all three: box 0 max .9 wins), u ≈ 80 (boxes 1, 2 tie at .8: box 1).
    const pts = Float32Array.from([-0.4, 0, 1, 0, 0, 1, 0.3, 0, 1, 0, 0.3, 1]);
    for (const backend of ['ts', 'cpu'] as const) {
      const r = paintPoints(pts, 3, [simple], [source], undefined, { backend });
      expect(Array.from(r.scores)).toEqual([0.9, 0.1, 0.9, 0.1, 0.2, 0.8, 0, 0].map(Math.fround));
      expect(Array.from(r.camera)).toEqual([0, 0, 0, -1]);
    }
    const empty = paintPoints(pts, 3, [simple], [{ kind: 'boxes', boxes: [], scores: [], classes: 2 }], undefined, { backend: 'cpu' });
    expect(Array.from(empty.scores).every((s) => s === 0)).toBe(true);
  });

  it('writes into caller buffers and handles zero points', () => {
    const out = { scores: new Float32Array(8).fill(7), camera: new Int32Array(4).fill(7) };
    const source: PaintSource = { kind: 'map', scores: new Float32Array([5, 6]), width: 1, height: 1, classes: 2 };
    const r = paintPoints(Float32Array.from([0, 0, 1, 0, 0, -1]), 3, [simple], [source], out, { backend: 'cpu' });
    expect(r.scores.buffer).toBe(out.scores.buffer);
    expect(Array.from(out.scores)).toEqual([5, 6, 0, 0, 7, 7, 7, 7]);
    expect(paintPoints(new Float32Array(0), 4, [simple], [source]).scores.length).toBe(0);
  });
});

describe('native CPU paint agrees with the TypeScript reference', () => {
  it('score maps on the real nuScenes sweep and six cameras', () => {
    const pts = sweep();
    const cams = sixCameras();
    const sources = randomMaps(cams, 4, 1, 5);
    const ts = paintPoints(pts, 5, cams, sources, undefined, { backend: 'ts' });
    const cpu = paintPoints(pts, 5, cams, sources, undefined, { backend: 'cpu' });
    expectSame(cpu, ts);
    // The camera chosen is the one with the smallest depth among those that see the point.
    const proj = projectToCameras(pts, 5, cams, { backend: 'ts' });
    const n = pts.length / 5;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      let best = -1;
      for (let c = 0; c < 6; c++) if (proj.inImage[c * n + i] && (best < 0 || proj.depth[c * n + i] < proj.depth[best * n + i])) best = c;
      if (ts.camera[i] !== best) throw new Error(`point ${i}: camera ${ts.camera[i]}, nearest ${best}`);
      if (best >= 0) seen++;
    }
    expect(seen).toBeGreaterThan(5000);
  });

  it('boxes on random points', () => {
    const rng = createRng(5);
    const pts = new Float32Array(30_000 * 4);
    for (let i = 0; i < pts.length; i++) pts[i] = rng.uniform(-40, 40);
    pts[9] = NaN;
    const cams = sixCameras();
    const sources = randomBoxes(cams, 3, 9);
    expectSame(paintPoints(pts, 4, cams, sources, undefined, { backend: 'cpu' }), paintPoints(pts, 4, cams, sources, undefined, { backend: 'ts' }));
  });
});

describe.skipIf(!cudaAvailable)('CUDA paint agrees with the TypeScript reference', () => {
  it('maps and boxes', () => {
    const pts = sweep();
    const cams = sixCameras();
    for (const sources of [randomMaps(cams, 4, 2, 6), randomBoxes(cams, 4, 3)]) {
      expectSame(paintPoints(pts, 5, cams, sources, undefined, { backend: 'cuda' }), paintPoints(pts, 5, cams, sources, undefined, { backend: 'ts' }));
    }
  });
});

describe('paint argument validation', () => {
  const map: PaintSource = { kind: 'map', scores: new Float32Array(6), width: 1, height: 1, classes: 6 };
  const pts = new Float32Array(6);
  it('names the bad argument', () => {
    expect(() => paintPoints(pts, 3, [simple], [])).toThrow(/sources has 0 entries for 1 cameras/);
    expect(() => paintPoints(pts, 4, [simple], [map])).toThrow(/points.length \(6\) is not a multiple of stride \(4\)/);
    expect(() => paintPoints(pts, 3, [simple], [{ ...map, width: 2 }])).toThrow(/sources\[0\]\.scores has 6 floats; height × width × cellStride is 12/);
    expect(() => paintPoints(pts, 3, [simple], [{ ...map, cellStride: 2 }])).toThrow(/sources\[0\]\.cellStride/);
    expect(() => paintPoints(pts, 3, [simple, simple], [map, { ...map, classes: 3, scores: new Float32Array(3) }])).toThrow(/sources\[1\]\.classes is 3/);
    expect(() => paintPoints(pts, 3, [simple], [{ kind: 'boxes', boxes: [0, 0, 1], scores: [], classes: 6 }])).toThrow(/sources\[0\]\.boxes length 3/);
    expect(() => paintPoints(pts, 3, [simple], [{ kind: 'boxes', boxes: [0, 0, 1, NaN], scores: [1, 2, 3, 4, 5, 6], classes: 6 }])).toThrow(/sources\[0\]\.boxes\[3\] is not a finite number/);
    expect(() => paintPoints(pts, 3, [simple], [{ kind: 'boxes', boxes: [0, 0, 1, 1], scores: [1], classes: 6 }])).toThrow(/sources\[0\]\.scores has 1 values/);
    expect(() => paintPoints(pts, 3, [simple], [{ kind: 'heatmap', classes: 6 } as unknown as PaintSource])).toThrow(TypeError);
    expect(() => paintPoints(pts, 3, [simple], [map], { scores: new Float32Array(3), camera: new Int32Array(2) })).toThrow(/out.scores is too short/);
    const m = identity();
    m[0] = NaN;
    expect(() => paintPoints(pts, 3, [{ ...simple, cameraFromSensor: m }], [map])).toThrow(/cameras\[0\]\.cameraFromSensor\[0\]/);
  });
});
