/**
 * Small TFJS graph models written in a test: nodes as tfjs-converter writes them in model.json,
 * weights into one shard (plain, float16- or uint8-quantized), on disk in a temporary folder so
 * that the converter and TFJS both read the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

export type TfDtypeName = 'float32' | 'int32' | 'bool';

export interface WeightDef {
  name: string;
  dtype: TfDtypeName;
  shape: number[];
  values: ArrayLike<number>;
  /** How the shard stores it; the decoded values are what TFJS and the converter compute with. */
  quantization?: 'float16' | 'uint8';
}

const DT: Record<TfDtypeName, string> = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };

/** Attribute values in model.json's encoding. */
export const a = {
  s: (v: string) => ({ s: Buffer.from(v).toString('base64') }),
  strs: (v: string[]) => ({ list: { s: v.map((x) => Buffer.from(x).toString('base64')) } }),
  i: (v: number) => ({ i: String(v) }),
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  type: (t: TfDtypeName) => ({ type: DT[t] }),
};

export function placeholder(name: string, shape: number[], dtype: TfDtypeName = 'float32'): NodeDef {
  return { name, op: 'Placeholder', attr: { dtype: a.type(dtype), shape: { shape: { dim: shape.map((size) => ({ size: String(size) })) } } } };
}

export function constant(w: WeightDef): NodeDef {
  return { name: w.name, op: 'Const', attr: { dtype: a.type(w.dtype), value: { tensor: { dtype: DT[w.dtype], tensorShape: { dim: w.shape.map((size) => ({ size: String(size) })) } } } } };
}

export function op(name: string, type: string, input: string[], attr: Record<string, unknown> = {}): NodeDef {
  return { name, op: type, input, attr };
}

/** Nodes plus a Const node per weight; writes model.json and weights.bin into `dir`; returns model.json's path. */
export function writeTinyModel(dir: string, nodes: NodeDef[], weights: WeightDef[] = []): string {
  mkdirSync(dir, { recursive: true });
  const chunks: Buffer[] = [];
  const specs = weights.map((w) => {
    const { bytes, spec } = encodeWeight(w);
    chunks.push(bytes);
    return spec;
  });
  const model = {
    format: 'graph-model',
    generatedBy: 'test',
    convertedBy: 'test',
    modelTopology: { node: [...weights.map(constant), ...nodes], library: {}, versions: {} },
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(model));
  return path;
}

function encodeWeight(w: WeightDef): { bytes: Buffer; spec: Record<string, unknown> } {
  const spec: Record<string, unknown> = { name: w.name, shape: w.shape, dtype: w.dtype };
  const values = Array.from(w.values);
  if (w.quantization === 'float16') {
    spec.quantization = { dtype: 'float16', original_dtype: w.dtype };
    const bytes = Buffer.alloc(values.length * 2);
    values.forEach((v, i) => bytes.writeUInt16LE(float32ToFloat16(v), 2 * i));
    return { bytes, spec };
  }
  if (w.quantization === 'uint8') {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const scale = max > min ? (max - min) / 255 : 1;
    spec.quantization = { dtype: 'uint8', min, scale, original_dtype: w.dtype };
    return { bytes: Buffer.from(values.map((v) => Math.round((v - min) / scale))), spec };
  }
  if (w.dtype === 'bool') return { bytes: Buffer.from(values.map((v) => (v ? 1 : 0))), spec };
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (w.dtype === 'float32' ? bytes.writeFloatLE(v, 4 * i) : bytes.writeInt32LE(v, 4 * i)));
  return { bytes, spec };
}

/** Round-to-nearest-even float16 bits of a float (normal range and zero; enough for test weights). */
export function float32ToFloat16(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  let half = sign | (exponent << 10) | (mantissa >>> 13);
  mantissa &= 0x1fff;
  if (mantissa > 0x1000 || (mantissa === 0x1000 && (half & 1))) half++;
  return half;
}

/** Deterministic values in [lo, hi) for inputs and weights. */
export function seeded(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}
