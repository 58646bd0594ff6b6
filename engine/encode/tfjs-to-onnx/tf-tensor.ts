/**
 * The element types a TFJS graph model computes with. TFJS has no int64 or float64: its converter
 * stores those as int32 and float32, and so does this converter.
 */
export type TfDtype = 'float32' | 'int32' | 'bool';

/** A constant tensor (a weight), row-major; bool as 0/1 bytes. */
export interface TfTensor {
  readonly dtype: TfDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
}

export function elementCountOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
