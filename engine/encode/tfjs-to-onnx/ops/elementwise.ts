/** Element-wise ops: arithmetic and comparisons with NumPy broadcasting (TF's and ONNX's), unary math, Cast. */
import { ONNX_DATA_TYPE_CODE } from '../../onnx-builder/index.js';
import type { ConversionContext, Value } from '../context.js';
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { broadcastShapes } from '../shapes.js';
import { attrDtype, attrFloat, attrString, describeNode } from '../tf-attributes.js';
import type { TfDtype } from '../tf-tensor.js';
import { applyActivation, type Activation } from './activation.js';

const ARITHMETIC: Record<string, string> = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min' };
const COMPARISON: Record<string, string> = { Equal: 'Equal', Less: 'Less', LessEqual: 'LessOrEqual', Greater: 'Greater', GreaterEqual: 'GreaterOrEqual' };
const LOGICAL: Record<string, string> = { LogicalAnd: 'And', LogicalOr: 'Or' };
const SIGNED: Record<string, string> = { Neg: 'Neg', Abs: 'Abs' };
const MATH: Record<string, string> = { Exp: 'Exp', Log: 'Log', Sqrt: 'Sqrt', Floor: 'Floor', Ceil: 'Ceil', Reciprocal: 'Reciprocal' };
const ACTIVATIONS: readonly Activation[] = ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'LeakyRelu'];

/** Two inputs of one element type (TF's rule; TFJS graphs hold no mixed-type arithmetic). */
function operands(node: TfjsNode, ctx: ConversionContext, allowed: readonly TfDtype[]): [Value, Value] {
  const a = ctx.input(node, 0);
  const b = ctx.input(node, 1);
  const where = describeNode(node);
  if (a.dtype !== b.dtype) throw new TfjsConversionError(`${where}: inputs are ${a.dtype} and ${b.dtype}; one element type is needed`);
  if (!allowed.includes(a.dtype)) throw new TfjsConversionError(`${where}: ${a.dtype} inputs are not supported (${allowed.join(', ')} are)`);
  return [a, b];
}

function binary(onnxOp: string, result: (input: TfDtype) => TfDtype, allowed: readonly TfDtype[]): OpConverter {
  return (node, ctx) => {
    const [a, b] = operands(node, ctx, allowed);
    const shape = broadcastShapes(a.shape, b.shape, describeNode(node));
    return [{ name: ctx.emit1(node, onnxOp, [a.name, b.name]), dtype: result(a.dtype), shape }];
  };
}

function unary(onnxOp: string, allowed: readonly TfDtype[]): OpConverter {
  return (node, ctx) => {
    const x = ctx.input(node, 0);
    if (!allowed.includes(x.dtype)) throw new TfjsConversionError(`${describeNode(node)}: ${x.dtype} input; ${allowed.join(', ')} supported`);
    return [{ ...x, name: ctx.emit1(node, onnxOp, [x.name]) }];
  };
}

function activation(kind: Activation): OpConverter {
  return (node, ctx) => {
    const x = ctx.input(node, 0);
    if (x.dtype !== 'float32') throw new TfjsConversionError(`${describeNode(node)}: ${x.dtype} input; float32 is supported`);
    return [{ ...x, name: applyActivation(ctx, node, kind, x.name, attrFloat(node, 'alpha', 0.2)) }];
  };
}

const same = (t: TfDtype): TfDtype => t;
const bool = (): TfDtype => 'bool';
const NUMBERS: readonly TfDtype[] = ['float32', 'int32'];

export const elementwiseConverters: Record<string, OpConverter> = {
  ...Object.fromEntries(Object.entries(ARITHMETIC).map(([tf, onnx]) => [tf, binary(onnx, same, onnx === 'Div' ? ['float32'] : NUMBERS)])),
  ...Object.fromEntries(Object.entries(COMPARISON).map(([tf, onnx]) => [tf, binary(onnx, bool, onnx === 'Equal' ? ['float32', 'int32', 'bool'] : NUMBERS)])),
  ...Object.fromEntries(Object.entries(LOGICAL).map(([tf, onnx]) => [tf, binary(onnx, same, ['bool'])])),
  ...Object.fromEntries(Object.entries(SIGNED).map(([tf, onnx]) => [tf, unary(onnx, NUMBERS)])),
  ...Object.fromEntries(Object.entries(MATH).map(([tf, onnx]) => [tf, unary(onnx, ['float32'])])),
  ...Object.fromEntries(ACTIVATIONS.map((a) => [a, activation(a)])),
  NotEqual: (node, ctx) => {
    const [a, b] = operands(node, ctx, ['float32', 'int32', 'bool']);
    const equal = ctx.emit1(node, 'Equal', [a.name, b.name]);
    return [{ name: ctx.emit1(node, 'Not', [equal]), dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, describeNode(node)) }];
  },
  LogicalNot: (node, ctx) => {
    const x = ctx.input(node, 0);
    return [{ ...x, name: ctx.emit1(node, 'Not', [x.name]) }];
  },
  Rsqrt: (node, ctx) => {
    const x = ctx.input(node, 0);
    return [{ ...x, name: ctx.emit1(node, 'Reciprocal', [ctx.emit1(node, 'Sqrt', [x.name])]) }];
  },
  Square: (node, ctx) => {
    const x = ctx.input(node, 0);
    return [{ ...x, name: ctx.emit1(node, 'Mul', [x.name, x.name]) }];
  },
  Softmax: (node, ctx) => {
    const x = ctx.input(node, 0);
    return [{ ...x, name: ctx.emit1(node, 'Softmax', [x.name], { axis: -1 }) }];
  },
  BiasAdd: (node, ctx) => {
    const format = attrString(node, 'data_format', 'NHWC');
    if (format !== 'NHWC') throw new TfjsConversionError(`${describeNode(node)}: data_format ${format} is not supported (NHWC is)`);
    const [x, bias] = operands(node, ctx, NUMBERS);
    return [{ ...x, name: ctx.emit1(node, 'Add', [x.name, bias.name]) }];
  },
  Cast: (node, ctx) => {
    const x = ctx.input(node, 0);
    const to = attrDtype(node, 'DstT');
    return [{ name: ctx.emit1(node, 'Cast', [x.name], { to: ONNX_DATA_TYPE_CODE[to] }), dtype: to, shape: x.shape }];
  },
};
