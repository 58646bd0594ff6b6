import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { createRng } from '../engine/core/prng.js';
import { loadNative } from './index.js';
import { preprocessImagesAsync, preprocessImagesSync, type PixelImage, type TensorSpec } from './preprocess.js';

const native = loadNative().ok;
const fixture = (path: string): string => fileURLToPath(new URL(`../test/fixtures/${path}`, import.meta.url));

const YOLO: TensorSpec = { width: 64, height: 48, layout: 'nchw', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true, dtype: 'float32' };
const IMAGENET: TensorSpec = { ...YOLO, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], letterbox: false };

function randomImage(rng: ReturnType<typeof createRng>): PixelImage {
  const width = rng.int(1, 90), height = rng.int(1, 70), channels = rng.int(1, 4);
  const rowStride = width * channels + rng.int(0, 5);
  const data = new Uint8Array(rowStride * height);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, width, height, channels, rowStride, channelOrder: rng.next() < 0.5 ? 'rgb' : 'bgr' };
}

function randomSpec(rng: ReturnType<typeof createRng>, dtype: 'float32' | 'uint8'): TensorSpec {
  return {
    width: rng.int(1, 80), height: rng.int(1, 80),
    layout: rng.next() < 0.5 ? 'nchw' : 'nhwc', channelOrder: rng.next() < 0.5 ? 'rgb' : 'bgr',
    mean: [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)], std: [rng.uniform(0.1, 2), rng.uniform(0.1, 2), -rng.uniform(0.1, 2)],
    letterbox: rng.next() < 0.5, padValue: rng.int(0, 255), dtype,
  };
}

/** |a − b| ≤ 1e-5 · max(1, |b|): relative for large values, absolute near zero (normalized pixels cross 0). */
function expectClose(actual: Float32Array | Uint8Array, expected: Float32Array | Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(1e-5);
}

/** Index of the first element that differs, −1 when equal (vitest's toEqual is slow on long typed arrays). */
function firstDifference(a: Float32Array | Uint8Array, b: Float32Array | Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('preprocess reference', () => {
  it('copies an image fed at its own size unchanged (uint8) and normalizes it (float32)', () => {
    const rng = createRng(3);
    const data = Uint8Array.from({ length: 5 * 4 * 3 }, () => rng.int(0, 255));
    const image: PixelImage = { data, width: 5, height: 4 };
    const spec: TensorSpec = { ...YOLO, width: 5, height: 4, layout: 'nhwc', dtype: 'uint8' };
    expect([...preprocessImagesSync([image], spec, { backend: 'ts' }).tensor]).toEqual([...data]);
    const f = preprocessImagesSync([image], { ...spec, dtype: 'float32', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, { backend: 'ts' }).tensor;
    for (let i = 0; i < data.length; i++) expect(f[i]).toBeCloseTo((data[i] / 255 - 0.5) / 0.25, 5);
  });

  it('interpolates a linear ramp linearly and pads the letterbox with the pad value', () => {
    // 40×10 ramp of value 4·x + 20 into 20×20: scale 0.5, content 20×5 at padY 7 (round(7.5 − 0.1)).
    const width = 40, height = 10;
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 4 * x + 20;
    const r = preprocessImagesSync([{ data, width, height, channels: 1 }], { ...YOLO, width: 20, height: 20, dtype: 'uint8' }, { backend: 'ts' });
    expect(r.geometry[0]).toEqual({ scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 7, contentW: 20, contentH: 5 });
    const plane = (k: number, y: number, x: number): number => r.tensor[k * 400 + y * 20 + x];
    for (let x = 0; x < 20; x++) {
      // Output pixel x samples source x' = 2x + 0.5: the mean of source pixels 2x and 2x + 1.
      expect(plane(1, 9, x)).toBe(4 * (2 * x + 0.5) + 20);
      expect(plane(0, 0, x)).toBe(114);
      expect(plane(2, 19, x)).toBe(114);
    }
    expect(plane(0, 6, 3)).toBe(114);
    expect(plane(0, 7, 3)).toBe(4 * 6.5 + 20);
  });

  it('swaps channels between BGR sources and RGB tensors', () => {
    const bgr: PixelImage = { data: Uint8Array.from([10, 20, 30, 11, 21, 31]), width: 2, height: 1, channelOrder: 'bgr' };
    const spec: TensorSpec = { ...YOLO, width: 2, height: 1, letterbox: false, dtype: 'uint8' };
    expect([...preprocessImagesSync([bgr], spec, { backend: 'ts' }).tensor]).toEqual([30, 31, 20, 21, 10, 11]);
    expect([...preprocessImagesSync([bgr], { ...spec, channelOrder: 'bgr', layout: 'nhwc' }, { backend: 'ts' }).tensor]).toEqual([10, 20, 30, 11, 21, 31]);
  });

  it('refuses bad arguments with a message that names them', () => {
    const image: PixelImage = { data: new Uint8Array(11), width: 2, height: 2 };
    expect(() => preprocessImagesSync([image], YOLO, { backend: 'ts' })).toThrow(/images\[0\]\.data has 11 bytes/);
    expect(() => preprocessImagesSync([], { ...YOLO, std: [1, 0, 1] }, { backend: 'ts' })).toThrow(/spec\.std/);
    expect(() => preprocessImagesSync([], { ...YOLO, layout: 'chw' as 'nchw' }, { backend: 'ts' })).toThrow(/spec\.layout/);
    expect(() => preprocessImagesSync([{ data: new Uint8Array(12), width: 2, height: 2 }], YOLO, { backend: 'ts', out: new Float32Array(10) })).toThrow(/out has 10 elements/);
  });
});

describe.skipIf(!native)('preprocess: C++ agrees with the TS reference', () => {
  for (const dtype of ['uint8', 'float32'] as const) {
    it(`on random images and specs (${dtype}: ${dtype === 'uint8' ? 'exact' : '1e-5'})`, () => {
      const rng = createRng(dtype === 'uint8' ? 11 : 12);
      for (let trial = 0; trial < 60; trial++) {
        const spec = randomSpec(rng, dtype);
        const images = Array.from({ length: rng.int(1, 3) }, () => randomImage(rng));
        const firstSlot = rng.int(0, 2);
        const cpu = preprocessImagesSync(images, spec, { backend: 'cpu', firstSlot });
        const ts = preprocessImagesSync(images, spec, { backend: 'ts', firstSlot });
        if (dtype === 'uint8') expect(firstDifference(cpu.tensor, ts.tensor)).toBe(-1);
        else expectClose(cpu.tensor, ts.tensor);
        expect(cpu.geometry).toEqual(ts.geometry);
      }
    });
  }

  it('on the six real nuScenes camera images (letterbox 1600×900 → 640×640, and ImageNet-normalized stretch)', async () => {
    const names = [
      'CAM_FRONT__1532402927612460', 'CAM_FRONT_RIGHT__1532402927620339', 'CAM_BACK_RIGHT__1532402927627893',
      'CAM_BACK__1532402927637525', 'CAM_BACK_LEFT__1532402927647423', 'CAM_FRONT_LEFT__1532402927604844',
    ];
    const images: PixelImage[] = await Promise.all(names.map(async (n) => {
      const { data, info } = await sharp(readFileSync(fixture(`nuscenes/n015-2018-07-24-11-22-45+0800__${n}.jpg`))).raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
    }));
    // Two images through the slow reference keep the test short; all six go through C++.
    const letterbox: TensorSpec = { ...YOLO, width: 640, height: 640, mean: [0, 0, 0], std: [1, 1, 1] };
    const cpu = await preprocessImagesAsync(images, letterbox, { backend: 'cpu' });
    expect(cpu.dims).toEqual([6, 3, 640, 640]);
    expect(cpu.geometry[0]).toEqual({ scaleX: 0.4, scaleY: 0.4, padX: 0, padY: 140, contentW: 640, contentH: 360 });
    const ts = preprocessImagesSync(images.slice(0, 2), letterbox, { backend: 'ts' });
    expectClose(cpu.tensor.subarray(0, ts.tensor.length), ts.tensor);
    expect(cpu.tensor[0]).toBeCloseTo(114 / 255, 6); // top-left corner is padding
    const u8 = (backend: 'cpu' | 'ts', i: number): Uint8Array =>
      preprocessImagesSync([images[i]], { ...IMAGENET, width: 224, height: 224, channelOrder: 'bgr', layout: 'nhwc', dtype: 'uint8' }, { backend }).tensor as Uint8Array;
    for (const i of [2, 5]) expect(firstDifference(u8('cpu', i), u8('ts', i))).toBe(-1);
    const stretch = (backend: 'cpu' | 'ts'): Float32Array => preprocessImagesSync(images.slice(3, 4), { ...IMAGENET, width: 320, height: 320 }, { backend }).tensor as Float32Array;
    expectClose(stretch('cpu'), stretch('ts'));
  });

  it('async rejects bad arguments from the addon without throwing synchronously', async () => {
    await expect(preprocessImagesAsync([{ data: new Uint8Array(3), width: 2, height: 1 }], YOLO, { backend: 'cpu' })).rejects.toThrow(/images\[0\]\.data/);
  });
});
