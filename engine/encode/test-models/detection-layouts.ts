import { buildModel, float32Tensor, graph, type OnnxDataType, type TensorValue } from '../onnx-builder/index.js';
import { TEST_MODEL_OPSET, type TestModel } from './test-model.js';

/**
 * Models with the inputs and output layouts of real detectors whose outputs are fixed values
 * given by the test: they compute nothing from the image (the image input is declared so that a
 * session is fed as the real model would be). They are not detectors; they exist so that each
 * decoder's expected output is known exactly.
 */

/** Rows of one image: each row the values of one anchor/query in the layout's order. */
export type Rows = readonly (readonly number[])[];

/**
 * YOLOv5 layout: input `images` [B, 3, S, S] float32, output `output0` [B, N, 5 + K] whose rows are
 * `rowsPerImage` (cx, cy, w, h, objectness, K class scores) — an initializer through Identity.
 */
export function yoloV5TestModel(rowsPerImage: readonly Rows[], inputSize = 640): TestModel {
  const values = stackRows(rowsPerImage, 'YOLOv5');
  return constantOutputModel({
    input: { name: 'images', dtype: 'float32', dims: [values.dims[0], 3, inputSize, inputSize] },
    output: 'output0',
    value: values,
    doc: 'Test model: a constant tensor in the YOLOv5 output layout [B, N, 5+K]; not a detector.',
  });
}

/**
 * YOLOv8 / YOLO11 layout: input `images` [B, 3, S, S], output `output0` [B, 4 + K, N]. The test
 * gives rows (cx, cy, w, h, K class scores) per anchor, as one reads them; the model stores them
 * as [B, N, 4 + K] and computes the Ultralytics layout with a Transpose, as the exported head does.
 */
export function yoloV8TestModel(rowsPerImage: readonly Rows[], inputSize = 640): TestModel {
  const values = stackRows(rowsPerImage, 'YOLOv8');
  const [batch, anchors, features] = values.dims;
  const g = graph('yolov8_layout')
    .input('images', 'float32', [batch, 3, inputSize, inputSize])
    .initializer('rows', values)
    .node('Transpose', ['rows'], 'output0', { perm: [0, 2, 1] })
    .output('output0', 'float32', [batch, features, anchors]);
  return {
    bytes: buildModel({
      opset: TEST_MODEL_OPSET,
      graph: g,
      docString: 'Test model: constant rows transposed into the YOLOv8 output layout [B, 4+K, N]; not a detector.',
    }),
    inputs: [{ name: 'images', dtype: 'float32', dims: [batch, 3, inputSize, inputSize] }],
    outputs: [{ name: 'output0', dims: [batch, features, anchors] }],
  };
}

/**
 * A layout converter, for randomized tests: input `rows` [B, N, 4 + K] (any B, N, K) → output
 * `output0` [B, 4 + K, N], the Ultralytics YOLOv8 layout of the same values.
 */
export function yoloV8TransposeModel(): TestModel {
  const g = graph('yolov8_transpose')
    .input('rows', 'float32', ['batch', 'anchors', 'features'])
    .node('Transpose', ['rows'], 'output0', { perm: [0, 2, 1] })
    .output('output0', 'float32', ['batch', 'features', 'anchors']);
  return {
    bytes: buildModel({ opset: TEST_MODEL_OPSET, graph: g, docString: 'Transposes [B, N, 4+K] rows into the YOLOv8 layout.' }),
    inputs: [{ name: 'rows', dtype: 'float32', dims: [-1, -1, -1] }],
    outputs: [{ name: 'output0', dims: [-1, -1, -1] }],
  };
}

/**
 * CenterNet layout of @vladmandic/human: input `input` [1, S, S, 3] float32 (NHWC, RGB 0..255),
 * output `detections` [1, M, 6] rows (x1, y1, x2, y2, score, class), from a Constant node. Rows
 * beyond those given are zeros, as the real model pads its 100 rows.
 */
export function centerNetTestModel(rows: Rows, totalRows = 100, inputSize = 512): TestModel {
  if (rows.length > totalRows) throw new RangeError(`CenterNet test model: ${rows.length} rows exceed ${totalRows}`);
  const data = new Float32Array(totalRows * 6);
  rows.forEach((r, i) => {
    if (r.length !== 6) throw new RangeError(`CenterNet test model: row ${i} has ${r.length} values, 6 expected`);
    data.set(r, i * 6);
  });
  const g = graph('centernet_layout')
    .input('input', 'float32', [1, inputSize, inputSize, 3])
    .constant('detections', float32Tensor([1, totalRows, 6], data))
    .output('detections', 'float32', [1, totalRows, 6]);
  return {
    bytes: buildModel({ opset: TEST_MODEL_OPSET, graph: g, docString: 'Test model: constant rows in the CenterNet layout [1, M, 6]; not a detector.' }),
    inputs: [{ name: 'input', dtype: 'float32', dims: [1, inputSize, inputSize, 3] }],
    outputs: [{ name: 'detections', dims: [1, totalRows, 6] }],
  };
}

/**
 * SSD layout: input `image` [1, S, S, 3] uint8 (as TF SSD takes it), outputs `boxes` [1, N, 4] and
 * `scores` [1, N, K], each an initializer through Identity.
 */
export function ssdTestModel(boxes: Rows, scores: Rows, inputSize = 300): TestModel {
  if (boxes.length !== scores.length) throw new RangeError('SSD test model: boxes and scores need one row per anchor each');
  const boxValues = stackRows([boxes], 'SSD boxes');
  const scoreValues = stackRows([scores], 'SSD scores');
  const g = graph('ssd_layout')
    .input('image', 'uint8', [1, inputSize, inputSize, 3])
    .initializer('box_values', boxValues)
    .initializer('score_values', scoreValues)
    .node('Identity', ['box_values'], 'boxes')
    .node('Identity', ['score_values'], 'scores')
    .output('boxes', 'float32', [...boxValues.dims])
    .output('scores', 'float32', [...scoreValues.dims]);
  return {
    bytes: buildModel({ opset: TEST_MODEL_OPSET, graph: g, docString: 'Test model: constant SSD boxes [1, N, 4] and scores [1, N, K]; not a detector.' }),
    inputs: [{ name: 'image', dtype: 'uint8', dims: [1, inputSize, inputSize, 3] }],
    outputs: [
      { name: 'boxes', dims: [...boxValues.dims] },
      { name: 'scores', dims: [...scoreValues.dims] },
    ],
  };
}

/** A graph input that the output ignores, and an output that is `value` through Identity. */
function constantOutputModel(o: {
  input: { name: string; dtype: OnnxDataType; dims: number[] };
  output: string;
  value: TensorValue<'float32'>;
  doc: string;
}): TestModel {
  const g = graph('constant_output')
    .input(o.input.name, o.input.dtype, o.input.dims)
    .initializer('values', o.value)
    .node('Identity', ['values'], o.output)
    .output(o.output, 'float32', [...o.value.dims]);
  return {
    bytes: buildModel({ opset: TEST_MODEL_OPSET, graph: g, docString: o.doc }),
    inputs: [o.input],
    outputs: [{ name: o.output, dims: [...o.value.dims] }],
  };
}

/** [B, N, W] float32 from rows per image; every image needs the same N and every row the same W. */
export function stackRows(rowsPerImage: readonly Rows[], what: string): TensorValue<'float32'> {
  const batch = rowsPerImage.length;
  const n = rowsPerImage[0]?.length ?? 0;
  const w = rowsPerImage[0]?.[0]?.length ?? 0;
  if (batch === 0 || n === 0 || w === 0) throw new RangeError(`${what}: needs at least one image with one row`);
  const data = new Float32Array(batch * n * w);
  rowsPerImage.forEach((rows, b) => {
    if (rows.length !== n) throw new RangeError(`${what}: image ${b} has ${rows.length} rows, image 0 has ${n}`);
    rows.forEach((r, i) => {
      if (r.length !== w) throw new RangeError(`${what}: image ${b} row ${i} has ${r.length} values, ${w} expected`);
      data.set(r, (b * n + i) * w);
    });
  });
  return float32Tensor([batch, n, w], data);
}
