import type { ConversionContext, Value } from './context.js';
import type { TfjsNode } from './model-json.js';

/** Writes the ONNX nodes for one TF node; returns its outputs in TF order (output 0, 1, …). */
export type OpConverter = (node: TfjsNode, ctx: ConversionContext) => Value[];
