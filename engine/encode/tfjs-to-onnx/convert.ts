/**
 * TFJS graph model (model.json + weight shards) → ONNX model bytes. The nodes the requested outputs
 * need are converted in dependency order, each by its op's converter (op-table.ts); tensors keep
 * TF's layouts and element types, so the ONNX model takes and returns exactly what the TFJS model
 * does, under the same names.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { buildModel, graph, type Dim } from '../onnx-builder/index.js';
import { ConversionContext, parseInputRef } from './context.js';
import { TfjsConversionError } from './conversion-error.js';
import { parseModelJson, type TfjsGraphModel, type TfjsNode } from './model-json.js';
import { OP_CONVERTERS, supportedOps } from './op-table.js';
import { attrDtype, attrShape, describeNode } from './tf-attributes.js';
import { CONVERTER_VERSION } from './version.js';
import { readWeights, shardPaths, type WeightMap } from './weights.js';

/** ai.onnx opset of the converted models: Resize's axes and the reductions' axes inputs need 18. */
export const CONVERTER_OPSET = 18;

const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

export interface ConvertOptions {
  /**
   * The outputs, in the order the ONNX model declares them: signature keys, node names or
   * "node:k" tensor names. Default: the signature's outputs, else every node nothing reads.
   */
  outputs?: readonly string[];
}

/** Converts the model whose model.json is at `modelJsonPath` (its weight shards beside it). */
export function convertTfjsGraphModel(modelJsonPath: string, options: ConvertOptions = {}): Uint8Array {
  const model = readModelJson(modelJsonPath);
  const weights = readWeights(model.weightsManifest, dirname(modelJsonPath), modelJsonPath);
  return convertTfjsModel(model, weights, { ...options, source: basename(modelJsonPath) });
}

/** model.json and its weight shards: what a conversion reads, for caches that must notice a change. */
export function tfjsModelFiles(modelJsonPath: string): string[] {
  const model = readModelJson(modelJsonPath);
  return [modelJsonPath, ...shardPaths(model.weightsManifest, dirname(modelJsonPath), modelJsonPath).flat()];
}

function readModelJson(path: string): TfjsGraphModel {
  if (!existsSync(path) || !statSync(path).isFile()) throw new TfjsConversionError(`${path}: model.json not found`);
  const size = statSync(path).size;
  if (size > MAX_MODEL_JSON_BYTES) throw new TfjsConversionError(`${path}: ${size} bytes is more than a model.json holds`);
  return parseModelJson(readFileSync(path, 'utf8'), path);
}

/** Converts a parsed model with its decoded weights; `source` names it in the ONNX metadata. */
export function convertTfjsModel(model: TfjsGraphModel, weights: WeightMap, options: ConvertOptions & { source?: string } = {}): Uint8Array {
  const nodes = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const outputs = resolveOutputs(model, nodes, options.outputs);
  const order = executionOrder(nodes, outputs.map((o) => o.ref));
  const g = graph('tfjs');
  const placeholders = order.filter((n) => n.op === 'Placeholder').map((n) => n.name);
  const ctx = new ConversionContext(g, [...outputs.map((o) => o.name), ...placeholders]);

  for (const node of order) {
    if (node.op === 'Placeholder') {
      const shape = attrShape(node, 'shape') ?? signatureShape(model, node.name);
      if (!shape) throw new TfjsConversionError(`${describeNode(node)}: the input's rank is unknown; the converter needs it`);
      const dtype = attrDtype(node, 'dtype');
      g.input(node.name, dtype, shape.map((d): Dim => d));
      ctx.define(node.name, 0, { name: node.name, dtype, shape });
    } else if (node.op === 'Const') {
      const weight = weights.get(node.name);
      if (!weight) throw new TfjsConversionError(`${describeNode(node)}: no weight of that name in the weights manifest`);
      if ('unusable' in weight) throw new TfjsConversionError(`${describeNode(node)}: ${weight.unusable} constants are not supported`);
      ctx.defineConstant(node.name, weight);
    } else {
      const converter = Object.hasOwn(OP_CONVERTERS, node.op) ? OP_CONVERTERS[node.op] : undefined;
      if (!converter) {
        throw new TfjsConversionError(`unsupported TFJS op "${node.op}" at node "${node.name}"; the converter supports ${supportedOps().join(', ')}`);
      }
      converter(node, ctx).forEach((value, i) => ctx.define(node.name, i, value));
    }
  }

  for (const output of outputs) {
    const value = ctx.valueOf(output.ref, `output "${output.name}"`);
    g.node('Identity', [value.name], output.name, {}, { name: `${output.name}#output` });
    g.output(output.name, value.dtype, value.shape.map((d): Dim => d));
  }
  return buildModel({
    opset: CONVERTER_OPSET,
    graph: g,
    producerName: 'percept tfjs-to-onnx',
    producerVersion: String(CONVERTER_VERSION),
    metadata: { source: options.source ?? 'TFJS graph model', layout: 'as the TFJS model (NHWC images)' },
  });
}

interface OutputRef {
  /** The ONNX output's name. */
  name: string;
  /** The TF tensor: "node" or "node:k". */
  ref: string;
}

function resolveOutputs(model: TfjsGraphModel, nodes: ReadonlyMap<string, TfjsNode>, requested?: readonly string[]): OutputRef[] {
  const signature = model.signature?.outputs ?? {};
  const byKey = (key: string): OutputRef | undefined => (Object.hasOwn(signature, key) ? { name: key, ref: signature[key].name } : undefined);
  let outputs: OutputRef[];
  if (requested) {
    outputs = requested.map((key) => byKey(key) ?? { name: key, ref: key });
  } else if (Object.keys(signature).length > 0) {
    outputs = Object.keys(signature).map((key) => byKey(key)!);
  } else {
    const read = new Set([...nodes.values()].flatMap((n) => n.input.map((ref) => parseInputRef(ref).node)));
    outputs = [...nodes.values()].filter((n) => !read.has(n.name) && n.op !== 'Const').map((n) => ({ name: n.name, ref: n.name }));
  }
  if (outputs.length === 0) throw new TfjsConversionError('the model has no outputs to convert');
  for (const o of outputs) {
    if (!nodes.has(parseInputRef(o.ref).node)) {
      const known = Object.keys(signature);
      throw new TfjsConversionError(`output "${o.name}" is not a node of the model${known.length ? ` (signature outputs: ${known.join(', ')})` : ''}`);
    }
  }
  return outputs;
}

/** The nodes the outputs depend on, each after the nodes it reads (control dependencies carry no data and are left out). */
function executionOrder(nodes: ReadonlyMap<string, TfjsNode>, outputRefs: readonly string[]): TfjsNode[] {
  const state = new Map<string, 'open' | 'done'>();
  const order: TfjsNode[] = [];
  for (const ref of outputRefs) {
    const stack: { node: TfjsNode; next: number }[] = [];
    const enter = (name: string, reader?: TfjsNode): void => {
      const node = nodes.get(name);
      if (!node) throw new TfjsConversionError(`${reader ? describeNode(reader) : 'an output'} reads "${name}", which no node produces`);
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'open') throw new TfjsConversionError(`${describeNode(node)} is part of a cycle (control flow is not supported)`);
      state.set(name, 'open');
      stack.push({ node, next: 0 });
    };
    enter(parseInputRef(ref).node);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const inputs = top.node.input.filter((r) => !r.startsWith('^'));
      if (top.next < inputs.length) {
        enter(parseInputRef(inputs[top.next++]).node, top.node);
      } else {
        stack.pop();
        state.set(top.node.name, 'done');
        order.push(top.node);
      }
    }
  }
  return order;
}

function signatureShape(model: TfjsGraphModel, name: string): (number | null)[] | undefined {
  const entry = Object.values(model.signature?.inputs ?? {}).find((e) => e.name === name || e.name === `${name}:0`) as
    | { tensorShape?: { dim?: { size?: string | number }[]; unknownRank?: boolean } }
    | undefined;
  const shape = entry?.tensorShape;
  if (!shape || shape.unknownRank) return undefined;
  return (shape.dim ?? []).map((d) => {
    const size = Number(d.size ?? -1);
    return Number.isSafeInteger(size) && size >= 0 ? size : null;
  });
}
