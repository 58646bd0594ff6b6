/**
 * The weights of a TFJS graph model: each manifest group's shard files concatenated in order, the
 * group's weights read one after another from those bytes, as tfjs-core's decodeWeights reads them
 * (float16 → float32; uint8 / uint16 → q · scale + min, rounded for int32).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { TfjsConversionError } from './conversion-error.js';
import { float16ToFloat32 } from './float16.js';
import type { TfjsWeightGroup, TfjsWeightSpec } from './model-json.js';
import { elementCountOf, type TfTensor } from './tf-tensor.js';

/** A weight the converter reads past but cannot use (string, complex64): an error only where a node needs it. */
export interface UnusableWeight {
  readonly unusable: string;
}

export type WeightMap = Map<string, TfTensor | UnusableWeight>;

/** The shard files a manifest names, resolved against the model's folder; URLs and absolute paths are refused. */
export function shardPaths(groups: readonly TfjsWeightGroup[], modelDir: string, file: string): string[][] {
  return groups.map((group, g) =>
    group.paths.map((p) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(p) || isAbsolute(p)) {
        throw new TfjsConversionError(`${file}: weights group ${g} names "${p}"; only files beside model.json can be read`);
      }
      return join(modelDir, p);
    }),
  );
}

/** Reads every group's shards and decodes its weights. */
export function readWeights(groups: readonly TfjsWeightGroup[], modelDir: string, file: string): WeightMap {
  const weights: WeightMap = new Map();
  shardPaths(groups, modelDir, file).forEach((paths, g) => {
    const shards = paths.map((path, s) => {
      if (!existsSync(path) || !statSync(path).isFile()) {
        throw new TfjsConversionError(`${file}: weight shard "${groups[g].paths[s]}" (group ${g}) not found beside model.json`);
      }
      return readFileSync(path);
    });
    const bytes = new Uint8Array(Buffer.concat(shards));
    decodeWeightGroup(groups[g].weights, bytes, `${file}: weights group ${g} (${groups[g].paths.join(', ')})`, weights);
  });
  return weights;
}

/** Decodes one group's weights from its concatenated bytes into `into`. */
export function decodeWeightGroup(specs: readonly TfjsWeightSpec[], bytes: Uint8Array, where: string, into: WeightMap): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (spec: TfjsWeightSpec, length: number): void => {
    if (offset + length > bytes.byteLength) {
      throw new TfjsConversionError(
        `${where}: truncated: weight "${spec.name}" needs bytes ${offset}..${offset + length} but the shards hold ${bytes.byteLength} bytes`,
      );
    }
  };
  for (const spec of specs) {
    if (into.has(spec.name)) throw new TfjsConversionError(`${where}: weight "${spec.name}" is listed twice`);
    const count = elementCountOf(spec.shape);
    if (spec.dtype === 'string') {
      // Each string is a uint32 byte length, then the bytes; read past them to keep the offsets right.
      for (let i = 0; i < count; i++) {
        need(spec, 4);
        const length = view.getUint32(offset, true);
        offset += 4;
        need(spec, length);
        offset += length;
      }
      into.set(spec.name, { unusable: 'string' });
      continue;
    }
    const q = spec.quantization;
    if (q) {
      const size = q.dtype === 'uint8' ? 1 : 2;
      need(spec, count * size);
      into.set(spec.name, dequantize(spec, view, offset, count, where));
      offset += count * size;
      continue;
    }
    const size = spec.dtype === 'bool' ? 1 : spec.dtype === 'complex64' ? 8 : 4;
    need(spec, count * size);
    if (spec.dtype === 'complex64') {
      into.set(spec.name, { unusable: 'complex64' });
    } else if (spec.dtype === 'float32') {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
      into.set(spec.name, { dtype: 'float32', shape: spec.shape, data });
    } else if (spec.dtype === 'int32') {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(offset + 4 * i, true);
      into.set(spec.name, { dtype: 'int32', shape: spec.shape, data });
    } else {
      const data = Uint8Array.from(bytes.subarray(offset, offset + count), (v) => (v ? 1 : 0));
      into.set(spec.name, { dtype: 'bool', shape: spec.shape, data });
    }
    offset += count * size;
  }
}

function dequantize(spec: TfjsWeightSpec, view: DataView, offset: number, count: number, where: string): TfTensor {
  const q = spec.quantization!;
  const stored = (i: number): number => (q.dtype === 'uint8' ? view.getUint8(offset + i) : view.getUint16(offset + 2 * i, true));
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') throw new TfjsConversionError(`${where}: weight "${spec.name}": float16 quantization of ${spec.dtype} weights is not defined`);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = float16ToFloat32(stored(i));
    return { dtype: 'float32', shape: spec.shape, data };
  }
  const { min, scale } = q;
  if (min === undefined || scale === undefined) {
    throw new TfjsConversionError(`${where}: weight "${spec.name}": ${q.dtype} quantization without min and scale`);
  }
  if (spec.dtype === 'float32') {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = stored(i) * scale + min;
    return { dtype: 'float32', shape: spec.shape, data };
  }
  if (spec.dtype === 'int32') {
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) data[i] = Math.round(stored(i) * scale + min);
    return { dtype: 'int32', shape: spec.shape, data };
  }
  throw new TfjsConversionError(`${where}: weight "${spec.name}": ${q.dtype} quantization of ${spec.dtype} weights is not defined`);
}
