import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CameraFrame } from '../core/frames.js';
import { createRng } from '../core/prng.js';
import { preprocessGeometry } from '../../native/preprocess.js';
import { computeLetterbox } from './letterbox.js';
import { decodeCameraFrame, preprocessImages, type ImageTensorSpec } from './preprocess-image.js';

const fixture = (path: string): string => fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
const JPEG = readFileSync(fixture('camera/n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg'));
const PNG = readFileSync(fixture('kitti/000001/image_2.png'));
const SPEC: ImageTensorSpec = { width: 640, height: 640, layout: 'nchw', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true, padValue: 114, dtype: 'float32' };

const frame = (encoding: CameraFrame['encoding'], data: Uint8Array, width = 0, height = 0, seq = 0): CameraFrame => ({
  modality: 'camera', sensorId: 'cam', frameId: 'cam', stamp: 0n, receivedAt: 0n, seq, encoding, width, height, data,
});

describe('preprocessImages', () => {
  it('batches a JPEG (nuScenes) and a PNG (KITTI) into one tensor, each with its letterbox', async () => {
    const r = await preprocessImages([frame('jpeg', JPEG), frame('png', PNG)], SPEC);
    expect(r.dims).toEqual([2, 3, 640, 640]);
    expect(r.tensor).toBeInstanceOf(Float32Array);
    expect(r.transforms[0]).toEqual({ scale: 0.4, scaleX: 0.4, scaleY: 0.4, padX: 0, padY: 140, srcWidth: 1600, srcHeight: 900 });
    const kitti = await sharp(PNG).metadata();
    expect(r.transforms[1]).toMatchObject({ ...computeLetterbox(kitti.width!, kitti.height!, 640, 640) });
    // Padding rows hold 114 / 255; the image rows hold the picture (not all grey).
    const plane = 640 * 640;
    expect(r.tensor[plane + 5]).toBeCloseTo(114 / 255, 6);
    const row = r.tensor.subarray(300 * 640, 301 * 640);
    expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(0.2);
  });

  it('gives the same tensor for a JPEG and for its decoded pixels as an rgb8 or bgr8 frame', async () => {
    const { data, info } = await sharp(JPEG).raw().toBuffer({ resolveWithObject: true });
    const rgb = new Uint8Array(data);
    const bgr = new Uint8Array(rgb.length);
    for (let i = 0; i < rgb.length; i += 3) { bgr[i] = rgb[i + 2]; bgr[i + 1] = rgb[i + 1]; bgr[i + 2] = rgb[i]; }
    const spec: ImageTensorSpec = { ...SPEC, width: 320, height: 192, dtype: 'uint8', layout: 'nhwc', channelOrder: 'bgr' };
    const fromJpeg = await preprocessImages([frame('jpeg', JPEG)], spec);
    const fromRgb = await preprocessImages([frame('rgb8', rgb, info.width, info.height)], spec);
    const fromBgr = await preprocessImages([frame('bgr8', bgr, info.width, info.height)], spec);
    expect(Buffer.compare(Buffer.from(fromJpeg.tensor), Buffer.from(fromRgb.tensor))).toBe(0);
    expect(Buffer.compare(Buffer.from(fromJpeg.tensor), Buffer.from(fromBgr.tensor))).toBe(0);
  });

  it("places every letterbox as engine/encode/letterbox.ts computes it (Ultralytics' rounding)", async () => {
    const rng = createRng(9);
    for (let i = 0; i < 5000; i++) {
      const w = rng.int(1, 3000), h = rng.int(1, 3000), tw = rng.int(1, 1280), th = rng.int(1, 1280);
      const g = preprocessGeometry(w, h, { width: tw, height: th, letterbox: true });
      // An image so thin that it would round to 0 rows keeps 1 here (Ultralytics' resize would fail on it).
      if (Math.round(w * g.scaleX) < 1 || Math.round(h * g.scaleX) < 1) continue;
      expect(g.scaleX).toBe(g.scaleY);
      expect({ scale: g.scaleX, padX: g.padX, padY: g.padY, srcWidth: w, srcHeight: h }).toEqual(computeLetterbox(w, h, tw, th));
    }
    // And through the whole path, on odd sizes whose pads are uneven.
    const r = await preprocessImages([frame('mono8', new Uint8Array(333 * 101), 333, 101)], { ...SPEC, width: 97, height: 64, dtype: 'uint8' });
    const { scaleX, scaleY, ...t } = r.transforms[0];
    expect(t).toEqual(computeLetterbox(333, 101, 97, 64));
  });

  it('reports a stretch with its two scales', async () => {
    const r = await preprocessImages([frame('jpeg', JPEG)], { ...SPEC, letterbox: false });
    expect(r.transforms[0]).toMatchObject({ scaleX: 0.4, scaleY: 640 / 900, padX: 0, padY: 0 });
  });

  it('rejects corrupt, short and unsupported frames with the sensor and frame in the message', async () => {
    await expect(decodeCameraFrame(frame('jpeg', JPEG.subarray(0, 200), 0, 0, 7))).rejects.toThrow(/camera cam frame 7: cannot decode jpeg/);
    await expect(decodeCameraFrame(frame('rgb8', new Uint8Array(10), 4, 4, 3))).rejects.toThrow(/frame 3: rgb8 4×4 needs 48 bytes/);
    await expect(decodeCameraFrame(frame('nv12', new Uint8Array(24), 4, 4))).rejects.toThrow(/nv12 images are not supported/);
  });
});
