/** Runs converted ONNX bytes in ONNX Runtime (CPU), as the tests compare them with TFJS. */
import * as ort from 'onnxruntime-node';
import type { HostTensor } from './tfjs-wasm.js';

ort.env.logLevel = 'fatal';

export async function runOnnx(bytes: Uint8Array, feeds: Record<string, HostTensor>, outputs: string[]): Promise<HostTensor[]> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  try {
    const input: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      input[name] = t.data instanceof Int32Array ? new ort.Tensor('int32', t.data, t.shape) : t.data instanceof Uint8Array ? new ort.Tensor('bool', t.data, t.shape) : new ort.Tensor('float32', t.data, t.shape);
    }
    const result = await session.run(input);
    return outputs.map((name) => ({ data: result[name].data as HostTensor['data'], shape: [...result[name].dims] }));
  } finally {
    await session.release();
  }
}
