import { PostprocessError, floatData, type TensorLike } from './box-detection.js';

export interface EmbeddingDecodeOptions {
  /** Scale each vector to unit L2 norm (a zero vector stays zero). Default false. */
  l2Normalize?: boolean;
}

/**
 * Plain embeddings: [D] (one item), [B, D], or [B, D, 1, 1]-like (a global pool's output: the
 * dims after the first are flattened). One Float32Array per batch item, a copy that owns its
 * memory (the model's output buffer may be reused).
 */
export function decodeEmbeddings(output: TensorLike, options: EmbeddingDecodeOptions = {}): Float32Array[] {
  const data = floatData(output, 'embedding output');
  const { dims } = output;
  if (dims.length === 0) throw new PostprocessError('embedding output: expected [D] or [B, D], got a scalar');
  const batch = dims.length === 1 ? 1 : dims[0];
  const size = batch === 0 ? 0 : data.length / batch;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = Float32Array.from(data.subarray(b * size, (b + 1) * size));
    if (options.l2Normalize) l2NormalizeInPlace(v);
    out.push(v);
  }
  return out;
}

/** Divides by the L2 norm, summed in double precision; zero and non-finite norms leave v as is. */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0 && Number.isFinite(norm)) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}
