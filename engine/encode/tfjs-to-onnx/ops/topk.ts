/**
 * TopKV2: the k largest along the last axis, largest first; ties keep the lower index first in
 * both TF and ONNX. ONNX's indices are int64 and become TF's int32.
 */
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { describeNode } from '../tf-attributes.js';

export const topKConverters: Record<string, OpConverter> = {
  TopKV2: (node, ctx) => topK(node, ctx),
};

function topK(node: TfjsNode, ctx: ConversionContext): Value[] {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  const kValue = ctx.constant(node, 1, 'k').data;
  if (kValue.length !== 1 || !(kValue[0] >= 0)) throw new TfjsConversionError(`${where}: k must be a non-negative scalar`);
  const k = kValue[0];
  const last = x.shape[x.shape.length - 1];
  if (x.shape.length === 0) throw new TfjsConversionError(`${where}: the input must have at least one axis`);
  if (last !== null && k > last) throw new TfjsConversionError(`${where}: k = ${k} is more than the last axis's ${last} elements`);
  const [values, indices64] = ctx.emit(node, 'TopK', [x.name, ctx.int64(`${node.name}/k`, [k])], { axis: -1, largest: 1, sorted: 1 }, 2);
  const shape = [...x.shape.slice(0, -1), k];
  return [
    { name: values, dtype: x.dtype, shape },
    { name: ctx.emit1(node, 'Cast', [indices64], { to: 6 }), dtype: 'int32', shape },
  ];
}
