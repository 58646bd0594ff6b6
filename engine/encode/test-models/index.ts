// Models built in TypeScript for tests: known outputs in the standard detector layouts.
export { TEST_MODEL_OPSET, type TestModel } from './test-model.js';
export {
  yoloV5TestModel, yoloV8TestModel, yoloV8TransposeModel, centerNetTestModel, ssdTestModel, stackRows, type Rows,
} from './detection-layouts.js';
export { linearEmbeddingModel } from './embedding-model.js';
