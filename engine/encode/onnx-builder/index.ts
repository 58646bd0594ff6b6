// The ONNX builder's public face: write ONNX models from TypeScript, no Python.
export { buildModel, decodeModel, type BuildModelOptions } from './build-model.js';
export { graph, GraphBuilder, type Dim, type NodeOptions } from './graph-builder.js';
export { attr, type AttributeValue, type TypedAttribute, type SubGraph } from './attributes.js';
export { tensor, float32Tensor, int64Tensor, elementCount, type TensorValue } from './tensor-value.js';
export { ONNX_DATA_TYPE_CODE, isOnnxDataType, type OnnxDataType, type TypedArrayOf } from './data-types.js';
export { OnnxBuildError } from './onnx-build-error.js';
