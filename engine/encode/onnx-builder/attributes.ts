import { OnnxBuildError } from './onnx-build-error.js';
import { tensorProtoFields, type TensorValue } from './tensor-value.js';

/** Anything that writes itself as a GraphProto: a GraphBuilder used as a sub-graph (If, Loop, Scan). */
export interface SubGraph {
  /** `outerNames`: values of the enclosing graphs that the sub-graph may read. */
  toGraphProto(outerNames?: ReadonlySet<string>): Record<string, unknown>;
}

/** An attribute whose ONNX type is stated, for the types a plain value cannot say (floats above all). */
export type TypedAttribute =
  | { readonly attributeType: 'float'; readonly value: number }
  | { readonly attributeType: 'floats'; readonly value: readonly number[] }
  | { readonly attributeType: 'int'; readonly value: number | bigint }
  | { readonly attributeType: 'ints'; readonly value: readonly (number | bigint)[] }
  | { readonly attributeType: 'string'; readonly value: string }
  | { readonly attributeType: 'strings'; readonly value: readonly string[] }
  | { readonly attributeType: 'tensor'; readonly value: TensorValue }
  | { readonly attributeType: 'graph'; readonly value: SubGraph };

/**
 * A node attribute. Plain values map to the ONNX type they can only mean: an integer or bigint →
 * INT, an array of integers → INTS, a string → STRING, a TensorValue → TENSOR. A non-integer
 * number is refused: floats are written with `attr.float` / `attr.floats`, so that `alpha: 1`
 * can never become an INT by accident.
 */
export type AttributeValue = number | bigint | readonly (number | bigint)[] | string | TensorValue | TypedAttribute;

export const attr = {
  float: (value: number): TypedAttribute => ({ attributeType: 'float', value }),
  floats: (value: readonly number[]): TypedAttribute => ({ attributeType: 'floats', value }),
  int: (value: number | bigint): TypedAttribute => ({ attributeType: 'int', value }),
  ints: (value: readonly (number | bigint)[]): TypedAttribute => ({ attributeType: 'ints', value }),
  string: (value: string): TypedAttribute => ({ attributeType: 'string', value }),
  strings: (value: readonly string[]): TypedAttribute => ({ attributeType: 'strings', value }),
  tensor: (value: TensorValue): TypedAttribute => ({ attributeType: 'tensor', value }),
  graph: (value: SubGraph): TypedAttribute => ({ attributeType: 'graph', value }),
} as const;

// AttributeProto.AttributeType codes (onnx.proto).
const TYPE_CODE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

const utf8 = new TextEncoder();

/** The AttributeProto fields (as protobufjs takes them) for one attribute of a node. */
export function attributeProtoFields(
  name: string,
  value: AttributeValue,
  where: string,
  outerNames: ReadonlySet<string>,
): Record<string, unknown> {
  const typed = toTyped(name, value, where);
  const base = { name, type: TYPE_CODE[typed.attributeType] };
  switch (typed.attributeType) {
    case 'float':
      return { ...base, f: typed.value };
    case 'floats':
      return { ...base, floats: [...typed.value] };
    case 'int':
      return { ...base, i: int64(typed.value, name, where) };
    case 'ints':
      return { ...base, ints: typed.value.map((v) => int64(v, name, where)) };
    case 'string':
      return { ...base, s: utf8.encode(typed.value) };
    case 'strings':
      return { ...base, strings: typed.value.map((v) => utf8.encode(v)) };
    case 'tensor':
      return { ...base, t: tensorProtoFields('', typed.value) };
    case 'graph':
      return { ...base, g: typed.value.toGraphProto(outerNames) };
  }
}

function toTyped(name: string, value: AttributeValue, where: string): TypedAttribute {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new OnnxBuildError(`${where}: attribute ${name} = ${value} is not an integer; write attr.float(${value}) for a FLOAT`);
    }
    return attr.int(value);
  }
  if (typeof value === 'bigint') return attr.int(value);
  if (typeof value === 'string') return attr.string(value);
  if (Array.isArray(value)) {
    value.forEach((v: number | bigint, i: number) => {
      if (typeof v === 'number' && !Number.isInteger(v)) {
        throw new OnnxBuildError(`${where}: attribute ${name}[${i}] = ${v} is not an integer; write attr.floats([...]) for FLOATS`);
      }
    });
    return attr.ints(value as readonly (number | bigint)[]);
  }
  if ('attributeType' in (value as object)) return value as TypedAttribute;
  if ('dtype' in (value as object)) return attr.tensor(value as TensorValue);
  throw new OnnxBuildError(`${where}: attribute ${name} has a value the builder cannot write`);
}

// protobufjs takes an int64 as a number (exact up to 2^53) or as {low, high} 32-bit halves.
function int64(v: number | bigint, name: string, where: string): number | { low: number; high: number; unsigned: boolean } {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new OnnxBuildError(`${where}: attribute ${name} value ${v} is not a safe integer`);
    return v;
  }
  if (v < -(1n << 63n) || v >= 1n << 63n) throw new OnnxBuildError(`${where}: attribute ${name} value ${v} does not fit in int64`);
  const bits = BigInt.asUintN(64, v);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false };
}
