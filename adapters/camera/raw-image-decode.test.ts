import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createRawImageDecoder, rawFrameBytes } from './raw-image-decode.js';
import { kittiPng } from './test-support.js';

const T0 = 1_000_000_000n;

describe('raw image decoder', () => {
  it('cuts an rgb8 byte stream (as ffmpeg rawvideo writes it) into frames of the real KITTI image', async () => {
    const { data, info } = await sharp(kittiPng()).resize(124, 37).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const decoder = createRawImageDecoder({ sensorId: 'cam2', encoding: 'rgb8', width: 124, height: 37 });
    const stream = Buffer.concat([data, data, data.subarray(0, 100)]);
    const frames = [...decoder.push(stream.subarray(0, 10_000), T0), ...decoder.push(stream.subarray(10_000), T0 + 1n)];
    expect(frames.map((f) => [f.seq, f.width, f.height, f.encoding, f.receivedAt])).toEqual([
      [0, 124, 37, 'rgb8', T0 + 1n],
      [1, 124, 37, 'rgb8', T0 + 1n],
    ]);
    expect(Buffer.from(frames[1].data).equals(data)).toBe(true);
    decoder.flush();
    expect(decoder.stats.errors).toEqual({ truncated: 1 });
  });

  it('repacks padded rows and handles yuyv, nv12 and mono8 sizes', () => {
    const width = 6;
    const height = 4;
    const stride = 32;
    const padded = new Uint8Array(stride * height);
    for (let r = 0; r < height; r++) for (let c = 0; c < width * 3; c++) padded[r * stride + c] = r * 10 + c;
    const [frame] = createRawImageDecoder({ sensorId: 'c', encoding: 'bgr8', width, height, stride, framing: 'datagram' }).push(padded, T0);
    expect(frame.data.byteLength).toBe(width * 3 * height);
    expect(frame.data[width * 3 * 2 + 5]).toBe(25);

    expect(rawFrameBytes('yuyv', 640, 480)).toBe(640 * 480 * 2);
    expect(rawFrameBytes('nv12', 640, 480)).toBe((640 * 480 * 3) / 2);
    expect(rawFrameBytes('mono8', 640, 480, 704)).toBe(704 * 480);
    const nv12 = createRawImageDecoder({ sensorId: 'c', encoding: 'nv12', width: 4, height: 2, stride: 8, framing: 'datagram' });
    const [f] = nv12.push(new Uint8Array(8 * 3).map((_, i) => i), T0);
    expect([...f.data]).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19]);
  });

  it('counts datagrams of the wrong size and rejects impossible options by name', () => {
    const d = createRawImageDecoder({ sensorId: 'c', encoding: 'mono8', width: 4, height: 4, framing: 'datagram' });
    expect(d.push(new Uint8Array(15), T0)).toEqual([]);
    expect(d.stats.errors).toEqual({ 'wrong-size': 1 });
    expect(() => createRawImageDecoder({ sensorId: 'c', encoding: 'yuyv', width: 5, height: 4 })).toThrow(/width: yuyv needs an even width/);
    expect(() => createRawImageDecoder({ sensorId: 'c', encoding: 'nv12', width: 4, height: 3 })).toThrow(/height/);
    expect(() => createRawImageDecoder({ sensorId: 'c', encoding: 'rgb8', width: 4, height: 4, stride: 11 })).toThrow(/stride/);
    expect(() => createRawImageDecoder({ sensorId: 'c', encoding: 'rgb8', width: 0, height: 4 })).toThrow(/width/);
  });

  it('never throws on random pushes and never holds more than one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), fc.constantFrom('rgb8', 'mono8', 'yuyv', 'nv12') , (pushes, encoding) => {
        const d = createRawImageDecoder({ sensorId: 'c', encoding: encoding as 'rgb8', width: 8, height: 6 });
        const size = rawFrameBytes(encoding as 'rgb8', 8, 6);
        let total = 0;
        let frames = 0;
        for (const p of pushes) {
          total += p.byteLength;
          for (const f of d.push(p, T0)) {
            expect(f.data.byteLength).toBe(size);
            frames += 1;
          }
        }
        expect(frames).toBe(Math.floor(total / size));
        d.flush();
      }),
      { numRuns: 200 },
    );
  });
});
