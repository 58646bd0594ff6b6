/** GatherV2 (and v1 Gather, axis 0): ONNX Gather, for batch_dims 0. */
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { normalizeAxis } from '../shapes.js';
import { attrInt, describeNode } from '../tf-attributes.js';

export const gatherConverters: Record<string, OpConverter> = {
  GatherV2: (node, ctx) => [gather(node, ctx, true)],
  Gather: (node, ctx) => [gather(node, ctx, false)],
};

function gather(node: TfjsNode, ctx: ConversionContext, hasAxis: boolean): Value {
  const where = describeNode(node);
  const params = ctx.input(node, 0);
  const indices = ctx.input(node, 1);
  if (indices.dtype !== 'int32') throw new TfjsConversionError(`${where}: indices are ${indices.dtype}, int32 is needed`);
  const batchDims = attrInt(node, 'batch_dims', 0);
  if (batchDims !== 0) throw new TfjsConversionError(`${where}: batch_dims ${batchDims} is not supported (0 is)`);
  let axis = 0;
  if (hasAxis) {
    const value = ctx.constant(node, 2, 'axis').data;
    if (value.length !== 1) throw new TfjsConversionError(`${where}: the axis must be a scalar`);
    axis = normalizeAxis(value[0], params.shape.length, where);
  }
  const shape = [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)];
  return { name: ctx.emit1(node, 'Gather', [params.name, indices.name], { axis }), dtype: params.dtype, shape };
}
