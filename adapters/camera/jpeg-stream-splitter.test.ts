import sharp from 'sharp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import { JpegStreamSplitter, type JpegSplitIssueCode } from './jpeg-stream-splitter.js';
import { kittiPng, nuscenesJpeg, nuscenesKeyframeJpegs } from './test-support.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Pushes `stream` in slices of random sizes (seeded) and collects the images. */
function split(stream: Uint8Array, seed: number, maxSlice: number, max = 1 << 22): { images: Uint8Array[]; issues: JpegSplitIssueCode[] } {
  const issues: JpegSplitIssueCode[] = [];
  const splitter = new JpegStreamSplitter(max, (code) => issues.push(code));
  const rng = createRng(seed);
  const images: Uint8Array[] = [];
  for (let o = 0; o < stream.byteLength; ) {
    const n = rng.int(1, maxSlice);
    images.push(...splitter.push(stream.subarray(o, o + n)));
    o += n;
  }
  splitter.flush();
  return { images, issues };
}

/** A real JPEG with a thumbnail JPEG inside an APP1 segment, as EXIF cameras write: it holds its own SOI and EOI. */
async function jpegWithThumbnail(): Promise<Uint8Array> {
  const main = new Uint8Array(await sharp(kittiPng()).resize(200, 60).jpeg().toBuffer());
  const thumb = new Uint8Array(await sharp(kittiPng()).resize(32, 10).jpeg().toBuffer());
  const body = concat([new TextEncoder().encode('Exif\0\0'), thumb]);
  const app1 = concat([Uint8Array.of(0xff, 0xe1, (body.byteLength + 2) >> 8, (body.byteLength + 2) & 0xff), body]);
  return concat([main.subarray(0, 2), app1, main.subarray(2)]);
}

describe('JpegStreamSplitter', () => {
  it('cuts a stream of real JPEGs (baseline, progressive, with an EXIF thumbnail) back into the same images, whatever the slicing', async () => {
    const progressive = new Uint8Array(await sharp(kittiPng()).resize(400, 121).jpeg({ progressive: true }).toBuffer());
    const images = [nuscenesJpeg(), ...nuscenesKeyframeJpegs(), progressive, await jpegWithThumbnail()];
    const stream = concat(images);
    for (const [seed, maxSlice] of [[1, 61], [2, 4096], [3, 100_000], [4, 1 << 20]]) {
      const { images: out, issues } = split(stream, seed, maxSlice);
      expect(issues).toEqual([]);
      expect(out.length).toBe(images.length);
      out.forEach((image, i) => expect(Buffer.from(image).equals(Buffer.from(images[i]))).toBe(true));
    }
  });

  it('skips garbage between images and recovers after a truncated image, counting both', () => {
    const [a, b] = nuscenesKeyframeJpegs();
    const stream = concat([new TextEncoder().encode('noise before'), a, Uint8Array.of(0x00, 0x13), b.subarray(0, 5000), a]);
    const { images, issues } = split(stream, 5, 3000);
    expect(images.length).toBe(2);
    expect(Buffer.from(images[1]).equals(Buffer.from(a))).toBe(true);
    expect(issues).toEqual(['garbage', 'garbage', 'truncated']);
  });

  it('drops an image longer than the limit and keeps its memory bounded', () => {
    const image = nuscenesJpeg();
    const { images, issues } = split(concat([image, nuscenesKeyframeJpegs()[0].subarray(0, 100_000), image]), 6, 8192, 140_000);
    expect(issues).toContain('image-too-large');
    expect(images.length).toBe(0);
    const ok = split(concat([image, image]), 6, 8192, 150_000);
    expect(ok.images.length).toBe(2);
  });

  it('never throws on random, truncated and bit-flipped streams; emits only SOI…EOI images; stays bounded', () => {
    const real = nuscenesKeyframeJpegs()[0].subarray(0, 20_000);
    const max = 64 * 1024;
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(Uint8Array.of(0xff, 0xd8, 0xff), Uint8Array.of(0xff, 0xd9), Uint8Array.of(0xff, 0x00), Uint8Array.of(0xff, 0xda, 0, 2))), { maxLength: 60 }),
        fc.nat(),
        (parts, flip) => {
          const splitter = new JpegStreamSplitter(max);
          const damaged = real.slice();
          damaged[flip % damaged.byteLength] ^= 1 << (flip % 8);
          for (const part of [...parts, damaged.subarray(0, flip % damaged.byteLength)]) {
            for (const image of splitter.push(part)) {
              expect([image[0], image[1]]).toEqual([0xff, 0xd8]);
              expect([image.at(-2), image.at(-1)]).toEqual([0xff, 0xd9]);
              expect(image.byteLength).toBeLessThanOrEqual(max + 2);
            }
            expect(splitter.bufferedBytes).toBeLessThanOrEqual(max + 64 * 1024 + 65_540);
          }
          splitter.flush();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds bounded memory over 10k random pushes inside a never-ending image', () => {
    const max = 32 * 1024;
    const splitter = new JpegStreamSplitter(max);
    const rng = createRng(9);
    splitter.push(Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x02));
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      const bytes = new Uint8Array(rng.int(0, 512));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rng.int(0, 255);
      splitter.push(bytes);
      peak = Math.max(peak, splitter.bufferedBytes);
    }
    expect(peak).toBeLessThanOrEqual(max + 64 * 1024 + 65_540);
  });
});
