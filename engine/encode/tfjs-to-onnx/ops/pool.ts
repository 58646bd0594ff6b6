/** MaxPool and AvgPool (NHWC). Padded cells count for neither: TF's rule, and ONNX's with count_include_pad 0. */
import type { AttributeValue } from '../../onnx-builder/index.js';
import type { ConversionContext, Value } from '../context.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { requireNhwc, requireRank4, toNchw, toNhwc } from './layout.js';
import { spatialPair, windowPadding } from './padding.js';

export const poolConverters: Record<string, OpConverter> = {
  MaxPool: (node, ctx) => [pool(node, ctx, 'MaxPool')],
  AvgPool: (node, ctx) => [pool(node, ctx, 'AveragePool')],
};

function pool(node: TfjsNode, ctx: ConversionContext, op: 'MaxPool' | 'AveragePool'): Value {
  requireNhwc(node);
  const x = ctx.input(node, 0);
  requireRank4(node, x.shape);
  const kernel = spatialPair(node, 'ksize');
  const strides = spatialPair(node, 'strides');
  const padding = windowPadding(node, [x.shape[1], x.shape[2]], { kernel, strides, dilations: [1, 1] });
  const extra: Record<string, AttributeValue> = op === 'AveragePool' ? { count_include_pad: 0 } : {};
  const y = ctx.emit1(node, op, [toNchw(ctx, node, x.name)], { kernel_shape: [...kernel], strides: [...strides], ...padding.attrs, ...extra });
  return { name: toNhwc(ctx, node, y), dtype: x.dtype, shape: [x.shape[0], padding.out[0], padding.out[1], x.shape[3]] };
}
