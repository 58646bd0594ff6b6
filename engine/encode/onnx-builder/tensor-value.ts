import { endianness } from 'node:os';
import { ONNX_DATA_TYPE_CODE, type OnnxDataType, type TypedArrayOf } from './data-types.js';
import { OnnxBuildError } from './onnx-build-error.js';

/** A dense tensor to store in a model (initializer, Constant value, tensor attribute). Row-major. */
export interface TensorValue<T extends OnnxDataType = OnnxDataType> {
  readonly dtype: T;
  readonly dims: readonly number[];
  readonly data: TypedArrayOf[T];
}

type Elements = ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>;

/**
 * A tensor of `dtype` with shape `dims`. `data` is the typed array for that type (kept, not
 * copied) or plain numbers / bigints / booleans (converted; integers must be integers).
 */
export function tensor<T extends OnnxDataType>(dtype: T, dims: readonly number[], data: TypedArrayOf[T] | Elements): TensorValue<T> {
  const count = elementCount(dims);
  const typed = toTypedArray(dtype, data);
  if (typed.length !== count) {
    throw new OnnxBuildError(`tensor of shape [${dims.join(', ')}] needs ${count} elements, got ${typed.length}`);
  }
  return { dtype, dims: [...dims], data: typed };
}

export function float32Tensor(dims: readonly number[], data: Float32Array | ArrayLike<number>): TensorValue<'float32'> {
  return tensor('float32', dims, data);
}

export function int64Tensor(dims: readonly number[], data: BigInt64Array | ArrayLike<number> | ArrayLike<bigint>): TensorValue<'int64'> {
  return tensor('int64', dims, data);
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxBuildError(`tensor dimension must be a non-negative integer, got ${d}`);
    n *= d;
  }
  return n;
}

function toTypedArray<T extends OnnxDataType>(dtype: T, data: TypedArrayOf[T] | Elements): TypedArrayOf[T] {
  if (isTypedArrayFor(dtype, data)) return data as TypedArrayOf[T];
  const values = Array.from(data as ArrayLike<unknown>);
  const fail = (i: number): never => {
    throw new OnnxBuildError(`${dtype} tensor element ${i} is not a valid ${dtype} value: ${String(values[i])}`);
  };
  switch (dtype) {
    case 'int64':
    case 'uint64': {
      const out = dtype === 'int64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
      values.forEach((v, i) => {
        if (typeof v === 'bigint') out[i] = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) out[i] = BigInt(v);
        else fail(i);
      });
      return out as TypedArrayOf[T];
    }
    case 'bool': {
      const out = new Uint8Array(values.length);
      values.forEach((v, i) => {
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (v === 0 || v === 1) out[i] = v;
        else fail(i);
      });
      return out as TypedArrayOf[T];
    }
    default: {
      const isFloat = dtype === 'float32' || dtype === 'float64';
      values.forEach((v, i) => {
        if (typeof v !== 'number' || (!isFloat && !Number.isInteger(v))) fail(i);
      });
      const ctor = {
        float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
        int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
      }[dtype as Exclude<OnnxDataType, 'int64' | 'uint64' | 'bool'>];
      return ctor.from(values as number[]) as TypedArrayOf[T];
    }
  }
}

function isTypedArrayFor(dtype: OnnxDataType, data: unknown): boolean {
  switch (dtype) {
    case 'float32': return data instanceof Float32Array;
    case 'float64': return data instanceof Float64Array;
    case 'float16': case 'uint16': return data instanceof Uint16Array;
    case 'int8': return data instanceof Int8Array;
    case 'uint8': case 'bool': return data instanceof Uint8Array;
    case 'int16': return data instanceof Int16Array;
    case 'int32': return data instanceof Int32Array;
    case 'uint32': return data instanceof Uint32Array;
    case 'int64': return data instanceof BigInt64Array;
    case 'uint64': return data instanceof BigUint64Array;
  }
}

// raw_data is little-endian by the ONNX spec; typed arrays use the host's order.
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** The TensorProto fields (as protobufjs takes them) for a named tensor, its values in raw_data. */
export function tensorProtoFields(name: string, t: TensorValue): Record<string, unknown> {
  if (!HOST_IS_LITTLE_ENDIAN) throw new OnnxBuildError('writing ONNX tensors needs a little-endian host');
  const { data } = t;
  return {
    name,
    dims: [...t.dims],
    data_type: ONNX_DATA_TYPE_CODE[t.dtype],
    raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
