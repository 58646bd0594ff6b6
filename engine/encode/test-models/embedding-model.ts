import { buildModel, float32Tensor, graph } from '../onnx-builder/index.js';
import { TEST_MODEL_OPSET, type TestModel } from './test-model.js';

/**
 * A linear embedding: input `x` [B, Din] → output `embedding` [B, Dout] = x · W, with W given
 * row-major as Din rows of Dout values. Its output is computed from the input, so a test knows
 * every embedding exactly (integer inputs and weights give exact float32 sums).
 */
export function linearEmbeddingModel(weights: readonly (readonly number[])[]): TestModel {
  const din = weights.length;
  const dout = weights[0]?.length ?? 0;
  if (din === 0 || dout === 0 || weights.some((r) => r.length !== dout)) {
    throw new RangeError('linear embedding model: weights must be Din rows of Dout values');
  }
  const g = graph('linear_embedding')
    .input('x', 'float32', ['batch', din])
    .initializer('W', float32Tensor([din, dout], weights.flat()))
    .node('MatMul', ['x', 'W'], 'embedding')
    .output('embedding', 'float32', ['batch', dout]);
  return {
    bytes: buildModel({ opset: TEST_MODEL_OPSET, graph: g, docString: 'Test model: a fixed linear map x·W; its outputs stand in for embeddings.' }),
    inputs: [{ name: 'x', dtype: 'float32', dims: [-1, din] }],
    outputs: [{ name: 'embedding', dims: [-1, dout] }],
  };
}
