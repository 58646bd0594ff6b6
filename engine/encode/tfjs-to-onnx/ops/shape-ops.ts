/** Ops that move elements without computing on them: Identity, Reshape, ExpandDims, Squeeze, Transpose, ConcatV2. */
import type { AttributeValue } from '../../onnx-builder/index.js';
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { knownSize, normalizeAxis, type Shape } from '../shapes.js';
import { attrInts, describeNode } from '../tf-attributes.js';

export const shapeConverters: Record<string, OpConverter> = {
  // Identity is an alias: no ONNX node.
  Identity: (node, ctx) => [ctx.input(node, 0)],
  StopGradient: (node, ctx) => [ctx.input(node, 0)],
  Reshape: (node, ctx) => [reshape(node, ctx)],
  ExpandDims: (node, ctx) => [expandDims(node, ctx)],
  Squeeze: (node, ctx) => [squeeze(node, ctx)],
  Transpose: (node, ctx) => [transpose(node, ctx)],
  ConcatV2: (node, ctx) => [concat(node, ctx)],
};

function reshape(node: TfjsNode, ctx: ConversionContext): Value {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  if (!ctx.isConstant(node, 1)) {
    const target = ctx.input(node, 1);
    const rank = target.shape[0];
    if (target.shape.length !== 1 || rank === null) throw new TfjsConversionError(`${where}: the shape input must be a vector of known length`);
    const shape = ctx.emit1(node, 'Cast', [target.name], { to: 7 });
    return { name: ctx.emit1(node, 'Reshape', [x.name, shape]), dtype: x.dtype, shape: Array<null>(rank).fill(null) };
  }
  const target = Array.from(ctx.constant(node, 1, 'shape').data);
  const inferred = target.filter((d) => d === -1).length;
  if (inferred > 1 || target.some((d) => d < -1)) throw new TfjsConversionError(`${where}: shape [${target.join(', ')}] is not a valid TF shape`);
  const size = knownSize(x.shape);
  const rest = target.filter((d) => d !== -1).reduce((n, d) => n * d, 1);
  if (size !== null && (inferred ? rest === 0 || size % rest !== 0 : size !== rest)) {
    throw new TfjsConversionError(`${where}: cannot reshape ${size} elements to [${target.join(', ')}]`);
  }
  const shape: Shape = target.map((d) => (d !== -1 ? d : size === null ? null : size / rest));
  // ONNX reads a 0 as "keep this dimension" unless allowzero is set; TF means a size of 0.
  const attrs: Record<string, AttributeValue> = target.includes(0) ? { allowzero: 1 } : {};
  return { name: ctx.emit1(node, 'Reshape', [x.name, ctx.int64(`${node.name}/shape`, target)], attrs), dtype: x.dtype, shape };
}

function expandDims(node: TfjsNode, ctx: ConversionContext): Value {
  const x = ctx.input(node, 0);
  const dim = ctx.constant(node, 1, 'dim').data;
  if (dim.length !== 1) throw new TfjsConversionError(`${describeNode(node)}: dim must hold one axis, got ${dim.length}`);
  const axis = normalizeAxis(dim[0], x.shape.length + 1, describeNode(node));
  const shape = [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)];
  return { name: ctx.emit1(node, 'Unsqueeze', [x.name, ctx.int64(`${node.name}/axes`, [axis])]), dtype: x.dtype, shape };
}

function squeeze(node: TfjsNode, ctx: ConversionContext): Value {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  const listed = attrInts(node, 'squeeze_dims', []).map((a) => normalizeAxis(a, x.shape.length, where));
  if (listed.length === 0 && x.shape.includes(null)) throw new TfjsConversionError(`${where}: squeezing every size-1 axis needs known sizes, got unknown ones`);
  const axes = listed.length > 0 ? [...new Set(listed)].sort((a, b) => a - b) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (x.shape[a] !== null && x.shape[a] !== 1) throw new TfjsConversionError(`${where}: axis ${a} has size ${x.shape[a]}, not 1`);
  if (axes.length === 0) return x;
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  return { name: ctx.emit1(node, 'Squeeze', [x.name, ctx.int64(`${node.name}/axes`, axes)]), dtype: x.dtype, shape };
}

function transpose(node: TfjsNode, ctx: ConversionContext): Value {
  const where = describeNode(node);
  const x = ctx.input(node, 0);
  const perm = Array.from(ctx.constant(node, 1, 'perm').data, (a) => normalizeAxis(a, x.shape.length, where));
  if (perm.length !== x.shape.length || new Set(perm).size !== perm.length) throw new TfjsConversionError(`${where}: perm [${perm.join(', ')}] is not a permutation of ${x.shape.length} axes`);
  return { name: ctx.emit1(node, 'Transpose', [x.name], { perm }), dtype: x.dtype, shape: perm.map((a) => x.shape[a]) };
}

function concat(node: TfjsNode, ctx: ConversionContext): Value {
  const where = describeNode(node);
  const count = ctx.inputRefs(node).length - 1;
  if (count < 1) throw new TfjsConversionError(`${where}: needs at least one tensor and the axis`);
  const parts = Array.from({ length: count }, (_, i) => ctx.input(node, i));
  const axisValue = ctx.constant(node, count, 'axis').data;
  if (axisValue.length !== 1) throw new TfjsConversionError(`${where}: the axis must be a scalar`);
  const rank = parts[0].shape.length;
  const axis = normalizeAxis(axisValue[0], rank, where);
  for (const p of parts) {
    if (p.dtype !== parts[0].dtype || p.shape.length !== rank) throw new TfjsConversionError(`${where}: inputs differ in element type or rank`);
  }
  const shape = parts[0].shape.map((d, i) => {
    if (i !== axis) return parts.map((p) => p.shape[i]).find((s) => s !== null) ?? null;
    return parts.some((p) => p.shape[i] === null) ? null : parts.reduce((n, p) => n + (p.shape[i] as number), 0);
  });
  return { name: ctx.emit1(node, 'Concat', parts.map((p) => p.name), { axis }), dtype: parts[0].dtype, shape };
}
