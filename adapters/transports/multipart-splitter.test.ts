import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import { nuscenesKeyframeJpegs } from '../camera/test-support.js';
import { boundaryFromContentType, MultipartSplitter, type MultipartIssueCode } from './multipart-splitter.js';

const limits = { maxPartBytes: 1 << 20, maxHeaderBytes: 8192 };

/** A multipart/x-mixed-replace body as MJPEG cameras write it. */
export function mjpegBody(images: Uint8Array[], boundary: string, withLength: boolean): Buffer {
  const parts = images.map((image) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${image.byteLength}\r\n` : ''}\r\n`),
      image,
      Buffer.from('\r\n'),
    ]),
  );
  return Buffer.concat(parts);
}

function splitAll(body: Uint8Array, boundary: string, seed: number, maxSlice: number, lim = limits): { bodies: Uint8Array[]; issues: MultipartIssueCode[] } {
  const issues: MultipartIssueCode[] = [];
  const splitter = new MultipartSplitter(boundary, lim, (code) => issues.push(code));
  const rng = createRng(seed);
  const bodies: Uint8Array[] = [];
  for (let o = 0; o < body.byteLength; ) {
    const n = rng.int(1, maxSlice);
    bodies.push(...splitter.push(body.subarray(o, o + n)).map((p) => p.body));
    o += n;
  }
  return { bodies, issues };
}

describe('multipart splitter', () => {
  it('reads the boundary from a Content-Type, quoted or not', () => {
    expect(boundaryFromContentType('multipart/x-mixed-replace; boundary=myboundary')).toBe('myboundary');
    expect(boundaryFromContentType('multipart/x-mixed-replace;boundary="--frame"; charset=x')).toBe('--frame');
    expect(boundaryFromContentType('image/jpeg')).toBeUndefined();
    expect(boundaryFromContentType('multipart/x-mixed-replace')).toBeUndefined();
  });

  it('cuts real JPEG parts by Content-Length and, without it, at the boundary, whatever the slicing', () => {
    const images = nuscenesKeyframeJpegs();
    for (const withLength of [true, false]) {
      const body = mjpegBody([...images, ...images], 'percept-frame', withLength);
      // The last part without a length is complete only when the next boundary (or a close) arrives.
      const closed = Buffer.concat([body, Buffer.from('--percept-frame--\r\n')]);
      for (const [seed, maxSlice] of [[1, 50], [2, 70_000], [3, 1 << 20]]) {
        const { bodies, issues } = splitAll(closed, 'percept-frame', seed, maxSlice);
        expect(issues).toEqual([]);
        expect(bodies.length).toBe(6);
        bodies.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(images[i % 3]))).toBe(true));
      }
    }
  });

  it('accepts a boundary declared with its dashes, and skips and counts a part over the limit', () => {
    const [a, b] = nuscenesKeyframeJpegs();
    // Declared "boundary=--cam", written "--cam" (not "----cam"), as many cameras do.
    const body = mjpegBody([a, b], 'cam', true);
    expect(splitAll(body, '--cam', 4, 9000).bodies.length).toBe(2);
    const small = { maxPartBytes: Math.max(a.byteLength, b.byteLength) + 10, maxHeaderBytes: 8192 };
    const big = new Uint8Array(small.maxPartBytes + 1);
    for (const withLength of [true, false]) {
      const { bodies, issues } = splitAll(Buffer.concat([mjpegBody([a, big, b], 'x', withLength), Buffer.from('--x\r\n')]), 'x', 5, 5000, small);
      expect(bodies.length).toBe(2);
      expect(issues).toEqual(['part-too-large']);
    }
  });

  it('never throws on random or damaged bodies and stays bounded', () => {
    const real = mjpegBody(nuscenesKeyframeJpegs().map((j) => j.subarray(0, 3000)), 'b', true);
    const lim = { maxPartBytes: 16 * 1024, maxHeaderBytes: 1024 };
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 1500 }), fc.constantFrom(Buffer.from('--b\r\n'), Buffer.from('Content-Length: 99999999\r\n\r\n'), Buffer.from('\r\n\r\n'), Buffer.from('Content-Length: x\r\n\r\n'))), { maxLength: 40 }),
        fc.nat(),
        (parts, flip) => {
          const splitter = new MultipartSplitter('b', lim);
          const damaged = real.slice();
          damaged[flip % damaged.byteLength] ^= 1 << (flip % 8);
          for (const p of [...parts, damaged]) {
            for (const part of splitter.push(p)) expect(part.body.byteLength).toBeLessThanOrEqual(lim.maxPartBytes);
            expect(splitter.bufferedBytes).toBeLessThanOrEqual(lim.maxPartBytes + lim.maxHeaderBytes + 3000 + real.byteLength);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
