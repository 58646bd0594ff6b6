/** Mean, Sum, Max, Min, Prod over constant axes (TF's reduction_indices), with keep_dims. */
import type { ConversionContext, Value } from '../context.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { normalizeAxis } from '../shapes.js';
import { attrBool, describeNode } from '../tf-attributes.js';

const REDUCTIONS: Record<string, string> = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin', Prod: 'ReduceProd' };

export const reduceConverters: Record<string, OpConverter> = Object.fromEntries(
  Object.entries(REDUCTIONS).map(([tf, onnx]) => [tf, (node: TfjsNode, ctx: ConversionContext) => [reduce(node, ctx, onnx)]]),
);

function reduce(node: TfjsNode, ctx: ConversionContext, op: string): Value {
  const x = ctx.input(node, 0);
  const rank = x.shape.length;
  const axes = [...new Set(Array.from(ctx.constant(node, 1, 'axes').data, (a) => normalizeAxis(a, rank, describeNode(node))))].sort((a, b) => a - b);
  // TF reduces nothing over an empty axis list; ONNX would reduce everything.
  if (axes.length === 0) return x;
  const keep = attrBool(node, 'keep_dims', false);
  const name = ctx.emit1(node, op, [x.name, ctx.int64(`${node.name}/axes`, axes)], { keepdims: keep ? 1 : 0 });
  const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return { name, dtype: x.dtype, shape };
}
