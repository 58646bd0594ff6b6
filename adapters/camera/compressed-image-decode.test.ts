import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeIssue } from '../decoder.js';
import { createJpegDecoder, createPngDecoder } from './compressed-image-decode.js';
import { createMjpegStreamDecoder } from './mjpeg-stream-decode.js';
import { kittiPng, nuscenesJpeg, nuscenesKeyframeJpegs } from './test-support.js';

const T0 = 1_700_000_000_000_000_000n;

describe('JPEG and PNG decoders', () => {
  it('keep the compressed bytes, read the size from the header, number frames from 0 and stamp them', () => {
    const jpeg = createJpegDecoder({ sensorId: 'cam_back_left', latencyMs: 5 });
    const image = nuscenesJpeg();
    const [frame] = jpeg.push(image, T0);
    expect(frame).toMatchObject({ modality: 'camera', sensorId: 'cam_back_left', frameId: 'cam_back_left', encoding: 'jpeg', width: 1600, height: 900, seq: 0, receivedAt: T0, stamp: T0 - 5_000_000n });
    expect(Buffer.from(frame.data).equals(Buffer.from(image))).toBe(true);
    expect(frame.data.buffer).not.toBe(image.buffer);
    expect(jpeg.push(image, T0 + 1n)[0].seq).toBe(1);

    const png = createPngDecoder({ sensorId: 'cam2', frameId: 'cam2_optical', framing: 'file' });
    expect(png.framing).toBe('file');
    expect(png.push(kittiPng(), T0)[0]).toMatchObject({ encoding: 'png', width: 1242, height: 375, frameId: 'cam2_optical', stamp: T0 });
  });

  it('counts truncated, foreign and oversized images instead of throwing', () => {
    const issues: DecodeIssue[] = [];
    const jpeg = createJpegDecoder({ sensorId: 'c', maxImageBytes: 150_000, onIssue: (i) => issues.push(i) });
    const image = nuscenesJpeg();
    expect(jpeg.push(image.subarray(0, 100_000), T0)).toEqual([]);
    expect(jpeg.push(kittiPng().subarray(0, 1000), T0)).toEqual([]);
    expect(jpeg.push(nuscenesKeyframeJpegs()[0].subarray(0, 10), T0)).toEqual([]);
    const big = new Uint8Array(150_001);
    expect(jpeg.push(big, T0)).toEqual([]);
    expect(jpeg.stats.errors).toEqual({ truncated: 2, 'not-jpeg': 1, 'too-large': 1 });
    expect(issues.map((i) => i.code)).toEqual(['truncated', 'not-jpeg', 'truncated', 'too-large']);
    expect(jpeg.stats.frames).toBe(0);
  });

  it('rejects invalid options naming the option', () => {
    expect(() => createJpegDecoder({ sensorId: '' })).toThrow(/jpeg decoder options: sensorId/);
    expect(() => createPngDecoder({ sensorId: 'c', maxImageBytes: -1 })).toThrow(/maxImageBytes/);
    expect(() => createMjpegStreamDecoder({ sensorId: 'c', latencyMs: -3 })).toThrow(/latencyMs/);
  });

  it('MJPEG stream: one frame per complete image, stamped by the push that completed it', () => {
    const decoder = createMjpegStreamDecoder({ sensorId: 'cam' });
    const [a, b] = nuscenesKeyframeJpegs();
    const stream = Buffer.concat([a, b]);
    const cut = a.byteLength + 1000;
    expect(decoder.push(stream.subarray(0, 1000), T0)).toEqual([]);
    const first = decoder.push(stream.subarray(1000, cut), T0 + 10n);
    const second = decoder.push(stream.subarray(cut), T0 + 20n);
    expect(first.map((f) => [f.seq, f.receivedAt, f.width, f.height, f.data.byteLength])).toEqual([[0, T0 + 10n, 1600, 900, a.byteLength]]);
    expect(second.map((f) => [f.seq, f.receivedAt, f.data.byteLength])).toEqual([[1, T0 + 20n, b.byteLength]]);
    decoder.push(a.subarray(0, 500), T0);
    expect(decoder.flush()).toEqual([]);
    expect(decoder.stats).toMatchObject({ accepted: 2, frames: 2, errors: { truncated: 1 } });
  });

  it('never throws on random, truncated or bit-flipped input; counts what it rejects', () => {
    const real = nuscenesKeyframeJpegs()[1];
    const png = kittiPng().subarray(0, 4096);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), fc.nat(), (random, cut, flip) => {
        const jpeg = createJpegDecoder({ sensorId: 'j' });
        const pngDecoder = createPngDecoder({ sensorId: 'p' });
        const stream = createMjpegStreamDecoder({ sensorId: 's', maxImageBytes: 256 * 1024 });
        const damaged = real.slice(0, 1 + (cut % real.byteLength));
        damaged[flip % damaged.byteLength] ^= 1 << (flip % 8);
        let pushes = 0;
        for (const input of [random, damaged, png.subarray(0, cut % png.byteLength)]) {
          for (const d of [jpeg, pngDecoder, stream]) {
            for (const frame of d.push(input, T0)) {
              expect(frame.width).toBeGreaterThan(0);
              expect(frame.height).toBeGreaterThan(0);
            }
          }
          pushes += 1;
        }
        stream.flush();
        // Whatever was not a frame was counted.
        expect(jpeg.stats.frames + Object.values(jpeg.stats.errors).reduce((a, b) => a + b, 0)).toBe(pushes);
        expect(pngDecoder.stats.frames + Object.values(pngDecoder.stats.errors).reduce((a, b) => a + b, 0)).toBe(pushes);
      }),
      { numRuns: 200 },
    );
  });
});
