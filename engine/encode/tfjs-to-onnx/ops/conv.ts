/**
 * Conv2D, DepthwiseConv2dNative and their fused forms (_FusedConv2D, FusedDepthwiseConv2dNative:
 * BiasAdd, then optionally Relu, Relu6, Elu, Sigmoid, LeakyRelu or Prelu, as tfjs-converter runs
 * them). Filters are constants, rearranged once here into ONNX's [out, in / group, kH, kW];
 * a depthwise filter [kH, kW, C, M] becomes a grouped Conv with group C and C · M outputs,
 * output channel c · M + m.
 */
import { TfjsConversionError } from '../conversion-error.js';
import { toTensorValue, type ConversionContext, type Value } from '../context.js';
import type { TfjsNode } from '../model-json.js';
import type { OpConverter } from '../op-converter.js';
import { attrFloat, attrInt, attrStrings, describeNode } from '../tf-attributes.js';
import type { TfTensor } from '../tf-tensor.js';
import { applyActivation, type Activation } from './activation.js';
import { requireNhwc, requireRank4, toNchw, toNhwc } from './layout.js';
import { spatialPair, windowPadding } from './padding.js';

type ConvKind = 'conv' | 'depthwise';

const FUSED_ACTIVATIONS = ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'LeakyRelu', 'Prelu'] as const;
type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

export const convConverters: Record<string, OpConverter> = {
  Conv2D: (node, ctx) => [convolution(node, ctx, 'conv', false)],
  _FusedConv2D: (node, ctx) => [convolution(node, ctx, 'conv', true)],
  DepthwiseConv2dNative: (node, ctx) => [convolution(node, ctx, 'depthwise', false)],
  FusedDepthwiseConv2dNative: (node, ctx) => [convolution(node, ctx, 'depthwise', true)],
};

function convolution(node: TfjsNode, ctx: ConversionContext, kind: ConvKind, fused: boolean): Value {
  const where = describeNode(node);
  requireNhwc(node);
  const x = ctx.input(node, 0);
  requireRank4(node, x.shape);
  const filter = ctx.constant(node, 1, 'filter');
  if (filter.shape.length !== 4 || filter.dtype !== 'float32') {
    throw new TfjsConversionError(`${where}: the filter must be a float32 [kH, kW, in, out] tensor, got ${filter.dtype} [${filter.shape.join(', ')}]`);
  }
  const [kh, kw, filterIn, filterOut] = filter.shape;
  const strides = spatialPair(node, 'strides');
  const dilations = spatialPair(node, 'dilations', [1, 1, 1, 1]);
  const padding = windowPadding(node, [x.shape[1], x.shape[2]], { kernel: [kh, kw], strides, dilations });
  const channels = x.shape[3];

  if (channels !== null && channels !== filterIn) {
    throw new TfjsConversionError(`${where}: ${channels} input channels, the filter takes ${filterIn}`);
  }
  // A depthwise filter [kH, kW, C, M] is a Conv with one group per input channel.
  const group = kind === 'conv' ? 1 : filterIn;
  const outChannels = kind === 'conv' ? filterOut : filterIn * filterOut;
  const weights = kind === 'conv' ? convFilter(filter) : depthwiseFilter(filter);

  const fusion = fused ? fusedOps(node, ctx, outChannels) : {};
  const inputs = [toNchw(ctx, node, x.name), ctx.initializer(`${node.name}/filter_oihw`, toTensorValue(weights))];
  if (fusion.bias) inputs.push(fusion.bias);
  let y = ctx.emit1(node, 'Conv', inputs, { kernel_shape: [kh, kw], strides: [...strides], dilations: [...dilations], group, ...padding.attrs });
  if (fusion.activation && fusion.activation !== 'Prelu') y = applyActivation(ctx, node, fusion.activation, y, fusion.leakyAlpha);
  y = toNhwc(ctx, node, y);
  if (fusion.activation === 'Prelu') y = ctx.emit1(node, 'PRelu', [y, fusion.alpha!]);
  return { name: y, dtype: 'float32', shape: [x.shape[0], padding.out[0], padding.out[1], outChannels] };
}

interface Fusion {
  bias?: string;
  activation?: Activation | 'Prelu';
  alpha?: string;
  leakyAlpha?: number;
}

/** fused_ops and num_args as TF's remapper writes them: BiasAdd (bias = input 2), then an activation (Prelu's alpha = input 3). */
function fusedOps(node: TfjsNode, ctx: ConversionContext, outChannels: number): Fusion {
  const where = describeNode(node);
  const ops = attrStrings(node, 'fused_ops');
  const activation = ops[1] as FusedActivation | undefined;
  if (ops[0] !== 'BiasAdd' || ops.length > 2 || (activation !== undefined && !FUSED_ACTIVATIONS.includes(activation))) {
    throw new TfjsConversionError(`${where}: fused_ops [${ops.join(', ')}] are not supported (BiasAdd, optionally followed by one of ${FUSED_ACTIVATIONS.join(', ')})`);
  }
  const numArgs = attrInt(node, 'num_args', 0);
  const expected = activation === 'Prelu' ? 2 : 1;
  if (numArgs !== expected) throw new TfjsConversionError(`${where}: fused_ops [${ops.join(', ')}] take ${expected} extra inputs, num_args is ${numArgs}`);
  const bias = ctx.input(node, 2);
  if (bias.shape.length !== 1 || (bias.shape[0] !== null && bias.shape[0] !== outChannels)) {
    throw new TfjsConversionError(`${where}: the bias must be [${outChannels}], got [${bias.shape.join(', ')}]`);
  }
  return {
    bias: bias.name,
    activation,
    alpha: activation === 'Prelu' ? ctx.input(node, 3).name : undefined,
    leakyAlpha: attrFloat(node, 'leakyrelu_alpha', 0.2),
  };
}

/** [kH, kW, in, out] → [out, in, kH, kW]. */
function convFilter(f: TfTensor): TfTensor {
  const [kh, kw, ci, co] = f.shape;
  const src = f.data as Float32Array;
  const data = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
    data[((o * ci + c) * kh + y) * kw + x] = src[((y * kw + x) * ci + c) * co + o];
  }
  return { dtype: 'float32', shape: [co, ci, kh, kw], data };
}

/** [kH, kW, C, M] → [C · M, 1, kH, kW], output channel c · M + m. */
function depthwiseFilter(f: TfTensor): TfTensor {
  const [kh, kw, ci, m] = f.shape;
  const src = f.data as Float32Array;
  const data = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < ci; c++) for (let j = 0; j < m; j++) {
    data[((c * m + j) * kh + y) * kw + x] = src[((y * kw + x) * ci + c) * m + j];
  }
  return { dtype: 'float32', shape: [ci * m, 1, kh, kw], data };
}
