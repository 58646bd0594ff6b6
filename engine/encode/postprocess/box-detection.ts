import type { BoxXYXY } from '../letterbox.js';

/** One detection as a decoder returns it: in the model's input pixels, before the letterbox is undone. */
export interface BoxDetection {
  /** [x1, y1, x2, y2], model input pixels. */
  box: BoxXYXY;
  score: number;
  classId: number;
  /** The row (anchor, grid cell, query) of the model output it came from. */
  index: number;
}

/** What the decoders read: an ort.Tensor, or any { data, dims } holding float32 or float64 values. */
export interface TensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** A model output the decoder cannot read as documented (wrong shape, type or size). */
export class PostprocessError extends Error {
  override name = 'PostprocessError';
}

/** The output's values, after checking their type and that dims match their count. */
export function floatData(t: TensorLike, what: string): Float32Array | Float64Array {
  const { data, dims } = t;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new PostprocessError(`${what}: expected float32 or float64 data, got ${describe(data)}`);
  }
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new PostprocessError(`${what}: bad dimension ${d} in [${dims.join(', ')}]`);
    count *= d;
  }
  if (count !== data.length) {
    throw new PostprocessError(`${what}: dims [${dims.join(', ')}] need ${count} values, data has ${data.length}`);
  }
  return data;
}

export function expectRank(t: TensorLike, rank: number, layout: string, what: string): void {
  if (t.dims.length !== rank) {
    throw new PostprocessError(`${what}: expected ${layout}, got dims [${t.dims.join(', ')}]`);
  }
}

function describe(data: unknown): string {
  if (data === null || data === undefined) return String(data);
  if (ArrayBuffer.isView(data)) return data.constructor.name;
  if (Array.isArray(data)) return 'a plain array';
  return typeof data;
}
