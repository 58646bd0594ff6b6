/**
 * StridedSlice with TF's masks, resolved at conversion time (begin, end and strides are constants):
 * the sparse slice spec is expanded to one range per input axis as TF's BuildDenseSpec does (an
 * ellipsis, or the implied one at the end, covers the axes not named), then written as one ONNX
 * Slice, a Squeeze of the shrunk axes and an Unsqueeze of the new ones.
 */
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { attrInt, describeNode } from '../tf-attributes.js';

/** ONNX Slice clamps out-of-range ends to the axis, so these stand for "to the end" in either direction. */
const TO_END = Number.MAX_SAFE_INTEGER;

interface DenseRange {
  begin: number;
  end: number;
  stride: number;
  beginMasked: boolean;
  endMasked: boolean;
  shrink: boolean;
}

type FinalAxis = { dense: number } | { newAxis: true };

export const stridedSliceConverters: Record<string, OpConverter> = {
  StridedSlice: (node, ctx) => [stridedSlice(node, ctx)],
};

function bits(mask: number, i: number): boolean {
  return i < 31 && (mask & (1 << i)) !== 0;
}

function stridedSlice(node: TfjsNode, ctx: ConversionContext): Value {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  const begin = Array.from(ctx.constant(node, 1, 'begin').data);
  const end = Array.from(ctx.constant(node, 2, 'end').data);
  const strides = Array.from(ctx.constant(node, 3, 'strides').data);
  if (end.length !== begin.length || strides.length !== begin.length) {
    throw new TfjsConversionError(`${where}: begin, end and strides differ in length (${begin.length}, ${end.length}, ${strides.length})`);
  }
  const masks = {
    begin: attrInt(node, 'begin_mask', 0),
    end: attrInt(node, 'end_mask', 0),
    ellipsis: attrInt(node, 'ellipsis_mask', 0),
    newAxis: attrInt(node, 'new_axis_mask', 0),
    shrink: attrInt(node, 'shrink_axis_mask', 0),
  };
  const rank = x.shape.length;
  const { dense, final } = denseSpec(begin, end, strides, masks, rank, where);

  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  const lengths: (number | null)[] = [];
  dense.forEach((r, axis) => {
    const size = x.shape[axis];
    if (r.stride === 0) throw new TfjsConversionError(`${where}: stride 0 on axis ${axis}`);
    if (r.shrink) {
      const index = r.beginMasked ? (r.stride > 0 ? 0 : -1) : r.begin;
      if (size !== null && (index < -size || index >= size)) throw new TfjsConversionError(`${where}: index ${index} is outside axis ${axis} of size ${size}`);
      axes.push(axis);
      starts.push(index);
      ends.push(index === -1 ? TO_END : index + 1);
      steps.push(1);
      lengths.push(1);
      return;
    }
    if (r.beginMasked && r.endMasked && r.stride === 1) {
      lengths.push(size);
      return;
    }
    const length = size === null ? null : sliceLength(r, size);
    lengths.push(length);
    axes.push(axis);
    if (length === 0) {
      // ONNX clamps a start below −size to 0 where TF's slice is empty; an empty range says it plainly.
      starts.push(0);
      ends.push(0);
      steps.push(1);
      return;
    }
    starts.push(r.beginMasked ? (r.stride > 0 ? 0 : TO_END) : r.begin);
    ends.push(r.endMasked ? (r.stride > 0 ? TO_END : -TO_END) : r.end);
    steps.push(r.stride);
  });

  let y = x.name;
  if (axes.length > 0) {
    y = ctx.emit1(node, 'Slice', [
      y,
      ctx.int64(`${node.name}/starts`, starts),
      ctx.int64(`${node.name}/ends`, ends),
      ctx.int64(`${node.name}/axes`, axes),
      ctx.int64(`${node.name}/steps`, steps),
    ]);
  }
  const shrunk = dense.flatMap((r, axis) => (r.shrink ? [axis] : []));
  if (shrunk.length > 0) y = ctx.emit1(node, 'Squeeze', [y, ctx.int64(`${node.name}/shrink_axes`, shrunk)]);
  const added = final.flatMap((a, i) => ('newAxis' in a ? [i] : []));
  if (added.length > 0) y = ctx.emit1(node, 'Unsqueeze', [y, ctx.int64(`${node.name}/new_axes`, added)]);
  const shape = final.map((a) => ('newAxis' in a ? 1 : lengths[a.dense]));
  return { name: y, dtype: x.dtype, shape };
}

/** TF's BuildDenseSpec: one range per input axis, and the output's axes (kept input axes and new ones, in order). */
function denseSpec(
  begin: number[], end: number[], strides: number[],
  masks: { begin: number; end: number; ellipsis: number; newAxis: number; shrink: number },
  rank: number, where: string,
): { dense: DenseRange[]; final: FinalAxis[] } {
  const named = begin.map((_, i) => i).filter((i) => bits(masks.ellipsis, i));
  if (named.length > 1) throw new TfjsConversionError(`${where}: more than one ellipsis in ellipsis_mask ${masks.ellipsis}`);
  // Without an ellipsis, TF implies one after the last named axis.
  const ellipsisAt = named[0] ?? begin.length;
  const sparseCount = named.length > 0 ? begin.length : begin.length + 1;
  let newAxesAfterEllipsis = 0;
  for (let i = ellipsisAt + 1; i < begin.length; i++) if (bits(masks.newAxis, i)) newAxesAfterEllipsis++;

  const dense: DenseRange[] = [];
  const final: FinalAxis[] = [];
  for (let i = 0; i < sparseCount; i++) {
    if (i === ellipsisAt) {
      const next = Math.min(rank - (sparseCount - i) + 1 + newAxesAfterEllipsis, rank);
      while (dense.length < next) {
        final.push({ dense: dense.length });
        dense.push({ begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true, shrink: false });
      }
    } else if (bits(masks.newAxis, i)) {
      final.push({ newAxis: true });
    } else {
      if (dense.length >= rank) throw new TfjsConversionError(`${where}: the slice names more axes than the input's ${rank}`);
      const shrink = bits(masks.shrink, i);
      if (!shrink) final.push({ dense: dense.length });
      dense.push({ begin: begin[i], end: end[i], stride: strides[i], beginMasked: bits(masks.begin, i), endMasked: bits(masks.end, i), shrink });
    }
  }
  if (dense.length !== rank) throw new TfjsConversionError(`${where}: the slice covers ${dense.length} of the input's ${rank} axes`);
  return { dense, final };
}

/** The number of elements TF's slice takes from an axis of `size`: begin and end made non-negative, then clamped. */
function sliceLength(r: DenseRange, size: number): number {
  const forward = r.stride > 0;
  const canonical = (v: number, masked: boolean, isBegin: boolean): number => {
    if (masked) return forward ? (isBegin ? 0 : size) : isBegin ? size - 1 : -1;
    const x = v < 0 ? v + size : v;
    return forward ? Math.min(Math.max(x, 0), size) : Math.min(Math.max(x, -1), size - 1);
  };
  const b = canonical(r.begin, r.beginMasked, true);
  const e = canonical(r.end, r.endMasked, false);
  return forward ? Math.max(0, Math.ceil((e - b) / r.stride)) : Math.max(0, Math.ceil((b - e) / -r.stride));
}
