import { describe, it, expect } from 'vitest';
import { MODALITIES, fieldOffset, pointFloats, pointStrideFloats, type PointCloud, type PointField } from './frames.js';

const XYZI: PointField[] = [
  { name: 'x', offset: 0, type: 'float32' },
  { name: 'y', offset: 4, type: 'float32' },
  { name: 'z', offset: 8, type: 'float32' },
  { name: 'intensity', offset: 12, type: 'float32' },
];

function cloud(data: Uint8Array, count: number, fields: PointField[] = XYZI, stride = 16): PointCloud {
  return { modality: 'lidar', sensorId: 'lidar_top', frameId: 'velodyne', stamp: 1n, receivedAt: 2n, seq: 0, fields, stride, count, data };
}

/** Little-endian float32 bytes of the values, at a chosen byte offset inside a larger buffer. */
function floatBytesAt(values: number[], byteOffset: number, extra = 0): Uint8Array {
  const buffer = new ArrayBuffer(byteOffset + values.length * 4 + extra);
  const view = new DataView(buffer);
  values.forEach((v, i) => view.setFloat32(byteOffset + i * 4, v, true));
  return new Uint8Array(buffer, byteOffset, values.length * 4);
}

const POINTS = [1.5, -2.25, 0.125, 7, 10, 20, 30, 0.5, -1e6, 3.4e38, -0, 1];
/** What float32 storage makes of POINTS (3.4e38 is not exactly representable). */
const STORED = Array.from(Float32Array.from(POINTS));

describe('pointFloats', () => {
  it('views the same memory when the bytes are 4-byte aligned (zero copy)', () => {
    const data = floatBytesAt(POINTS, 8, 12);
    const floats = pointFloats(cloud(data, 3));
    expect(floats.buffer).toBe(data.buffer);
    expect(floats.byteOffset).toBe(8);
    expect(floats.length).toBe(12);
    expect(Array.from(floats)).toEqual(STORED);
    // A write through the view shows in the frame's bytes: it is the same memory.
    floats[0] = 42;
    expect(new DataView(data.buffer, data.byteOffset).getFloat32(0, true)).toBe(42);
  });

  it('reads the right values from unaligned bytes, through a copy', () => {
    for (const offset of [1, 2, 3, 5]) {
      const data = floatBytesAt(POINTS, offset, 3);
      const floats = pointFloats(cloud(data, 3));
      expect(floats.buffer).not.toBe(data.buffer);
      expect(floats.byteOffset).toBe(0);
      expect(Array.from(floats)).toEqual(STORED);
    }
  });

  it('views only the declared points when the bytes hold more', () => {
    const floats = pointFloats(cloud(floatBytesAt(POINTS, 0), 2));
    expect(Array.from(floats)).toEqual(STORED.slice(0, 8));
  });

  it('refuses a cloud whose bytes are fewer than it declares, aligned or not', () => {
    // Aligned: the underlying buffer is long enough, so a view would silently read past `data`.
    const big = new Uint8Array(new ArrayBuffer(1024), 0, 32);
    expect(() => pointFloats(cloud(big, 3))).toThrow(/declares 3 points of 16 bytes but holds 32 bytes/);
    expect(() => pointFloats(cloud(floatBytesAt(POINTS, 1).subarray(0, 40), 3))).toThrow(RangeError);
  });

  it('refuses layouts that are not all float32 or whose stride is not a multiple of 4', () => {
    const data = floatBytesAt(POINTS, 0);
    const withRing: PointField[] = [...XYZI.slice(0, 3), { name: 'ring', offset: 12, type: 'uint16' }];
    expect(() => pointFloats(cloud(data, 3, withRing))).toThrow(/lidar_top is not all float32/);
    expect(() => pointFloats(cloud(data, 2, XYZI.slice(0, 3), 14))).toThrow(TypeError);
  });

  it('gives an empty view of an empty cloud', () => {
    expect(pointFloats(cloud(new Uint8Array(0), 0)).length).toBe(0);
  });
});

describe('point layout helpers', () => {
  it('give the stride in floats and field offsets by name', () => {
    const c = cloud(floatBytesAt(POINTS, 0), 3);
    expect(pointStrideFloats(c)).toBe(4);
    expect(fieldOffset(c, 'z')).toBe(8);
    expect(fieldOffset(c, 'intensity')).toBe(12);
    expect(fieldOffset(c, 'ring')).toBeUndefined();
  });
});

describe('MODALITIES', () => {
  it('lists the five modalities', () => {
    expect([...MODALITIES]).toEqual(['camera', 'lidar', 'radar', 'gnss', 'audio']);
  });
});
