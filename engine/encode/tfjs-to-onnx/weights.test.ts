import { describe, expect, it } from 'vitest';
import { float16ToFloat32 } from './float16.js';
import type { TfjsWeightSpec } from './model-json.js';
import { float32ToFloat16 } from './testing/tiny-model.js';
import { decodeWeightGroup, type WeightMap } from './weights.js';

describe('float16 → float32', () => {
  it('decodes normal, subnormal, signed-zero, infinite and NaN halves exactly', () => {
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0xc000)).toBe(-2);
    expect(float16ToFloat32(0x3555)).toBe(0.333251953125);
    expect(float16ToFloat32(0x7bff)).toBe(65504);
    expect(float16ToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(float16ToFloat32(0x8000), -0)).toBe(true);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
  });

  it('inverts the test models\' float16 encoder on every finite normal half', () => {
    const wrong: number[] = [];
    for (let bits = 0x0400; bits < 0x7c00; bits++) if (float32ToFloat16(float16ToFloat32(bits)) !== bits) wrong.push(bits);
    expect(wrong).toEqual([]);
  });
});

describe('weight groups', () => {
  const decode = (specs: TfjsWeightSpec[], bytes: number[] | Uint8Array): WeightMap => {
    const into: WeightMap = new Map();
    decodeWeightGroup(specs, Uint8Array.from(bytes), 'group 0', into);
    return into;
  };
  const le32 = (values: number[], kind: 'f' | 'i'): number[] => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => (kind === 'f' ? b.writeFloatLE(v, 4 * i) : b.writeInt32LE(v, 4 * i)));
    return [...b];
  };

  it('reads weights one after another: float32, int32, bool, float16, uint8 (float and int32), uint16', () => {
    const specs: TfjsWeightSpec[] = [
      { name: 'f', shape: [2], dtype: 'float32' },
      { name: 'i', shape: [2], dtype: 'int32' },
      { name: 'b', shape: [3], dtype: 'bool' },
      { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
      { name: 'qi', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', min: 10, scale: 0.75 } },
      { name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'uint16', min: 0, scale: 0.001 } },
    ];
    const bytes = [...le32([1.5, -2], 'f'), ...le32([7, -9], 'i'), 1, 0, 2, 0x00, 0x3c, 0x00, 0xc0, 0, 3, 255, 1, 2, 0xe8, 0x03];
    const w = decode(specs, bytes);
    const data = (name: string) => Array.from((w.get(name) as { data: ArrayLike<number> }).data);
    expect(data('f')).toEqual([1.5, -2]);
    expect(data('i')).toEqual([7, -9]);
    expect(data('b')).toEqual([1, 0, 1]);
    expect(data('h')).toEqual([1, -2]);
    expect(data('q')).toEqual([-1, 0.5, 126.5]);
    // int32 from uint8 rounds q · scale + min, as tfjs-core does: 10.75 → 11, 11.5 → 12.
    expect(data('qi')).toEqual([11, 12]);
    expect(data('w')[0]).toBeCloseTo(1, 6);
  });

  it('reads past string weights (length-prefixed) and marks them unusable', () => {
    const specs: TfjsWeightSpec[] = [{ name: 's', shape: [2], dtype: 'string' }, { name: 'f', shape: [1], dtype: 'float32' }];
    const w = decode(specs, [2, 0, 0, 0, 104, 105, 0, 0, 0, 0, ...le32([4], 'f')]);
    expect(w.get('s')).toEqual({ unusable: 'string' });
    expect(Array.from((w.get('f') as { data: Float32Array }).data)).toEqual([4]);
  });

  it('names the weight and the byte range when the shards are too short', () => {
    const specs: TfjsWeightSpec[] = [{ name: 'a', shape: [2], dtype: 'float32' }, { name: 'conv/kernel', shape: [3, 3], dtype: 'float32' }];
    expect(() => decode(specs, new Uint8Array(8 + 20))).toThrow(/group 0: truncated: weight "conv\/kernel" needs bytes 8\.\.44 but the shards hold 28 bytes/);
  });

  it('refuses uint8 quantization without min and scale, float16 on int32, and a weight listed twice', () => {
    expect(() => decode([{ name: 'q', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }], [0])).toThrow(/"q": uint8 quantization without min and scale/);
    expect(() => decode([{ name: 'h', shape: [1], dtype: 'int32', quantization: { dtype: 'float16' } }], [0, 0])).toThrow(/float16 quantization of int32/);
    expect(() => decode([{ name: 'x', shape: [], dtype: 'int32' }, { name: 'x', shape: [], dtype: 'int32' }], new Uint8Array(8))).toThrow(/"x" is listed twice/);
  });
});
