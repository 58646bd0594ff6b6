/**
 * Node attributes as tfjs-converter writes them in model.json (the GraphDef's AttrValue as JSON):
 * strings base64, 64-bit integers as decimal strings, element types as DT_* names.
 */
import { TfjsConversionError } from './conversion-error.js';
import type { TfjsAttrValue, TfjsNode } from './model-json.js';
import type { TfDtype } from './tf-tensor.js';

/** "node "x" (Op)": how every message names a node. */
export function describeNode(node: TfjsNode): string {
  return `node "${node.name}" (${node.op})`;
}

function get(node: TfjsNode, key: string): TfjsAttrValue | undefined {
  return Object.hasOwn(node.attr, key) ? node.attr[key] : undefined;
}

function missing(node: TfjsNode, key: string, what: string): never {
  throw new TfjsConversionError(`${describeNode(node)}: attribute ${key} (${what}) is missing or of another type`);
}

function toInt(node: TfjsNode, key: string, v: string | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new TfjsConversionError(`${describeNode(node)}: attribute ${key} value "${v}" is not an integer`);
  return n;
}

function decodeBase64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

export function attrInt(node: TfjsNode, key: string, fallback?: number): number {
  const v = get(node, key)?.i;
  if (v !== undefined) return toInt(node, key, v);
  return fallback ?? missing(node, key, 'int');
}

export function attrInts(node: TfjsNode, key: string, fallback?: readonly number[]): number[] {
  const list = get(node, key)?.list;
  if (list) return (list.i ?? []).map((v) => toInt(node, key, v));
  if (fallback) return [...fallback];
  return missing(node, key, 'list of ints');
}

export function attrFloat(node: TfjsNode, key: string, fallback?: number): number {
  const v = get(node, key)?.f;
  if (v !== undefined) return v;
  return fallback ?? missing(node, key, 'float');
}

export function attrBool(node: TfjsNode, key: string, fallback?: boolean): boolean {
  const v = get(node, key)?.b;
  if (v !== undefined) return v;
  return fallback ?? missing(node, key, 'bool');
}

export function attrString(node: TfjsNode, key: string, fallback?: string): string {
  const v = get(node, key)?.s;
  if (v !== undefined) return decodeBase64(v);
  return fallback ?? missing(node, key, 'string');
}

export function attrStrings(node: TfjsNode, key: string): string[] {
  return (get(node, key)?.list?.s ?? []).map(decodeBase64);
}

/** A DT_* attribute (T, DstT, dtype) as the element type TFJS computes with. */
export function attrDtype(node: TfjsNode, key: string, fallback?: TfDtype): TfDtype {
  const v = get(node, key)?.type;
  if (v === undefined) return fallback ?? missing(node, key, 'type');
  const dtype = TF_DTYPES[v];
  if (!dtype) throw new TfjsConversionError(`${describeNode(node)}: attribute ${key} is ${v}; supported element types: ${Object.keys(TF_DTYPES).join(', ')}`);
  return dtype;
}

const TF_DTYPES: Readonly<Record<string, TfDtype>> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float32',
  DT_DOUBLE: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT16: 'int32',
  DT_INT8: 'int32',
  DT_UINT8: 'int32',
  DT_BOOL: 'bool',
};

/** A placeholder's declared shape: sizes, null where unknown (-1); undefined when the rank is unknown. */
export function attrShape(node: TfjsNode, key: string): (number | null)[] | undefined {
  const shape = get(node, key)?.shape as { dim?: { size?: string | number }[]; unknownRank?: boolean } | undefined;
  if (!shape || shape.unknownRank) return undefined;
  return (shape.dim ?? []).map((d) => {
    const size = Number(d.size ?? -1);
    return Number.isSafeInteger(size) && size >= 0 ? size : null;
  });
}
