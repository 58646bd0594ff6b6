import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import {
  backendInfo,
  findAddonPath,
  loadNative,
  nativeStatus,
  transformPoints,
  transformPointsAsync,
} from './index.js';
import { transformPointsReference } from './transform-points.js';
import { createRng } from '../engine/core/prng.js';

/** Uniform [0, 1) numbers from a seed, so a failure reproduces. */
const seededRandom = (seed: number): (() => number) => createRng(seed).next;


function randomPoints(count: number, stride: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const pts = new Float32Array(count * stride);
  for (let i = 0; i < pts.length; i++) pts[i] = (rand() - 0.5) * 200;
  return pts;
}

/** Row-major rotation about an arbitrary axis plus a translation. */
function rigidMatrix(seed: number): Float64Array {
  const rand = seededRandom(seed);
  let ax = rand() - 0.5, ay = rand() - 0.5, az = rand() - 0.5;
  const len = Math.hypot(ax, ay, az);
  ax /= len; ay /= len; az /= len;
  const angle = rand() * Math.PI * 2;
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  return Float64Array.from([
    t * ax * ax + c, t * ax * ay - s * az, t * ax * az + s * ay, (rand() - 0.5) * 50,
    t * ax * ay + s * az, t * ay * ay + c, t * ay * az - s * ax, (rand() - 0.5) * 50,
    t * ax * az - s * ay, t * ay * az + s * ax, t * az * az + c, (rand() - 0.5) * 50,
    0, 0, 0, 1,
  ]);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

// Coordinates are up to ~|200| and float32 has ~7 digits, so compare relative to magnitude.
const TOLERANCE = 1e-5;
function expectClose(actual: Float32Array, expected: Float32Array): void {
  let maxRel = 0;
  for (let i = 0; i < actual.length; i++) {
    const rel = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    maxRel = Math.max(maxRel, rel);
  }
  expect(maxRel).toBeLessThanOrEqual(TOLERANCE);
}

const status = nativeStatus();
const info = status.info;
const cudaAvailable = info?.cudaAvailable === true;

describe('native addon loading', () => {
  it('loads the built addon', () => {
    expect(status.error, status.error).toBeUndefined();
    expect(status.loaded).toBe(true);
    expect(loadNative().ok).toBe(true);
  });

  it('resolves build/Release by walking up from nested directories', () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const fromDeeper = findAddonPath(fileURLToPath(new URL('../dist/native/', import.meta.url)));
    expect(fromDeeper).toBe(findAddonPath(here));
  });

  it('backendInfo has a coherent shape', () => {
    const bi = backendInfo();
    expect(typeof bi.cudaCompiled).toBe('boolean');
    expect(typeof bi.cudaAvailable).toBe('boolean');
    expect(bi.cpuThreads).toBeGreaterThanOrEqual(1);
    expect(bi.deviceCount).toBeGreaterThanOrEqual(0);
    if (bi.cudaAvailable) {
      expect(bi.cudaCompiled).toBe(true);
      expect(bi.reason).toBe('ok');
      expect(bi.deviceCount).toBeGreaterThan(0);
      expect(bi.deviceName).toBeTruthy();
    } else if (bi.cudaCompiled) {
      // Compiled in but unusable: the reason must carry the CUDA runtime's own explanation.
      expect(bi.reason).toMatch(/cudaGetDeviceCount failed: .+ \(code \d+\)|no CUDA device|cudaFuncGetAttributes/);
    } else {
      expect(bi.reason).toMatch(/^CUDA not compiled in: /);
    }
  });

  it('compiles CUDA in whenever the build machine had nvcc (unless forced CPU-only)', () => {
    const detect = spawnSync(process.execPath, [fileURLToPath(new URL('./detect-cuda.cjs', import.meta.url)), 'enabled'], {
      encoding: 'utf8',
      env: { ...process.env, PERCEPT_CPU_ONLY: '' },
    });
    const nvccPresent = detect.stdout.trim() === '1';
    const bi = backendInfo();
    if (nvccPresent && !bi.cudaCompiled) {
      // The only legitimate way to get here is a deliberate CPU-only build.
      expect(bi.reason).toMatch(/PERCEPT_CPU_ONLY/);
    }
    if (!nvccPresent) expect(bi.cudaCompiled).toBe(false);
  });
});

describe('transformPoints (CPU)', () => {
  for (const stride of [3, 4, 5]) {
    it(`matches the TypeScript reference on 100k points, stride ${stride}`, () => {
      const points = randomPoints(100_000, stride, 17 + stride);
      const matrix = rigidMatrix(stride);
      const original = points.slice();
      const expected = transformPointsReference(points, stride, matrix);
      const actual = transformPoints(points, stride, matrix, { backend: 'cpu' });
      expectClose(actual, expected);
      expect(maxAbsDiff(points, original), 'input must not be modified').toBe(0);
      // Extra channels are copied, not transformed.
      for (let i = 0; i < points.length; i += stride) {
        for (let k = 3; k < stride; k++) {
          if (actual[i + k] !== points[i + k]) throw new Error(`channel ${k} of point ${i / stride} changed`);
        }
      }
    });
  }

  it('takes the multithreaded path on large inputs and still matches', () => {
    const points = randomPoints(1_000_003, 4, 99);
    const matrix = rigidMatrix(3);
    expectClose(transformPoints(points, 4, matrix, { backend: 'cpu' }), transformPointsReference(points, 4, matrix));
  });

  it('writes into a caller-supplied out, including in place', () => {
    const points = randomPoints(1000, 4, 5);
    const matrix = rigidMatrix(5);
    const expected = transformPointsReference(points, 4, matrix);

    const out = new Float32Array(points.length + 8).fill(-1);
    expect(transformPoints(points, 4, matrix, { backend: 'cpu', out })).toBe(out);
    expectClose(out.subarray(0, points.length), expected);
    expect(Array.from(out.subarray(points.length))).toEqual(new Array(8).fill(-1));

    const inPlace = points.slice();
    transformPoints(inPlace, 4, matrix, { backend: 'cpu', out: inPlace });
    expectClose(inPlace, expected);
  });

  it('handles views with a byte offset and empty input', () => {
    const backing = randomPoints(101, 3, 8);
    const view = backing.subarray(3); // skip the first point
    const matrix = rigidMatrix(8);
    expectClose(transformPoints(view, 3, matrix, { backend: 'cpu' }), transformPointsReference(view, 3, matrix));
    expect(transformPoints(new Float32Array(0), 4, matrix, { backend: 'cpu' })).toHaveLength(0);
  });

  it('accepts a plain number[] matrix and an identity is exact', () => {
    const points = randomPoints(10, 4, 1);
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(maxAbsDiff(transformPoints(points, 4, identity, { backend: 'cpu' }), points)).toBe(0);
  });

  it("'auto' gives the same answer as the reference", () => {
    const points = randomPoints(5000, 4, 12);
    const matrix = rigidMatrix(12);
    expectClose(transformPoints(points, 4, matrix), transformPointsReference(points, 4, matrix));
  });
});

describe('validation', () => {
  const matrix = rigidMatrix(1);
  const points = randomPoints(10, 4, 2);

  it('rejects a stride below 3 or non-integer', () => {
    expect(() => transformPoints(points, 2, matrix)).toThrow(/stride must be an integer >= 3/);
    expect(() => transformPoints(points, 4.5, matrix)).toThrow(/stride/);
  });

  it('rejects a length that is not a multiple of stride', () => {
    expect(() => transformPoints(points, 3, matrix)).toThrow(/points\.length \(40\) is not a multiple of stride \(3\)/);
  });

  it('rejects a matrix without 16 elements or with a projective bottom row', () => {
    expect(() => transformPoints(points, 4, new Float64Array(12))).toThrow(/matrix must have 16 elements/);
    const projective = matrix.slice();
    projective[14] = 0.5;
    expect(() => transformPoints(points, 4, projective)).toThrow(/matrix bottom row/);
    const nan = matrix.slice();
    nan[3] = Number.NaN;
    expect(() => transformPoints(points, 4, nan)).toThrow(/matrix\[3\]/);
  });

  it('rejects an out that is too short or partially overlapping', () => {
    expect(() => transformPoints(points, 4, matrix, { out: new Float32Array(39) })).toThrow(/out is too short: needs 40 floats, has 39/);
    const shared = new Float32Array(80);
    const a = shared.subarray(0, 40);
    const b = shared.subarray(4, 44);
    expect(() => transformPoints(a, 4, matrix, { out: b, backend: 'cpu' })).toThrow(/partially overlaps/);
  });

  it('rejects an unknown backend and non-Float32Array points', () => {
    expect(() => transformPoints(points, 4, matrix, { backend: 'gpu' as never })).toThrow(/backend must be/);
    expect(() => transformPoints(new Float64Array(8) as never, 4, matrix)).toThrow(/points must be a Float32Array/);
  });

  it('async variant rejects instead of throwing', async () => {
    await expect(transformPointsAsync(points, 2, matrix)).rejects.toThrow(/stride/);
  });
});

describe('CUDA backend selection', () => {
  it.skipIf(cudaAvailable)("requesting 'cuda' without a usable GPU throws with the reason", () => {
    const points = randomPoints(10, 4, 3);
    let message = '';
    try {
      transformPoints(points, 4, rigidMatrix(3), { backend: 'cuda' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^CUDA backend requested but unavailable: /);
    expect(message).toContain(backendInfo().reason);
  });

  it.skipIf(cudaAvailable)("'cuda' on the async path rejects with the same reason", async () => {
    await expect(transformPointsAsync(randomPoints(10, 4, 3), 4, rigidMatrix(3), { backend: 'cuda' })).rejects.toThrow(
      /CUDA backend requested but unavailable/,
    );
  });

  for (const stride of [3, 4, 5]) {
    it.skipIf(!cudaAvailable)(`CUDA agrees with the reference (stride ${stride}, 1M points)`, async () => {
      const points = randomPoints(1_000_000, stride, 40 + stride);
      const matrix = rigidMatrix(40 + stride);
      const expected = transformPointsReference(points, stride, matrix);
      expectClose(transformPoints(points, stride, matrix, { backend: 'cuda' }), expected);
      expectClose(await transformPointsAsync(points, stride, matrix, { backend: 'cuda' }), expected);
      const inPlace = points.slice();
      transformPoints(inPlace, stride, matrix, { backend: 'cuda', out: inPlace });
      expectClose(inPlace, expected);
    });
  }
});

describe('transformPointsAsync', () => {
  it('gives the same result as the synchronous call and resolves to out', async () => {
    const points = randomPoints(200_000, 5, 77);
    const matrix = rigidMatrix(77);
    const out = new Float32Array(points.length);
    const result = await transformPointsAsync(points, 5, matrix, { backend: 'cpu', out });
    expect(result).toBe(out);
    expect(maxAbsDiff(result, transformPoints(points, 5, matrix, { backend: 'cpu' }))).toBe(0);
  });

  it('returns before the work is done, so the event loop stays free', async () => {
    const points = randomPoints(4_000_000, 4, 21);
    const matrix = rigidMatrix(21);
    const out = new Float32Array(points.length);
    let start = performance.now();
    transformPoints(points, 4, matrix, { backend: 'cpu', out });
    const syncMs = performance.now() - start;

    start = performance.now();
    const pending = transformPointsAsync(points, 4, matrix, { backend: 'cpu', out });
    const callMs = performance.now() - start;
    await pending;
    // Generous ratio: the call only validates and queues, the sync run does all the math.
    expect(callMs).toBeLessThan(syncMs / 4);
  });

  it('survives concurrent calls and keeps their buffers apart', async () => {
    const jobs = [1, 2, 3, 4].map((seed) => {
      const points = randomPoints(300_000, 4, seed);
      const matrix = rigidMatrix(seed);
      return { points, matrix, expected: transformPointsReference(points, 4, matrix) };
    });
    const results = await Promise.all(jobs.map((j) => transformPointsAsync(j.points, 4, j.matrix, { backend: 'cpu' })));
    results.forEach((r, i) => expectClose(r, jobs[i].expected));
  });
});
