import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jpegHasEndMarker, readJpegSize, readPngSize } from './image-header.js';
import { kittiPng, nuscenesJpeg, nuscenesKeyframeJpegs } from './test-support.js';

describe('image headers', () => {
  it('reads JPEG and PNG sizes from real images as sharp does', async () => {
    for (const image of [nuscenesJpeg(), ...nuscenesKeyframeJpegs(), kittiPng()]) {
      const meta = await sharp(image).metadata();
      const result = meta.format === 'png' ? readPngSize(image) : readJpegSize(image);
      expect(result).toEqual({ ok: true, size: { width: meta.width, height: meta.height } });
    }
    expect(readJpegSize(nuscenesJpeg())).toEqual({ ok: true, size: { width: 1600, height: 900 } });
    expect(readPngSize(kittiPng())).toEqual({ ok: true, size: { width: 1242, height: 375 } });
  });

  it('reads progressive JPEGs (SOF2) and images with an EXIF segment', async () => {
    const progressive = new Uint8Array(await sharp(kittiPng()).resize(320, 97).jpeg({ progressive: true }).withMetadata({ orientation: 1 }).toBuffer());
    expect(readJpegSize(progressive)).toEqual({ ok: true, size: { width: 320, height: 97 } });
    expect(jpegHasEndMarker(progressive)).toBe(true);
  });

  it('rejects damaged headers with a code', () => {
    const jpeg = nuscenesJpeg();
    expect(readJpegSize(jpeg.subarray(0, 100))).toMatchObject({ ok: false, code: 'truncated' });
    expect(readJpegSize(kittiPng())).toMatchObject({ ok: false, code: 'not-jpeg' });
    expect(readPngSize(jpeg)).toMatchObject({ ok: false, code: 'not-png' });
    const png = kittiPng().slice(0, 64);
    png[18] ^= 0x01;
    expect(readPngSize(png)).toMatchObject({ ok: false, code: 'bad-crc' });
    expect(jpegHasEndMarker(jpeg.subarray(0, jpeg.byteLength - 1))).toBe(false);
  });

  it('never throws on random, truncated or bit-flipped headers', () => {
    const jpeg = nuscenesJpeg().subarray(0, 1024);
    const png = kittiPng().subarray(0, 64);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.nat(), (random, cut, flip) => {
        for (const base of [jpeg, png]) {
          const damaged = base.slice(0, cut % (base.byteLength + 1));
          if (damaged.byteLength > 0) damaged[flip % damaged.byteLength] ^= 1 << (flip % 8);
          for (const input of [random, damaged]) {
            for (const r of [readJpegSize(input), readPngSize(input)]) {
              if (r.ok) expect(r.size.width > 0 && r.size.height > 0).toBe(true);
              else expect(r.code).toBeTypeOf('string');
            }
            jpegHasEndMarker(input);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
