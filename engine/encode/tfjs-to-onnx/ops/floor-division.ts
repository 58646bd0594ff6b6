/**
 * FloorDiv and FloorMod: TF rounds the quotient towards −∞ (Python's //, %), ONNX's Div on
 * integers truncates towards zero and its Mod on floats is C's fmod. Both are corrected where the
 * remainder is non-zero and its sign differs from the divisor's, as TF's kernels do.
 */
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { broadcastShapes } from '../shapes.js';
import { describeNode } from '../tf-attributes.js';

export const floorDivisionConverters: Record<string, OpConverter> = {
  FloorDiv: (node, ctx) => [floorDiv(node, ctx)],
  FloorMod: (node, ctx) => [floorMod(node, ctx)],
};

function operands(node: TfjsNode, ctx: ConversionContext): [Value, Value] {
  const a = ctx.input(node, 0);
  const b = ctx.input(node, 1);
  if (a.dtype !== b.dtype || a.dtype === 'bool') {
    throw new TfjsConversionError(`${describeNode(node)}: inputs are ${a.dtype} and ${b.dtype}; two float32 or two int32 inputs are needed`);
  }
  return [a, b];
}

/** Whether r ≠ 0 and sign(r) ≠ sign(b): where truncation and flooring part ways. */
function needsCorrection(node: TfjsNode, ctx: ConversionContext, r: string, b: string, zero: string): string {
  const nonZero = ctx.emit1(node, 'Not', [ctx.emit1(node, 'Equal', [r, zero])]);
  const signsDiffer = ctx.emit1(node, 'Xor', [ctx.emit1(node, 'Less', [r, zero]), ctx.emit1(node, 'Less', [b, zero])]);
  return ctx.emit1(node, 'And', [nonZero, signsDiffer]);
}

function floorDiv(node: TfjsNode, ctx: ConversionContext): Value {
  const [a, b] = operands(node, ctx);
  const shape = broadcastShapes(a.shape, b.shape, describeNode(node));
  if (a.dtype === 'float32') return { name: ctx.emit1(node, 'Floor', [ctx.emit1(node, 'Div', [a.name, b.name])]), dtype: a.dtype, shape };
  const zero = ctx.scalar(`${node.name}/zero`, 'int32', 0);
  const q = ctx.emit1(node, 'Div', [a.name, b.name]);
  const r = ctx.emit1(node, 'Sub', [a.name, ctx.emit1(node, 'Mul', [q, b.name])]);
  const correction = ctx.emit1(node, 'Cast', [needsCorrection(node, ctx, r, b.name, zero)], { to: 6 });
  return { name: ctx.emit1(node, 'Sub', [q, correction]), dtype: a.dtype, shape };
}

function floorMod(node: TfjsNode, ctx: ConversionContext): Value {
  const [a, b] = operands(node, ctx);
  const shape = broadcastShapes(a.shape, b.shape, describeNode(node));
  // ONNX Mod with fmod 0 is already the floored remainder, but only for integers.
  if (a.dtype === 'int32') return { name: ctx.emit1(node, 'Mod', [a.name, b.name], { fmod: 0 }), dtype: a.dtype, shape };
  const zero = ctx.scalar(`${node.name}/zero`, 'float32', 0);
  const r = ctx.emit1(node, 'Mod', [a.name, b.name], { fmod: 1 });
  const corrected = ctx.emit1(node, 'Add', [r, b.name]);
  return { name: ctx.emit1(node, 'Where', [needsCorrection(node, ctx, r, b.name, zero), corrected, r]), dtype: a.dtype, shape };
}
