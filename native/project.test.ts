import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { projectPoint, quatFromEuler, transformPoint, transformToMatrix4, type CameraModel as GeometryCamera } from '../engine/core/geometry.js';
import { createRng } from '../engine/core/prng.js';
import { backend, BackendUnavailableError, chooseBackend } from './backend.js';
import { nuscenesCameras } from './camera-models.js';
import { backendInfo } from './index.js';
import {
  cameraModelFor,
  depthImage,
  ProjectionBuffers,
  projectPoints,
  projectToCameras,
  projectToCamerasAsync,
  type ProjectionCamera,
  type ProjectionResult,
} from './project.js';

const cudaAvailable = backendInfo().cudaAvailable;
const fixture = (path: string): string => fileURLToPath(new URL(`../test/fixtures/${path}`, import.meta.url));

function readFloats(path: string): Float32Array {
  const bytes = readFileSync(fixture(path));
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const NUSCENES_INFO = 'nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json';
const NUSCENES_POINTS = 'nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin';

/** A camera looking along +x of a LiDAR frame (x forward, y left, z up), slightly rotated. */
function lidarCamera(seed: number, distortion = [-0.05, 0.01, 0.001, -0.002, 0.0005]): ProjectionCamera {
  const rng = createRng(seed);
  const geometry: GeometryCamera = {
    width: 1600, height: 900, fx: 1266, fy: 1260, cx: 816.2, cy: 491.5,
    distortionModel: 'plumb_bob', distortion,
  };
  // optical (x right, y down, z forward) ← LiDAR, then a small random wobble.
  const opticalFromLidar = { translation: { x: rng.uniform(-0.3, 0.3), y: rng.uniform(-0.3, 0.3), z: rng.uniform(-0.5, 0.5) }, rotation: quatFromEuler(-Math.PI / 2 + rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1), -Math.PI / 2 + rng.uniform(-0.1, 0.1)) };
  return cameraModelFor(geometry, opticalFromLidar);
}

function randomPoints(count: number, stride: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const pts = new Float32Array(count * stride);
  for (let i = 0; i < pts.length; i++) pts[i] = rng.uniform(-60, 60);
  return pts;
}

/** Element-wise identity (NaN equal to NaN) without vitest's slow deep equality on big arrays. */
function countDifferent(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) n++;
  return n;
}

function expectAgree(actual: ProjectionResult, expected: ProjectionResult): void {
  expect(actual.inImage.length).toBe(expected.inImage.length);
  let mismatched = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.inImage.length; i++) {
    if (actual.inImage[i] !== expected.inImage[i]) mismatched++;
    for (const key of ['u', 'v', 'depth'] as const) {
      const a = actual[key][i], e = expected[key][i];
      if (Number.isNaN(e) || !Number.isFinite(e)) {
        if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) mismatched++;
        continue;
      }
      maxRel = Math.max(maxRel, Math.abs(a - e) / Math.max(1, Math.abs(e)));
    }
  }
  expect(mismatched).toBe(0);
  expect(maxRel).toBeLessThanOrEqual(1e-5);
}

describe('backend choice', () => {
  it('picks automatically and honours PERCEPT_BACKEND', () => {
    expect(['cuda', 'cpu', 'ts']).toContain(backend({}).name);
    expect(backend({ PERCEPT_BACKEND: 'ts' })).toEqual({ name: 'ts', reason: 'PERCEPT_BACKEND=ts' });
    expect(backend({ PERCEPT_BACKEND: 'cpu' }).name).toBe('cpu');
    expect(() => backend({ PERCEPT_BACKEND: 'tpu' })).toThrow(TypeError);
    expect(() => chooseBackend('gpu' as never)).toThrow(/backend must be/);
  });

  it.skipIf(cudaAvailable)('throws with the reason when CUDA is asked for but missing', () => {
    expect(() => backend({ PERCEPT_BACKEND: 'cuda' })).toThrow(BackendUnavailableError);
    expect(() => projectPoints(new Float32Array(3), 3, lidarCamera(1), { backend: 'cuda' })).toThrow(/cuda backend unavailable: .+/);
  });
});

describe('TypeScript reference', () => {
  it('matches engine/core/geometry projectPoint (plumb_bob) on sample points', () => {
    const geometry: GeometryCamera = { width: 1600, height: 900, fx: 1266, fy: 1260, cx: 816, cy: 491, distortionModel: 'plumb_bob', distortion: [-0.05, 0.01, 0.001, -0.002, 0.0005] };
    const pose = { translation: { x: 0.1, y: -0.2, z: 0.3 }, rotation: quatFromEuler(0.05, -0.03, 0.02) };
    const cam = cameraModelFor(geometry, pose);
    const samples = [[0, 0, 10], [3, -2, 8], [-5, 4, 20], [0.5, 0.5, 1.5], [12, 6, 30]];
    const pts = Float32Array.from(samples.flat());
    const r = projectPoints(pts, 3, cam, { backend: 'ts' });
    samples.forEach((s, i) => {
      const p = { x: pts[i * 3], y: pts[i * 3 + 1], z: pts[i * 3 + 2] };
      const inCamera = transformPoint(pose, p);
      const px = projectPoint(geometry, inCamera)!;
      expect(r.u[i]).toBeCloseTo(px.u, 3);
      expect(r.v[i]).toBeCloseTo(px.v, 3);
      expect(r.depth[i]).toBeCloseTo(inCamera.z, 5);
    });
  });

  it('flags points outside the image, behind the camera, too near, and non-finite', () => {
    const cam = { width: 100, height: 50, fx: 100, fy: 100, cx: 50, cy: 25, distortion: [], cameraFromSensor: transformToMatrix4({ translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } }) };
    const pts = Float32Array.from([
      0, 0, 10, // centre
      -0.5, -0.25, 1, // u = 0, v = 0: in
      0.5, 0, 1, // u = 100: out (u < width)
      0, 0, -10, // behind
      0, 0, 0.05, // nearer than minDepth 0.1
      NaN, 0, 10,
      0, Infinity, 10,
      0, 0, Infinity,
    ]);
    for (const be of ['ts', 'cpu'] as const) {
      const r = projectPoints(pts, 3, cam, { backend: be });
      expect(Array.from(r.inImage)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
      expect(r.u[1]).toBe(0);
      expect(Array.from(projectPoints(pts, 3, cam, { backend: be, minDepth: 0 }).inImage)).toEqual([1, 1, 0, 0, 1, 0, 0, 0]);
    }
  });
});

describe('native CPU agrees with the TypeScript reference', () => {
  it('on random points, stride 5, three cameras (distorted and not)', () => {
    const pts = randomPoints(20_011, 5, 7);
    for (let i = 0; i < 200; i++) pts[createRng(i).int(0, pts.length - 1)] = [NaN, Infinity, -Infinity][i % 3];
    const cameras = [lidarCamera(1), lidarCamera(2, [0, 0, 0, 0, 0]), lidarCamera(3, [0.2, -0.4, 0.01, 0.01, 0.1])];
    const ts = projectToCameras(pts, 5, cameras, { backend: 'ts' });
    const cpu = projectToCameras(pts, 5, cameras, { backend: 'cpu' });
    expect(cpu.u.length).toBe(20_011 * 3);
    expectAgree(cpu, ts);
    expect(ts.inImage.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
  });

  it('on the real nuScenes sweep into its six cameras', () => {
    const pts = readFloats(NUSCENES_POINTS);
    const cameras = nuscenesCameras(readFileSync(fixture(NUSCENES_INFO), 'utf8')).map((c) => c.camera);
    expect(cameras).toHaveLength(6);
    const ts = projectToCameras(pts, 5, cameras, { backend: 'ts' });
    const cpu = projectToCameras(pts, 5, cameras, { backend: 'cpu' });
    expectAgree(cpu, ts);
    const n = pts.length / 5;
    for (let c = 0; c < 6; c++) {
      const seen = ts.inImage.subarray(c * n, (c + 1) * n).reduce((a, b) => a + b, 0);
      expect(seen, `camera ${c}`).toBeGreaterThan(500);
    }
  });

  it('depth image: same z-buffer, nearest point wins', () => {
    const pts = readFloats(NUSCENES_POINTS);
    const cam = nuscenesCameras(readFileSync(fixture(NUSCENES_INFO), 'utf8'))[0].camera;
    const ts = depthImage(pts, 5, cam, undefined, { backend: 'ts' });
    const cpu = depthImage(pts, 5, cam, new Float32Array(1600 * 900).fill(-1), { backend: 'cpu' });
    expect(countDifferent(cpu, ts)).toBe(0);
    const filled = ts.filter((d) => d < Infinity).length;
    expect(filled).toBeGreaterThan(1000);
    // Every filled pixel holds the minimum of the depths projected into it.
    const proj = projectPoints(pts, 5, cam, { backend: 'ts' });
    let deeper = 0;
    for (let i = 0; i < proj.inImage.length; i++) {
      if (proj.inImage[i] && ts[Math.floor(proj.v[i]) * 1600 + Math.floor(proj.u[i])] > proj.depth[i]) deeper++;
    }
    expect(deeper).toBe(0);
  });

  it('depth image: occluded and duplicate points', () => {
    const cam = { width: 4, height: 4, fx: 2, fy: 2, cx: 2, cy: 2, distortion: [], cameraFromSensor: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) };
    // Three points on the ray to pixel (2, 2), far first; two coincident.
    const pts = Float32Array.from([0.1, 0.1, 9, 0.05, 0.05, 3, 0.05, 0.05, 3, NaN, 0, 1]);
    for (const be of ['ts', 'cpu'] as const) {
      const img = depthImage(pts, 3, cam, undefined, { backend: be });
      expect(img[2 * 4 + 2]).toBe(3);
      expect(img.filter((d) => d < Infinity)).toHaveLength(1);
    }
  });

  it('async projection gives the same result, into reused buffers', async () => {
    const pts = randomPoints(70_000, 4, 11);
    const cameras = [lidarCamera(4), lidarCamera(5)];
    const buffers = new ProjectionBuffers();
    const sync = projectToCameras(pts, 4, cameras, { backend: 'ts' });
    const r = await projectToCamerasAsync(pts, 4, cameras, { backend: 'cpu', out: buffers });
    expectAgree(r, sync);
    expect(r.u.buffer).toBe(buffers.u.buffer);
    const again = await projectToCamerasAsync(pts.subarray(0, 4000), 4, cameras, { out: buffers, backend: 'cpu' });
    expect(again.u.buffer).toBe(buffers.u.buffer);
    expect(again.u.length).toBe(2000);
    await expect(projectToCamerasAsync(pts, 3.5, cameras)).rejects.toThrow(RangeError);
  });

  it('handles zero points and a large sweep', () => {
    const cam = lidarCamera(6);
    for (const be of ['ts', 'cpu'] as const) {
      expect(projectPoints(new Float32Array(0), 4, cam, { backend: be }).u.length).toBe(0);
      expect(depthImage(new Float32Array(0), 4, cam, undefined, { backend: be }).indexOf(-Infinity)).toBe(-1);
      expect(Math.min(...depthImage(new Float32Array(0), 4, { ...cam, width: 8, height: 8 }, undefined, { backend: be }))).toBe(Infinity);
    }
    const big = randomPoints(3_000_000, 3, 12);
    const r = projectPoints(big, 3, cam, { backend: 'cpu' });
    expect(r.u.length).toBe(3_000_000);
    const ts = projectPoints(big.subarray(2_999_000 * 3), 3, cam, { backend: 'ts' });
    expectAgree({ u: r.u.subarray(2_999_000), v: r.v.subarray(2_999_000), depth: r.depth.subarray(2_999_000), inImage: r.inImage.subarray(2_999_000) }, ts);
  });
});

describe.skipIf(!cudaAvailable)('CUDA agrees with the TypeScript reference', () => {
  it('projection on random points and on nuScenes', async () => {
    const pts = randomPoints(100_003, 5, 21);
    pts[7] = NaN;
    const cameras = [lidarCamera(1), lidarCamera(2, [0, 0, 0, 0, 0])];
    expectAgree(projectToCameras(pts, 5, cameras, { backend: 'cuda' }), projectToCameras(pts, 5, cameras, { backend: 'ts' }));
    expectAgree(await projectToCamerasAsync(pts, 5, cameras, { backend: 'cuda' }), projectToCameras(pts, 5, cameras, { backend: 'ts' }));
    const sweep = readFloats(NUSCENES_POINTS);
    const six = nuscenesCameras(readFileSync(fixture(NUSCENES_INFO), 'utf8')).map((c) => c.camera);
    expectAgree(projectToCameras(sweep, 5, six, { backend: 'cuda' }), projectToCameras(sweep, 5, six, { backend: 'ts' }));
  });

  it('depth image', () => {
    const sweep = readFloats(NUSCENES_POINTS);
    const cam = nuscenesCameras(readFileSync(fixture(NUSCENES_INFO), 'utf8'))[0].camera;
    expect(countDifferent(depthImage(sweep, 5, cam, undefined, { backend: 'cuda' }), depthImage(sweep, 5, cam, undefined, { backend: 'ts' }))).toBe(0);
    const pts = randomPoints(200_000, 3, 22);
    const c = lidarCamera(3);
    expect(countDifferent(depthImage(pts, 3, c, undefined, { backend: 'cuda' }), depthImage(pts, 3, c, undefined, { backend: 'ts' }))).toBe(0);
  });
});

describe('argument validation', () => {
  const cam = lidarCamera(1);
  const pts = new Float32Array(12);
  it('names the bad argument', () => {
    expect(() => projectPoints([1, 2, 3] as unknown as Float32Array, 3, cam)).toThrow(new TypeError('points must be a Float32Array'));
    expect(() => projectPoints(pts, 2, cam)).toThrow(/^stride must be an integer >= 3/);
    expect(() => projectPoints(pts, 3.5, cam)).toThrow(RangeError);
    expect(() => projectPoints(pts, 5, cam)).toThrow(/points.length \(12\) is not a multiple of stride \(5\)/);
    expect(() => projectPoints(pts, 3, { ...cam, width: 0 })).toThrow(/cameras\[0\]\.width must be an integer/);
    expect(() => projectPoints(pts, 3, { ...cam, fx: NaN })).toThrow(/cameras\[0\]\.fx is not a finite number/);
    expect(() => projectPoints(pts, 3, { ...cam, distortion: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(/cameras\[0\]\.distortion has 8 values/);
    expect(() => projectPoints(pts, 3, { ...cam, distortion: [0, Infinity] })).toThrow(/cameras\[0\]\.distortion\[1\]/);
    const m = Float64Array.from(cam.cameraFromSensor);
    m[5] = Infinity;
    expect(() => projectPoints(pts, 3, { ...cam, cameraFromSensor: m })).toThrow(/cameras\[0\]\.cameraFromSensor\[5\] is not a finite number/);
    expect(() => projectPoints(pts, 3, { ...cam, cameraFromSensor: new Float64Array(12) })).toThrow(/cameraFromSensor must have 16 elements/);
    const projective = Float64Array.from(cam.cameraFromSensor);
    projective[14] = 1;
    expect(() => projectPoints(pts, 3, { ...cam, cameraFromSensor: projective })).toThrow(/bottom row/);
    expect(() => projectPoints(pts, 3, cam, { minDepth: -1 })).toThrow(/minDepth/);
    expect(() => projectPoints(pts, 3, cam, { out: {} as ProjectionBuffers })).toThrow(/options.out must be a ProjectionBuffers/);
    expect(() => depthImage(pts, 3, cam, new Float32Array(10))).toThrow(/out is too short/);
    expect(() => depthImage(pts, 3, { ...cam, height: 1e6 })).toThrow(/camera\.height/);
  });

  it('the addon itself refuses out-of-bounds arguments', async () => {
    const { projectAddon, packCameras } = await import('./project.js');
    const addon = projectAddon();
    const packed = packCameras([cam]);
    const u = new Float32Array(4), v = new Float32Array(4), d = new Float32Array(4), ii = new Uint8Array(3);
    expect(() => addon.projectPoints(pts, 3, packed, 0.1, u, v, d, ii, 'cpu')).toThrow(/inImage is too short/);
    expect(() => addon.projectPoints(pts, 5, packed, 0.1, u, v, d, new Uint8Array(4), 'cpu')).toThrow(RangeError);
    expect(() => addon.depthImage(pts, 3, packed, 0.1, new Float32Array(5), 'cpu')).toThrow(/out is too short/);
  });
});
