/**
 * What the op converters share: the ONNX graph being written, the ONNX value of each TF tensor
 * ("node" or "node:k") with its element type and static shape, and the TF constants, whose values
 * converters read at conversion time (axes, shapes, filters). A constant becomes an ONNX
 * initializer only when some node reads it as a tensor.
 */
import { float32Tensor, int64Tensor, tensor, type AttributeValue, type GraphBuilder, type TensorValue } from '../onnx-builder/index.js';
import { TfjsConversionError } from './conversion-error.js';
import type { TfjsNode } from './model-json.js';
import type { Shape } from './shapes.js';
import { describeNode } from './tf-attributes.js';
import type { TfDtype, TfTensor } from './tf-tensor.js';

/** A TF tensor in the ONNX graph. */
export interface Value {
  readonly name: string;
  readonly dtype: TfDtype;
  readonly shape: Shape;
}

/** A node input reference: "name", "name:1"; "^name" is a control dependency and carries no tensor. */
export function parseInputRef(ref: string): { node: string; index: number; control: boolean } {
  if (ref.startsWith('^')) return { node: ref.slice(1), index: 0, control: true };
  const match = /^(.*):(\d+)$/.exec(ref);
  return match ? { node: match[1], index: Number(match[2]), control: false } : { node: ref, index: 0, control: false };
}

export class ConversionContext {
  readonly graph: GraphBuilder;
  readonly #values = new Map<string, Value>();
  readonly #constants = new Map<string, TfTensor>();
  readonly #materialized = new Set<string>();
  readonly #names = new Set<string>();

  constructor(graph: GraphBuilder, reservedNames: Iterable<string> = []) {
    this.graph = graph;
    for (const name of reservedNames) this.#names.add(name);
  }

  /** A value name not used before, built from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let n = 1; this.#names.has(name); n++) name = `${base}_${n}`;
    this.#names.add(name);
    return name;
  }

  /** Records output `index` of TF node `nodeName`. */
  define(nodeName: string, index: number, value: Value): void {
    this.#values.set(`${nodeName}:${index}`, value);
  }

  /** Records a Const node; its initializer is written when first read as a tensor. */
  defineConstant(nodeName: string, value: TfTensor): void {
    const name = this.fresh(nodeName);
    this.#constants.set(`${nodeName}:0`, value);
    this.define(nodeName, 0, { name, dtype: value.dtype, shape: value.shape });
  }

  /** The tensor inputs of a node (control dependencies left out). */
  inputRefs(node: TfjsNode): string[] {
    return node.input.filter((ref) => !ref.startsWith('^'));
  }

  /** The tensor a reference names, with its initializer written if it is a constant. */
  valueOf(ref: string, where: string): Value {
    const { node, index } = parseInputRef(ref);
    const key = `${node}:${index}`;
    const value = this.#values.get(key);
    if (!value) throw new TfjsConversionError(`${where}: input "${ref}" is produced by no node`);
    const constant = this.#constants.get(key);
    if (constant && !this.#materialized.has(key)) {
      this.#materialized.add(key);
      this.graph.initializer(value.name, toTensorValue(constant));
    }
    return value;
  }

  /** Tensor input `i` of a node. */
  input(node: TfjsNode, i: number): Value {
    const refs = this.inputRefs(node);
    if (i >= refs.length) throw new TfjsConversionError(`${describeNode(node)}: has ${refs.length} inputs, input ${i} is needed`);
    return this.valueOf(refs[i], describeNode(node));
  }

  /** Whether tensor input `i` is a Const node's output (its value is known now). */
  isConstant(node: TfjsNode, i: number): boolean {
    const ref = this.inputRefs(node)[i];
    if (ref === undefined) return false;
    const { node: name, index } = parseInputRef(ref);
    return this.#constants.has(`${name}:${index}`);
  }

  /** The value of tensor input `i`, which must be a constant: the converter needs it to write the ONNX node. */
  constant(node: TfjsNode, i: number, what: string): TfTensor {
    const ref = this.inputRefs(node)[i];
    const { node: name, index } = parseInputRef(ref ?? '');
    const value = this.#constants.get(`${name}:${index}`);
    if (!value) {
      throw new TfjsConversionError(`${describeNode(node)}: input ${i} (${what}) must be a constant (a Const node), got ${ref === undefined ? 'nothing' : `"${ref}"`}`);
    }
    return value;
  }

  /** Writes one ONNX node with fresh output names derived from the TF node's name. */
  emit(tfNode: TfjsNode, op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttributeValue>> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, (_, k) => this.fresh(`${tfNode.name}/${op}${outputs > 1 ? `:${k}` : ''}`));
    this.graph.node(op, inputs, names, attrs, { name: this.fresh(`${tfNode.name}/${op}#node`) });
    return names;
  }

  /** One-output emit. */
  emit1(tfNode: TfjsNode, op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttributeValue>> = {}): string {
    return this.emit(tfNode, op, inputs, attrs, 1)[0];
  }

  /** A new initializer holding `value`. */
  initializer(base: string, value: TensorValue): string {
    const name = this.fresh(base);
    this.graph.initializer(name, value);
    return name;
  }

  int64(base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(base, int64Tensor(dims, values));
  }

  float32(base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.initializer(base, float32Tensor(dims, values));
  }

  /** A scalar of the TF element type, for arithmetic on values of that type. */
  scalar(base: string, dtype: TfDtype, value: number): string {
    return this.initializer(base, dtype === 'float32' ? float32Tensor([], [value]) : dtype === 'int32' ? tensor('int32', [], [value]) : tensor('bool', [], [value]));
  }
}

export function toTensorValue(t: TfTensor): TensorValue {
  return { dtype: t.dtype, dims: [...t.shape], data: t.data } as TensorValue;
}
