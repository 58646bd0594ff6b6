import { attributeProtoFields, attr, type AttributeValue, type SubGraph } from './attributes.js';
import { ONNX_DATA_TYPE_CODE, isOnnxDataType, type OnnxDataType } from './data-types.js';
import { OnnxBuildError } from './onnx-build-error.js';
import { elementCount, tensorProtoFields, type TensorValue } from './tensor-value.js';

/** One dimension of a declared shape: a size, a symbol (`'batch'`), or null for unknown. */
export type Dim = number | string | null;

export interface NodeOptions {
  /** The node's name (default: `<op>_<index>`). */
  name?: string;
  /** Operator set domain ('' = ai.onnx, e.g. 'com.microsoft' for contrib ops). */
  domain?: string;
}

interface ValueDecl {
  name: string;
  dtype: OnnxDataType;
  shape: readonly Dim[] | null;
}

interface NodeDecl {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, AttributeValue>>;
  name: string;
  domain: string;
}

/**
 * A graph described in the order it computes: inputs, constants, nodes in topological order,
 * outputs. Each method returns the builder, so a graph reads as one chain. Names are checked when
 * the graph is written: a node that reads an undefined value, an output nothing produces, or a
 * name produced twice is an OnnxBuildError that names it.
 */
export class GraphBuilder implements SubGraph {
  readonly #name: string;
  readonly #inputs: ValueDecl[] = [];
  readonly #outputs: ValueDecl[] = [];
  readonly #valueInfo: ValueDecl[] = [];
  readonly #initializers: { name: string; value: TensorValue }[] = [];
  readonly #nodes: NodeDecl[] = [];

  constructor(name = 'graph') {
    this.#name = name;
  }

  /** A graph input fed at run time; `shape` null leaves the rank unknown. */
  input(name: string, dtype: OnnxDataType, shape: readonly Dim[] | null = null): this {
    this.#inputs.push(valueDecl(name, dtype, shape, 'input'));
    return this;
  }

  /** A named constant tensor stored in the model (weights, shapes, anchors). */
  initializer(name: string, value: TensorValue): this {
    checkName(name, 'initializer');
    elementCount(value.dims);
    this.#initializers.push({ name, value });
    return this;
  }

  /** A Constant node producing `name`: the same value as an initializer, but computed by the graph. */
  constant(name: string, value: TensorValue): this {
    return this.node('Constant', [], [name], { value: attr.tensor(value) });
  }

  /**
   * An operator node. `inputs` may hold '' for an optional input left out (as ONNX writes it).
   * Attributes: see AttributeValue (floats need attr.float / attr.floats).
   */
  node(
    op: string,
    inputs: readonly string[],
    outputs: string | readonly string[],
    attrs: Readonly<Record<string, AttributeValue>> = {},
    options: NodeOptions = {},
  ): this {
    if (!op) throw new OnnxBuildError(`node ${this.#nodes.length}: op_type is empty`);
    const outs = typeof outputs === 'string' ? [outputs] : [...outputs];
    this.#nodes.push({
      op,
      inputs: [...inputs],
      outputs: outs,
      attrs: { ...attrs },
      name: options.name ?? `${op}_${this.#nodes.length}`,
      domain: options.domain ?? '',
    });
    return this;
  }

  /** A graph output; ONNX requires its element type, the shape is optional. */
  output(name: string, dtype: OnnxDataType, shape: readonly Dim[] | null = null): this {
    this.#outputs.push(valueDecl(name, dtype, shape, 'output'));
    return this;
  }

  /** Type and shape of an intermediate value, for tools that show them (optional for ORT). */
  valueInfo(name: string, dtype: OnnxDataType, shape: readonly Dim[] | null = null): this {
    this.#valueInfo.push(valueDecl(name, dtype, shape, 'value_info'));
    return this;
  }

  /** The GraphProto fields (as protobufjs takes them), after checking every name. */
  toGraphProto(outerNames: ReadonlySet<string> = new Set()): Record<string, unknown> {
    const defined = new Set<string>();
    const define = (name: string, what: string): void => {
      if (defined.has(name)) throw new OnnxBuildError(`graph ${this.#name}: ${what} '${name}' is already defined`);
      defined.add(name);
    };
    for (const v of this.#inputs) define(v.name, 'input');
    for (const init of this.#initializers) {
      // An initializer may share its name with an input: it is then that input's default value.
      if (!this.#inputs.some((v) => v.name === init.name)) define(init.name, 'initializer');
    }
    const visible = (name: string): boolean => defined.has(name) || outerNames.has(name);
    const nodes = this.#nodes.map((n, index) => {
      const where = `graph ${this.#name}, node ${index} (${n.op} '${n.name}')`;
      n.inputs.forEach((input, i) => {
        if (input !== '' && !visible(input)) {
          throw new OnnxBuildError(`${where}: input ${i} '${input}' is not a graph input, an initializer or an earlier node's output`);
        }
      });
      const scope = new Set([...outerNames, ...defined]);
      const attribute = Object.entries(n.attrs).map(([name, value]) => attributeProtoFields(name, value, where, scope));
      for (const output of n.outputs) if (output !== '') define(output, `output of ${where}:`);
      return { input: n.inputs, output: n.outputs, name: n.name, op_type: n.op, domain: n.domain, attribute };
    });
    for (const v of this.#outputs) {
      if (!visible(v.name)) throw new OnnxBuildError(`graph ${this.#name}: output '${v.name}' is produced by no node, input or initializer`);
    }
    return {
      name: this.#name,
      node: nodes,
      initializer: this.#initializers.map((i) => tensorProtoFields(i.name, i.value)),
      input: this.#inputs.map(valueInfoProtoFields),
      output: this.#outputs.map(valueInfoProtoFields),
      value_info: this.#valueInfo.map(valueInfoProtoFields),
    };
  }
}

/** A new, empty graph. */
export function graph(name = 'graph'): GraphBuilder {
  return new GraphBuilder(name);
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name === '') throw new OnnxBuildError(`${what} name must be a non-empty string`);
}

function valueDecl(name: string, dtype: OnnxDataType, shape: readonly Dim[] | null, what: string): ValueDecl {
  checkName(name, what);
  if (!isOnnxDataType(dtype)) throw new OnnxBuildError(`${what} '${name}': unknown element type ${String(dtype)}`);
  if (shape) {
    shape.forEach((d, i) => {
      const ok = d === null || (typeof d === 'string' && d !== '') || (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
      if (!ok) throw new OnnxBuildError(`${what} '${name}': dimension ${i} must be a size, a symbol or null, got ${String(d)}`);
    });
  }
  return { name, dtype, shape: shape ? [...shape] : null };
}

function valueInfoProtoFields(v: ValueDecl): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: ONNX_DATA_TYPE_CODE[v.dtype] };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}
