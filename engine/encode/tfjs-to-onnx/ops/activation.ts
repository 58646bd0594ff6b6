/**
 * Activations, shared by the standalone TF ops and the activations fused into _FusedConv2D and
 * FusedDepthwiseConv2dNative. Element-wise, so layout-free (Prelu's alpha excepted: the caller
 * applies it on NHWC, where alpha broadcasts as TF laid it out).
 */
import { attr } from '../../onnx-builder/index.js';
import type { ConversionContext } from '../context.js';
import type { TfjsNode } from '../model-json.js';

export type Activation = 'Relu' | 'Relu6' | 'Elu' | 'Sigmoid' | 'Tanh' | 'LeakyRelu';

export function applyActivation(ctx: ConversionContext, node: TfjsNode, activation: Activation, x: string, leakyAlpha = 0.2): string {
  switch (activation) {
    case 'Relu':
    case 'Elu':
    case 'Sigmoid':
    case 'Tanh':
      return ctx.emit1(node, activation, [x]);
    case 'Relu6':
      return ctx.emit1(node, 'Clip', [x, ctx.float32(`${node.name}/zero`, [0], []), ctx.float32(`${node.name}/six`, [6], [])]);
    case 'LeakyRelu':
      return ctx.emit1(node, 'LeakyRelu', [x], { alpha: attr.float(leakyAlpha) });
  }
}
