/**
 * ResizeBilinear and ResizeNearestNeighbor on NHWC images: ONNX Resize to [N, height, width, C], so
 * the layout stays NHWC (ONNX Runtime has an NHWC bilinear kernel). TF's align_corners /
 * half_pixel_centers pick the coordinate transform. The sizes name all four axes rather than using
 * Resize's `axes`: ONNX Runtime 1.29's transpose optimizer rewrites a two-element sizes as if it had four.
 */
import type { AttributeValue } from '../../onnx-builder/index.js';
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { attrBool, describeNode } from '../tf-attributes.js';
import { requireRank4 } from './layout.js';

export const resizeConverters: Record<string, OpConverter> = {
  ResizeBilinear: (node, ctx) => [resize(node, ctx, 'linear')],
  ResizeNearestNeighbor: (node, ctx) => [resize(node, ctx, 'nearest')],
};

function resize(node: TfjsNode, ctx: ConversionContext, mode: 'linear' | 'nearest'): Value {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  requireRank4(node, x.shape);
  const size = Array.from(ctx.constant(node, 1, 'size').data);
  if (size.length !== 2 || size.some((s) => !(s > 0))) throw new TfjsConversionError(`${where}: size [${size.join(', ')}] is not [height, width]`);
  const alignCorners = attrBool(node, 'align_corners', false);
  const halfPixel = attrBool(node, 'half_pixel_centers', false);
  if (alignCorners && halfPixel) throw new TfjsConversionError(`${where}: align_corners and half_pixel_centers cannot both be set`);
  const attrs: Record<string, AttributeValue> = { mode };
  if (mode === 'linear') {
    attrs.coordinate_transformation_mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
  } else {
    attrs.coordinate_transformation_mode = alignCorners ? 'align_corners' : halfPixel ? 'tf_half_pixel_for_nn' : 'asymmetric';
    // TF rounds with round() under align_corners and floors otherwise.
    attrs.nearest_mode = alignCorners ? 'round_prefer_ceil' : 'floor';
  }
  const name = ctx.emit1(node, 'Resize', [x.name, '', '', outputSizes(node, ctx, x, size)], attrs);
  return { name, dtype: x.dtype, shape: [x.shape[0], size[0], size[1], x.shape[3]] };
}

/** [N, height, width, C] as int64: a constant when N and C are known, else taken from the input's shape. */
function outputSizes(node: TfjsNode, ctx: ConversionContext, x: Value, size: number[]): string {
  const [n, , , c] = x.shape;
  if (n !== null && c !== null) return ctx.int64(`${node.name}/sizes`, [n, size[0], size[1], c]);
  const shape = ctx.emit1(node, 'Shape', [x.name]);
  const batch = ctx.emit1(node, 'Slice', [shape, ctx.int64(`${node.name}/at0`, [0]), ctx.int64(`${node.name}/at1`, [1])]);
  const channels = ctx.emit1(node, 'Slice', [shape, ctx.int64(`${node.name}/at3`, [3]), ctx.int64(`${node.name}/at4`, [4])]);
  return ctx.emit1(node, 'Concat', [batch, ctx.int64(`${node.name}/hw`, size), channels], { axis: 0 });
}
