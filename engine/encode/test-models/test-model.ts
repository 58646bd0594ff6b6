import type { OnnxDataType } from '../onnx-builder/index.js';

/** A model built for tests, with what it needs fed and what it gives. */
export interface TestModel {
  /** The serialized ONNX model, for ort.InferenceSession.create(bytes). */
  bytes: Uint8Array;
  inputs: { name: string; dtype: OnnxDataType; dims: number[] }[];
  outputs: { name: string; dims: number[] }[];
}

/** Opset of the test models: 17 runs on every ONNX Runtime still in use. */
export const TEST_MODEL_OPSET = 17;
