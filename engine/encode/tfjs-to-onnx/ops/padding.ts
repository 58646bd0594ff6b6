/**
 * TF's window padding for convolution and pooling, as ONNX attributes. 'SAME' pads so that the
 * output is ceil(input / stride), the odd pixel going at the end (bottom, right); with static
 * sizes the pads are written out, else ONNX's SAME_UPPER (the same rule) is used.
 */
import { TfjsConversionError } from '../conversion-error.js';
import type { TfjsNode } from '../model-json.js';
import { attrInts, attrString, describeNode } from '../tf-attributes.js';
import type { AttributeValue } from '../../onnx-builder/index.js';

export interface Window {
  kernel: readonly [number, number];
  strides: readonly [number, number];
  dilations: readonly [number, number];
}

export interface WindowPadding {
  /** pads (top, left, bottom, right) or auto_pad, as ONNX attributes. */
  attrs: Record<string, AttributeValue>;
  /** Output height and width; null where the input's is unknown. */
  out: [number | null, number | null];
}

export function windowPadding(node: TfjsNode, input: readonly [number | null, number | null], window: Window): WindowPadding {
  const padding = attrString(node, 'padding');
  const effective = [0, 1].map((a) => (window.kernel[a] - 1) * window.dilations[a] + 1);
  const where = describeNode(node);
  const outSize = (a: number, before: number, after: number): number | null => {
    const size = input[a];
    if (size === null) return null;
    const out = Math.floor((size + before + after - effective[a]) / window.strides[a]) + 1;
    if (out < 1) throw new TfjsConversionError(`${where}: a window of ${effective[a]} does not fit an input of ${size}`);
    return out;
  };
  switch (padding) {
    case 'VALID':
      return { attrs: { pads: [0, 0, 0, 0] }, out: [outSize(0, 0, 0), outSize(1, 0, 0)] };
    case 'EXPLICIT': {
      const p = attrInts(node, 'explicit_paddings');
      if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) {
        throw new TfjsConversionError(`${where}: explicit_paddings [${p.join(', ')}] must pad only height and width of NHWC`);
      }
      return { attrs: { pads: [p[2], p[4], p[3], p[5]] }, out: [outSize(0, p[2], p[3]), outSize(1, p[4], p[5])] };
    }
    case 'SAME': {
      if (input[0] === null || input[1] === null) {
        const out = [0, 1].map((a) => (input[a] === null ? null : Math.ceil(input[a]! / window.strides[a]))) as [number | null, number | null];
        return { attrs: { auto_pad: 'SAME_UPPER' }, out };
      }
      const before: number[] = [];
      const after: number[] = [];
      for (const a of [0, 1]) {
        const size = input[a]!;
        const out = Math.ceil(size / window.strides[a]);
        const total = Math.max((out - 1) * window.strides[a] + effective[a] - size, 0);
        before.push(Math.floor(total / 2));
        after.push(total - Math.floor(total / 2));
      }
      return { attrs: { pads: [before[0], before[1], after[0], after[1]] }, out: [outSize(0, before[0], after[0]), outSize(1, before[1], after[1])] };
    }
    default:
      throw new TfjsConversionError(`${where}: padding "${padding}" is not supported (SAME, VALID, EXPLICIT are)`);
  }
}

/** [1, h, w, 1] as TF writes strides, dilations and ksize for NHWC, read as [h, w]. */
export function spatialPair(node: TfjsNode, key: string, fallback?: readonly number[]): [number, number] {
  const v = attrInts(node, key, fallback);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || v[1] < 1 || v[2] < 1) {
    throw new TfjsConversionError(`${describeNode(node)}: ${key} [${v.join(', ')}] is not [1, h, w, 1]`);
  }
  return [v[1], v[2]];
}
