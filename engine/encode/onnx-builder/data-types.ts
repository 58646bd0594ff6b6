/**
 * Element types, named as ONNX Runtime's JavaScript API names them (ort.Tensor's `type`), with
 * their TensorProto.DataType codes from onnx.proto.
 */
export type OnnxDataType =
  | 'float32' | 'float64' | 'float16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool';

/** The typed array that holds each element type (float16 as its raw bits, bool as 0/1 bytes). */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

export const ONNX_DATA_TYPE_CODE: Readonly<Record<OnnxDataType, number>> = Object.freeze({
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
});

export function isOnnxDataType(value: string): value is OnnxDataType {
  return Object.hasOwn(ONNX_DATA_TYPE_CODE, value);
}
