import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImportError } from './import-error.js';
import { encodeNpy, npyBytesAt, npyFloat64, npyInt64AsNumbers, parseNpy } from './npy.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/comma2k19/', import.meta.url));
const load = (rel: string) => parseNpy(readFileSync(FIXTURE + rel), rel);

describe('parseNpy', () => {
  it('reads comma2k19\u2019s <f8, <i8 and |S8 arrays', () => {
    const value = load('processed_log/CAN/radar/value');
    expect(value).toMatchObject({ descr: '<f8', shape: [10100, 7], itemSize: 8 });
    expect(Array.from(npyFloat64(value, 'v').subarray(0, 3))).toEqual([74.54, expect.closeTo(-2.76, 12), 3.6]);
    const address = load('processed_log/CAN/raw_can/address');
    expect(npyInt64AsNumbers(address, 'a')[0]).toBe(528);
    const data = load('processed_log/CAN/raw_can/data');
    expect(data).toMatchObject({ descr: '|S8', shape: [19200], itemSize: 8 });
    expect(Array.from(npyBytesAt(data, 0))).toEqual([0x93, 0x38, 0x26, 0x08, 0xac, 0x09, 0x01, 0xc9]);
  });

  // PROVENANCE.md says the upstream magnetometer_uncalibrated/value is truncated; the stored copy is
  // whole (numpy.load reads it). It is a real Fortran-order file, and cut short it is the corrupt case.
  it('reads the real Fortran-order magnetometer array in C order (values as numpy.load gives them)', () => {
    const m = load('processed_log/IMU/magnetometer_uncalibrated/value');
    expect(m.shape).toEqual([592, 3]);
    const v = npyFloat64(m, 'm');
    expect(Array.from(v.subarray(0, 3))).toEqual([expect.closeTo(-162.06054688, 7), expect.closeTo(-0.72021484, 7), expect.closeTo(51.7791748, 6)]);
    expect(Array.from(v.subarray(v.length - 3))).toEqual([expect.closeTo(-165.4800415, 6), expect.closeTo(-1.6204834, 6), expect.closeTo(51.11999512, 7)]);
  });

  it('a truncated array is a clear error naming the shortfall', () => {
    const whole = readFileSync(FIXTURE + 'processed_log/IMU/magnetometer_uncalibrated/value');
    const cut = whole.subarray(0, whole.length - 512);
    expect(() => parseNpy(cut, 'value')).toThrow(ImportError);
    expect(() => parseNpy(cut, 'value')).toThrow(/value: NPY array is truncated: header says shape \(592, 3\) of <f8 = 14208 bytes, the file holds 13696/);
  });

  it('Fortran order is transposed to C order; version 2.0 headers; encodeNpy round trip', () => {
    const f = new Float64Array([1, 2, 3, 4, 5, 6]); // columns of a 3×2 array
    const enc = encodeNpy('<f8', [3, 2], new Uint8Array(f.buffer));
    const text = new TextDecoder('latin1').decode(enc).replace("'fortran_order': False", "'fortran_order': True ");
    const fortran = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(Array.from(npyFloat64(parseNpy(fortran, 'f'), 'f'))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(npyFloat64(parseNpy(enc, 'c'), 'c'))).toEqual([1, 2, 3, 4, 5, 6]);
    const v2 = new Uint8Array(enc.length + 2);
    v2.set(enc.subarray(0, 8));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, new DataView(enc.buffer).getUint16(8, true), true);
    v2.set(enc.subarray(10), 12);
    expect(parseNpy(v2, 'v2').shape).toEqual([3, 2]);
  });

  it('rejects what it cannot read, by message', () => {
    expect(() => parseNpy(new TextEncoder().encode('hello world'), 'x')).toThrow(/no \\x93NUMPY magic/);
    expect(() => parseNpy(encodeNpy('>f8', [1], new Uint8Array(8)), 'x')).toThrow(/dtype '>f8' is not supported/);
    expect(() => parseNpy(encodeNpy('<f8', [2], new Uint8Array(24)), 'x')).toThrow(/longer than its header says/);
    expect(() => npyInt64AsNumbers(parseNpy(encodeNpy('<f8', [1], new Uint8Array(8)), 'x'), 'x')).toThrow(/expected an <i8 array/);
  });

  it('random and damaged files give an ImportError or a consistent array (fast-check)', () => {
    const real = encodeNpy('<f8', [4, 2], new Uint8Array(64));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat().map((cut) => real.subarray(0, cut % (real.length + 1))),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => { const b = real.slice(); b[at % b.length] ^= 1 << bit; return b; }),
        ),
        (bytes) => {
          try {
            const a = parseNpy(bytes, 'x');
            expect(a.data.byteLength).toBe(a.shape.reduce((p, q) => p * q, 1) * a.itemSize);
          } catch (err) {
            expect(err).toBeInstanceOf(ImportError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
