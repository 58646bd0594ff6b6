/**
 * The converter keeps every tensor in TF's NHWC layout and switches to ONNX's NCHW only around the
 * ops that need it (Conv, pooling). ONNX Runtime's transpose optimizer cancels the pairs that meet
 * between consecutive convolutions, so the layout costs nothing at run time.
 */
import type { ConversionContext } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import { attrString, describeNode } from '../tf-attributes.js';

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];

export function toNchw(ctx: ConversionContext, node: TfjsNode, x: string): string {
  return ctx.emit1(node, 'Transpose', [x], { perm: NHWC_TO_NCHW });
}

export function toNhwc(ctx: ConversionContext, node: TfjsNode, x: string): string {
  return ctx.emit1(node, 'Transpose', [x], { perm: NCHW_TO_NHWC });
}

/** Refuses NCHW TF ops: tfjs-converter graphs are NHWC, and a wrong guess would convert silently wrong. */
export function requireNhwc(node: TfjsNode): void {
  const format = attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw new TfjsConversionError(`${describeNode(node)}: data_format ${format} is not supported (NHWC is)`);
}

/** An NHWC image tensor's rank check, shared by the ops that take one. */
export function requireRank4(node: TfjsNode, shape: readonly unknown[]): void {
  if (shape.length !== 4) throw new TfjsConversionError(`${describeNode(node)}: input must be a rank-4 NHWC tensor, got rank ${shape.length}`);
}
