import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pointFloats, type PointCloud } from '../../engine/core/frames.js';
import { createRng } from '../../engine/core/prng.js';
import { createKittiBinDecoder, createNuscenesBinDecoder } from './float-bin.js';
import { lzfCompress, lzfDecompress } from './lzf.js';
import { createPcdDecoder, parsePcd } from './pcd.js';

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
const pcdFile = (name: string) => fixture(`lidar_pcap/pcd/${name}`);

/** Every declared field of every point, as numbers, read through the declared offsets and types. */
function values(cloud: Pick<PointCloud, 'fields' | 'stride' | 'count' | 'data'>): Record<string, number[]> {
  const dv = new DataView(cloud.data.buffer, cloud.data.byteOffset, cloud.data.byteLength);
  const out: Record<string, number[]> = {};
  for (const f of cloud.fields) {
    out[f.name] = Array.from({ length: cloud.count }, (_, i) => {
      const o = i * cloud.stride + f.offset;
      switch (f.type) {
        case 'int8': return dv.getInt8(o);
        case 'uint8': return dv.getUint8(o);
        case 'int16': return dv.getInt16(o, true);
        case 'uint16': return dv.getUint16(o, true);
        case 'int32': return dv.getInt32(o, true);
        case 'uint32': return dv.getUint32(o, true);
        case 'float32': return dv.getFloat32(o, true);
        default: return dv.getFloat64(o, true);
      }
    });
  }
  return out;
}

describe('LZF', () => {
  it('round-trips through our compressor and decodes a hand-computed literal + back-reference stream', () => {
    const rng = createRng(3);
    for (const n of [0, 1, 5, 100, 5000]) {
      const input = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? rng.int(0, 255) : i % 13));
      const packed = lzfCompress(input);
      const back = lzfDecompress(packed, n);
      expect(back.ok && back.data).toEqual(input);
    }
    // "abcabcabc": literal run of 3 (ctrl 2), then a back-reference of 6 at distance 3 (ctrl (6-2)<<5, offset 2).
    const hand = Uint8Array.from([2, 97, 98, 99, 4 << 5, 2]);
    const r = lzfDecompress(hand, 9);
    expect(r.ok && new TextDecoder().decode(r.data)).toBe('abcabcabc');
  });

  it('refuses references before the start, runs past either end and wrong sizes', () => {
    expect(lzfDecompress(Uint8Array.from([1 << 5, 0]), 3)).toMatchObject({ ok: false });
    expect(lzfDecompress(Uint8Array.from([5, 1, 2]), 6)).toMatchObject({ ok: false });
    expect(lzfDecompress(Uint8Array.from([2, 1, 2, 3]), 2)).toMatchObject({ ok: false });
    expect(lzfDecompress(Uint8Array.from([0, 1]), 5)).toMatchObject({ ok: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(2000), (bytes, n) => {
        const r = lzfDecompress(bytes, n);
        if (r.ok) expect(r.data.length).toBe(n);
      }),
      { numRuns: 500 },
    );
  });
});

describe('PCD', () => {
  const ascii = parsePcd(pcdFile('mixed_ascii.pcd'));

  it('reads an ascii file with every type and COUNT > 1 into matching declared fields', () => {
    expect(ascii.ok).toBe(true);
    if (!ascii.ok) return;
    const v = ascii.value;
    expect(v.fields.map((f) => `${f.name}:${f.type}@${f.offset}`)).toEqual([
      'x:float32@0', 'y:float32@4', 'z:float32@8', 'intensity:uint8@12', 'ring:uint16@13', 't:float64@15',
      'label:int32@23', 'normal_0:float32@27', 'normal_1:float32@31', 'normal_2:float32@35', 'tag:int8@39', 's16:int16@40',
    ]);
    expect(v.stride).toBe(42);
    expect(v.count).toBe(5);
    const got = values(v);
    expect(got.label).toEqual([-7, 2147483647, -2147483648, 42, 0]);
    expect(got.ring).toEqual([0, 31, 5, 65535, 12]);
    expect(got.tag).toEqual([-128, 127, 0, -1, 5]);
    expect(got.s16).toEqual([-32768, 32767, 0, -1, 12345]);
    expect(got.t[1]).toBe(0.05);
    expect(got.x[3]).toBeNaN();
    expect(got.normal_2[1]).toBeCloseTo(0.70710677, 6);
  });

  it('reads PCL\'s own binary and binary_compressed conversions of it identically', () => {
    if (!ascii.ok) throw new Error('ascii');
    const reference = values(ascii.value);
    for (const name of ['mixed_binary.pcd', 'mixed_binary_compressed.pcd']) {
      const r = parsePcd(pcdFile(name));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.header.encoding).toBe(name.includes('compressed') ? 'binary_compressed' : 'binary');
      expect(r.value.fields).toEqual(ascii.value.fields);
      // NaN ≠ NaN: compare through Object.is via toEqual.
      expect(values(r.value)).toEqual(reference);
    }
    const grid = parsePcd(pcdFile('grid_ascii.pcd'));
    const gridCompressed = parsePcd(pcdFile('grid_binary_compressed.pcd'));
    expect(grid.ok && gridCompressed.ok).toBe(true);
    if (grid.ok && gridCompressed.ok) {
      expect(gridCompressed.value.count).toBe(300);
      expect(values(gridCompressed.value)).toEqual(values(grid.value));
    }
  });

  it('writes-and-reads binary_compressed made by our compressor (field-major)', () => {
    if (!ascii.ok) throw new Error('ascii');
    const v = ascii.value;
    const sizes = [4, 4, 4, 1, 2, 8, 4, 12, 1, 2];
    const fieldMajor = new Uint8Array(v.count * v.stride);
    let o = 0;
    let at = 0;
    for (const w of sizes) {
      for (let p = 0; p < v.count; p++) fieldMajor.set(v.data.subarray(p * v.stride + at, p * v.stride + at + w), o + p * w);
      o += w * v.count;
      at += w;
    }
    const packed = lzfCompress(fieldMajor);
    const headerText = new TextDecoder().decode(pcdFile('mixed_ascii.pcd')).split('DATA ascii')[0] + 'DATA binary_compressed\n';
    const head = new TextEncoder().encode(headerText);
    const file = new Uint8Array(head.length + 8 + packed.length);
    file.set(head);
    new DataView(file.buffer).setUint32(head.length, packed.length, true);
    new DataView(file.buffer).setUint32(head.length + 4, fieldMajor.length, true);
    file.set(packed, head.length + 8);
    const r = parsePcd(file);
    expect(r.ok && values(r.value)).toEqual(values(v));
  });

  it('decoder: one frame per file, errors counted by code, never thrown', () => {
    const decoder = createPcdDecoder({ sensorId: 'pcd', maxPoints: 1000 });
    expect(decoder.framing).toBe('file');
    const [cloud] = decoder.push(pcdFile('grid_binary_compressed.pcd'), 5n);
    expect(cloud.count).toBe(300);
    expect(cloud.stamp).toBe(5n);
    expect(decoder.push(new TextEncoder().encode('VERSION 0.7\nFIELDS x\nSIZE 8\nTYPE I\nWIDTH 1\nPOINTS 1\nDATA binary\n'), 0n)).toEqual([]);
    expect(decoder.push(new TextEncoder().encode('garbage'), 0n)).toEqual([]);
    const compressed = pcdFile('grid_binary_compressed.pcd').slice();
    const dataStart = new TextDecoder('latin1').decode(compressed).indexOf('binary_compressed\n') + 18;
    compressed[dataStart + 4] ^= 0x01; // the uncompressed size no longer matches the header
    expect(decoder.push(compressed, 0n)).toEqual([]);
    const truncated = pcdFile('mixed_binary.pcd').subarray(0, 400);
    const [short] = decoder.push(truncated, 0n);
    expect(short.count).toBeLessThan(5);
    expect(decoder.stats.errors['unsupported-type']).toBe(1);
    expect(decoder.stats.errors['bad-header']).toBe(1);
    expect(decoder.stats.errors.truncated).toBe(1);
    expect(decoder.stats.errors['bad-size']).toBe(1);
    expect(decoder.stats.frames).toBe(2);
  });

  it('never throws on random, truncated or bit-flipped files (fuzz)', () => {
    const files = ['mixed_ascii.pcd', 'mixed_binary.pcd', 'mixed_binary_compressed.pcd', 'grid_binary_compressed.pcd'].map(pcdFile);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.tuple(fc.constantFrom(...files), fc.nat()).map(([f, n]) => f.subarray(0, n % (f.length + 1))),
          fc.tuple(fc.constantFrom(...files), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 10 })).map(([f, flips]) => {
            const c = f.slice();
            for (const [at, bit] of flips) c[at % c.length] ^= 1 << bit;
            return c;
          }),
        ),
        (bytes) => {
          const decoder = createPcdDecoder({ sensorId: 'pcd', maxPoints: 100_000 });
          for (const c of decoder.push(bytes, 0n)) {
            expect(c.data.byteLength).toBe(c.count * c.stride);
            for (const f of c.fields) expect(f.offset).toBeLessThan(c.stride);
          }
          expect(decoder.stats.frames + Object.values(decoder.stats.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('KITTI and nuScenes bins', () => {
  it('reads KITTI frame 000001 (120268 points, stride 16) and nuScenes sweeps (stride 20)', () => {
    const kitti = createKittiBinDecoder({ sensorId: 'velo' });
    const [cloud] = kitti.push(fixture('kitti/000001/velodyne.bin'), 7n);
    expect(cloud.count).toBe(120268);
    expect(cloud.stride).toBe(16);
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'reflectance']);
    const f = pointFloats(cloud);
    let maxR = 0;
    let maxRefl = 0;
    for (let i = 0; i < cloud.count; i++) {
      maxR = Math.max(maxR, Math.hypot(f[i * 4], f[i * 4 + 1], f[i * 4 + 2]));
      maxRefl = Math.max(maxRefl, f[i * 4 + 3]);
    }
    expect(maxR).toBeLessThan(130); // HDL-64E
    expect(maxRefl).toBeLessThanOrEqual(1);

    const nus = createNuscenesBinDecoder({ sensorId: 'lidar_top' });
    for (const [name, n] of [
      ['n015-2018-08-02-17-16-37+0800__LIDAR_TOP__1533201470948018.pcd.bin', 100],
      ['n008-2018-09-18-12-07-26-0400__LIDAR_TOP__1537287083900561.pcd.bin', 400],
    ] as const) {
      const [c] = nus.push(fixture(`lidar_pcap/nuscenes/${name}`), 1n);
      expect(c.count).toBe(n);
      expect(c.stride).toBe(20);
      const v = pointFloats(c);
      for (let i = 0; i < c.count; i++) {
        expect(Number.isInteger(v[i * 5 + 4]) && v[i * 5 + 4] >= 0 && v[i * 5 + 4] < 32).toBe(true); // ring of an HDL-32E
        expect(v[i * 5 + 3]).toBeGreaterThanOrEqual(0);
        expect(v[i * 5 + 3]).toBeLessThanOrEqual(255);
      }
    }
    expect(nus.stats.frames).toBe(2);
  });

  it('counts a truncated file and an oversized one', () => {
    const d = createKittiBinDecoder({ sensorId: 'velo', maxFileBytes: 1000 });
    const [c] = d.push(new Uint8Array(37), 0n);
    expect(c.count).toBe(2);
    expect(d.push(new Uint8Array(1001), 0n)).toEqual([]);
    expect(d.stats.errors).toEqual({ 'truncated-file': 1, 'file-too-large': 1 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const [cloud] = createNuscenesBinDecoder({ sensorId: 'n' }).push(bytes, 0n);
        expect(cloud.count).toBe(Math.floor(bytes.length / 20));
      }),
      { numRuns: 100 },
    );
  });
});
