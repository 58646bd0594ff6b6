import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import { COCO_LABELS } from '../coco-labels.js';
import {
  centerNetTestModel, linearEmbeddingModel, ssdTestModel, yoloV5TestModel, yoloV8TestModel, yoloV8TransposeModel, type TestModel,
} from '../test-models/index.js';
import {
  CENTERNET_EXPECTED_NMS, CENTERNET_EXPECTED_NO_NMS, CENTERNET_ROWS, SSD_BOXES, SSD_EXPECTED, SSD_SCORES,
  YOLOV5_EXPECTED_AGNOSTIC, YOLOV5_EXPECTED_CLASS_AWARE, YOLOV5_EXPECTED_IN_IMAGE, YOLOV5_EXPECTED_IOU_09,
  YOLOV5_LETTERBOX, YOLOV5_ROWS, YOLOV8_EXPECTED_IMAGE1, YOLOV8_ROWS,
} from '../test-models/scenarios.js';
import { decodeCenterNet, decodeEmbeddings, decodeSsd, decodeYoloV5, decodeYoloV8, toDetections2D } from './index.js';

ort.env.logLevel = 'fatal';

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

async function open(model: TestModel): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'] });
  sessions.push(session);
  return session;
}

/** Runs a test model on CPU, its inputs zeros of their declared shape (or the given feeds). */
async function runModel(model: TestModel, feeds?: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await open(model);
  if (feeds) return session.run(feeds);
  const zeros: Record<string, ort.Tensor> = {};
  for (const input of model.inputs) {
    const size = input.dims.reduce((a, b) => a * b, 1);
    zeros[input.name] = new ort.Tensor(input.dtype === 'uint8' ? 'uint8' : 'float32', input.dtype === 'uint8' ? new Uint8Array(size) : new Float32Array(size), input.dims);
  }
  return session.run(zeros);
}

describe('decoders on outputs of models run in ONNX Runtime (CPU)', () => {
  it('YOLOv5 [1, N, 5 + K]: thresholds, class-aware and agnostic NMS, ties, letterbox inverse', async () => {
    const { output0 } = await runModel(yoloV5TestModel([YOLOV5_ROWS], 64));
    expect(output0.dims).toEqual([1, 8, 8]);
    expect(decodeYoloV5(output0)).toEqual([YOLOV5_EXPECTED_CLASS_AWARE]);
    expect(decodeYoloV5(output0, { classAware: false })).toEqual([YOLOV5_EXPECTED_AGNOSTIC]);
    expect(decodeYoloV5(output0, { iouThreshold: 0.9 })).toEqual([YOLOV5_EXPECTED_IOU_09]);
    const detections = toDetections2D(decodeYoloV5(output0)[0], {
      sensorId: 'cam', encoder: 'yolov5-test', labels: COCO_LABELS, letterbox: YOLOV5_LETTERBOX,
    });
    expect(detections.map((d) => d.box)).toEqual(YOLOV5_EXPECTED_IN_IMAGE);
    expect(detections.map((d) => d.label)).toEqual(['person', 'bicycle', 'car', 'person']);
  });

  it('YOLOv8 [B, 4 + K, N]: a batch of two images, computed by a Transpose', async () => {
    const { output0 } = await runModel(yoloV8TestModel(YOLOV8_ROWS, 64));
    expect(output0.dims).toEqual([2, 7, 8]);
    expect(decodeYoloV8(output0)).toEqual([YOLOV5_EXPECTED_CLASS_AWARE, YOLOV8_EXPECTED_IMAGE1]);
    expect(decodeYoloV8(output0, { classAware: false })[0]).toEqual(YOLOV5_EXPECTED_AGNOSTIC);
  });

  it('YOLOv8: the ORT-transposed layout decodes as the rows themselves, on random outputs', async () => {
    const session = await open(yoloV8TransposeModel());
    const rng = createRng(5);
    for (let round = 0; round < 5; round++) {
      const [batch, anchors, classes] = [rng.int(1, 3), rng.int(1, 300), rng.int(1, 12)];
      const rows = new Float32Array(batch * anchors * (4 + classes));
      for (let i = 0; i < rows.length; i++) {
        const f = i % (4 + classes);
        rows[i] = f < 2 ? rng.uniform(0, 640) : f < 4 ? rng.uniform(4, 200) : rng.int(0, 16) / 16; // ties on purpose
      }
      const { output0 } = await session.run({ rows: new ort.Tensor('float32', rows, [batch, anchors, 4 + classes]) });
      expect(output0.dims).toEqual([batch, 4 + classes, anchors]);
      const options = { scoreThreshold: 0.5, iouThreshold: 0.5, classAware: round % 2 === 0 };
      expect(decodeYoloV8(output0, options)).toEqual(decodeYoloV8({ data: rows, dims: [batch, anchors, 4 + classes] }, { ...options, layout: '[B,N,4+K]' }));
    }
  });

  it('CenterNet [1, 100, 6] (a Constant node): threshold, optional agnostic NMS', async () => {
    const { detections } = await runModel(centerNetTestModel(CENTERNET_ROWS));
    expect(detections.dims).toEqual([1, 100, 6]);
    expect(decodeCenterNet(detections)).toEqual([CENTERNET_EXPECTED_NO_NMS]);
    expect(decodeCenterNet(detections, { iouThreshold: 0.5 })).toEqual([CENTERNET_EXPECTED_NMS]);
  });

  it('SSD boxes [1, N, 4] (y1, x1, y2, x2 fractions) and scores [1, N, K] with background: per-class NMS', async () => {
    const { boxes, scores } = await runModel(ssdTestModel(SSD_BOXES, SSD_SCORES));
    const result = decodeSsd(boxes, scores, { boxFormat: 'yxyx', normalizedTo: { width: 300, height: 300 }, background: 'first' });
    expect(result).toEqual([SSD_EXPECTED]);
  });

  it('embeddings [B, D] computed from the input (x · W), raw and L2-normalized', async () => {
    const model = linearEmbeddingModel([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 1],
    ]);
    const x = new ort.Tensor('float32', Float32Array.from([3, 4, 0, 0, 1, 1, 1, 1]), [2, 4]);
    const { embedding } = await runModel(model, { x });
    expect(embedding.dims).toEqual([2, 3]);
    expect(decodeEmbeddings(embedding).map((v) => Array.from(v))).toEqual([[3, 4, 0], [2, 2, 2]]);
    const unit = decodeEmbeddings(embedding, { l2Normalize: true });
    expect(Array.from(unit[0])).toEqual([0.6, 0.8, 0].map(Math.fround));
    expect(Array.from(unit[1])).toEqual([1, 1, 1].map((v) => Math.fround(v / Math.sqrt(3))));
  });
});
