import { describe, expect, it } from 'vitest';
import { COCO_LABELS } from '../coco-labels.js';
import { identityLetterbox } from '../letterbox.js';
import {
  CENTERNET_EXPECTED_NMS, CENTERNET_EXPECTED_NO_NMS, CENTERNET_ROWS, SSD_BOXES, SSD_EXPECTED, SSD_SCORES,
  YOLOV5_EXPECTED_AGNOSTIC, YOLOV5_EXPECTED_CLASS_AWARE, YOLOV5_EXPECTED_IN_IMAGE, YOLOV5_EXPECTED_IOU_09,
  YOLOV5_LETTERBOX, YOLOV5_ROWS, YOLOV8_EXPECTED_IMAGE1, YOLOV8_ROWS,
} from '../test-models/scenarios.js';
import { PostprocessError, type TensorLike } from './box-detection.js';
import { decodeCenterNet } from './centernet.js';
import { decodeEmbeddings } from './embeddings.js';
import { decodeSsd } from './ssd.js';
import { toDetections2D } from './to-detection-2d.js';
import { decodeYoloV5 } from './yolov5.js';
import { decodeYoloV8 } from './yolov8.js';

/** [B, N, W] from rows per image, float32 as a model gives it. */
function stacked(rowsPerImage: readonly (readonly (readonly number[])[])[]): TensorLike {
  const n = rowsPerImage[0].length;
  const w = rowsPerImage[0][0].length;
  return { data: Float32Array.from(rowsPerImage.flat(2)), dims: [rowsPerImage.length, n, w] };
}

/** [B, W, N]: the rows transposed per image. */
function transposed(t: TensorLike): TensorLike {
  const [b, n, w] = t.dims;
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let i = 0; i < b; i++) for (let r = 0; r < n; r++) for (let f = 0; f < w; f++) out[(i * w + f) * n + r] = src[(i * n + r) * w + f];
  return { data: out, dims: [b, w, n] };
}

describe('decodeYoloV5', () => {
  const output = stacked([YOLOV5_ROWS]);

  it('thresholds obj × class, then class-aware NMS', () => {
    expect(decodeYoloV5(output)).toEqual([YOLOV5_EXPECTED_CLASS_AWARE]);
  });

  it('class-agnostic NMS, a looser IoU, max detections', () => {
    expect(decodeYoloV5(output, { classAware: false })).toEqual([YOLOV5_EXPECTED_AGNOSTIC]);
    expect(decodeYoloV5(output, { iouThreshold: 0.9 })).toEqual([YOLOV5_EXPECTED_IOU_09]);
    expect(decodeYoloV5(output, { maxDetections: 2 })).toEqual([YOLOV5_EXPECTED_CLASS_AWARE.slice(0, 2)]);
  });

  it('multi-label: each class above the threshold is a candidate', () => {
    // Row 7's classes 0 and 1 both score 0.375; its class-1 box is far from row 2's.
    const result = decodeYoloV5(output, { multiLabel: true })[0];
    expect(result.map((d) => [d.index, d.classId, d.score])).toEqual([
      [0, 0, 0.765625], [2, 1, 0.65625], [5, 2, 0.5], [7, 0, 0.375], [7, 1, 0.375],
    ]);
  });

  it('compares the threshold in float32', () => {
    // Math.fround(0.3) > 0.3: a float32 score of 0.3 is not above a 0.3 threshold.
    const t = stacked([[[5, 5, 2, 2, 1, 0.3, 0]]]);
    expect(decodeYoloV5(t, { scoreThreshold: 0.3 })).toEqual([[]]);
    expect(decodeYoloV5(t, { scoreThreshold: 0.29 })[0]).toHaveLength(1);
  });

  it('with one class, the score is the objectness', () => {
    const t = stacked([[[5, 5, 2, 2, 0.75, 0.5]]]);
    expect(decodeYoloV5(t)).toEqual([[{ index: 0, classId: 0, score: 0.75, box: [4, 4, 6, 6] }]]);
  });

  it('refuses outputs that are not [B, N, 5 + K] float', () => {
    expect(() => decodeYoloV5({ data: new Float32Array(8), dims: [8] })).toThrow(PostprocessError);
    expect(() => decodeYoloV5({ data: new Float32Array(10), dims: [1, 2, 5] })).toThrow(/no class columns/);
    expect(() => decodeYoloV5({ data: new Float32Array(10), dims: [1, 2, 6] })).toThrow(/need 12 values, data has 10/);
    expect(() => decodeYoloV5({ data: new Int32Array(12), dims: [1, 2, 6] })).toThrow(/float32 or float64 data, got Int32Array/);
    expect(() => decodeYoloV5(output, { numClasses: 80 })).toThrow(/has 3 classes, 80 expected/);
  });
});

describe('decodeYoloV8', () => {
  const rows = stacked(YOLOV8_ROWS);

  it('reads the Ultralytics layout [B, 4 + K, N], per image', () => {
    expect(decodeYoloV8(transposed(rows))).toEqual([YOLOV5_EXPECTED_CLASS_AWARE, YOLOV8_EXPECTED_IMAGE1]);
  });

  it('reads the row layout [B, N, 4 + K] the same', () => {
    expect(decodeYoloV8(rows, { layout: '[B,N,4+K]' })).toEqual(decodeYoloV8(transposed(rows)));
  });

  it('agnostic, IoU 0.9, multi-label', () => {
    const out = transposed(rows);
    expect(decodeYoloV8(out, { classAware: false })[0]).toEqual(YOLOV5_EXPECTED_AGNOSTIC);
    expect(decodeYoloV8(out, { iouThreshold: 0.9 })[0]).toEqual(YOLOV5_EXPECTED_IOU_09);
    const multi = decodeYoloV8(out, { multiLabel: true })[0];
    expect(multi.map((d) => [d.index, d.classId])).toEqual([[0, 0], [2, 1], [5, 2], [7, 0], [7, 1]]);
  });

  it('gives YOLOv5’s detections when the objectness is folded into the classes', () => {
    expect(decodeYoloV8(transposed(stacked([YOLOV8_ROWS[0]])))).toEqual(decodeYoloV5(stacked([YOLOV5_ROWS])));
  });

  it('refuses a shape without class rows', () => {
    expect(() => decodeYoloV8({ data: new Float32Array(40), dims: [1, 4, 10] })).toThrow(/no class columns/);
  });
});

describe('decodeCenterNet', () => {
  const rows = [...CENTERNET_ROWS, ...Array.from({ length: 96 }, () => [0, 0, 0, 0, 0, 0])];
  const output = stacked([rows]);

  it('keeps rows above the threshold, best first, without NMS by default', () => {
    expect(decodeCenterNet(output)).toEqual([CENTERNET_EXPECTED_NO_NMS]);
  });

  it('class-agnostic NMS when an IoU threshold is given; class-aware on request', () => {
    expect(decodeCenterNet(output, { iouThreshold: 0.5 })).toEqual([CENTERNET_EXPECTED_NMS]);
    expect(decodeCenterNet(output, { iouThreshold: 0.5, classAware: true })).toEqual([CENTERNET_EXPECTED_NO_NMS]);
    expect(decodeCenterNet(output, { maxDetections: 1 })).toEqual([CENTERNET_EXPECTED_NO_NMS.slice(0, 1)]);
  });

  it('skips rows whose class is not a class id', () => {
    const t = stacked([[[0, 0, 1, 1, 0.9, Number.NaN], [0, 0, 1, 1, 0.9, -1], [0, 0, 1, 1, 0.9, 2.0000001]]]);
    expect(decodeCenterNet(t)[0].map((d) => d.classId)).toEqual([2]);
  });

  it('refuses rows that are not 6 wide', () => {
    expect(() => decodeCenterNet({ data: new Float32Array(5), dims: [1, 1, 5] })).toThrow(/\[B, M, 6\]/);
  });
});

describe('decodeSsd', () => {
  const boxes = stacked([SSD_BOXES]);
  const scores = stacked([SSD_SCORES]);
  const tf = { boxFormat: 'yxyx', normalizedTo: { width: 300, height: 300 }, background: 'first' } as const;

  it('decodes TF-style y1,x1,y2,x2 fractions with a background column, per-class NMS', () => {
    expect(decodeSsd(boxes, scores, tf)).toEqual([SSD_EXPECTED]);
  });

  it('class-agnostic: anchor 0’s own class-2 box falls to its class-0 box', () => {
    const result = decodeSsd(boxes, scores, { ...tf, classAware: false })[0];
    expect(result.map((d) => [d.index, d.classId])).toEqual([[0, 0], [2, 2]]);
  });

  it('reads x1,y1,x2,y2 pixels without background', () => {
    const px = stacked([[[10, 20, 30, 40]]]);
    const sc = stacked([[[0.25, 0.75]]]);
    expect(decodeSsd(px, sc)).toEqual([[{ index: 0, classId: 1, score: 0.75, box: [10, 20, 30, 40] }]]);
  });

  it('applies softmax or sigmoid to logits', () => {
    const px = stacked([[[0, 0, 1, 1]]]);
    const logits = stacked([[[0, Math.log(3), 0]]]); // softmax: 0.2, 0.6, 0.2
    const soft = decodeSsd(px, logits, { scoreActivation: 'softmax', background: 'first' })[0];
    expect(soft).toHaveLength(1);
    expect(soft[0].classId).toBe(0);
    expect(soft[0].score).toBeCloseTo(0.6, 6);
    const sig = decodeSsd(px, stacked([[[0, 2]]]), { scoreActivation: 'sigmoid' })[0];
    expect(sig.map((d) => d.classId)).toEqual([1, 0]);
    expect(sig[0].score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(sig[1].score).toBe(0.5);
  });

  it('refuses scores that do not match the boxes', () => {
    expect(() => decodeSsd(boxes, stacked([SSD_SCORES.slice(0, 2)]))).toThrow(/do not match/);
  });
});

describe('decodeEmbeddings', () => {
  it('splits [B, D] into one vector per item, optionally L2-normalized', () => {
    const t = { data: Float32Array.from([3, 4, 0, 0, 0, 0]), dims: [2, 3] };
    const plain = decodeEmbeddings(t);
    expect(plain.map((v) => Array.from(v))).toEqual([[3, 4, 0], [0, 0, 0]]);
    const unit = decodeEmbeddings(t, { l2Normalize: true });
    expect(Array.from(unit[0])).toEqual([Math.fround(0.6), Math.fround(0.8), 0]);
    expect(Array.from(unit[1])).toEqual([0, 0, 0]);
  });

  it('copies, so the model’s buffer can be reused', () => {
    const data = Float32Array.from([1, 2]);
    const [v] = decodeEmbeddings({ data, dims: [1, 2] });
    data[0] = 9;
    expect(v[0]).toBe(1);
  });

  it('reads [D] as one item and flattens [B, D, 1, 1]', () => {
    expect(decodeEmbeddings({ data: Float32Array.from([1, 2]), dims: [2] }).map((v) => Array.from(v))).toEqual([[1, 2]]);
    const pooled = decodeEmbeddings({ data: Float32Array.from([1, 2, 3, 4]), dims: [2, 2, 1, 1] });
    expect(pooled.map((v) => Array.from(v))).toEqual([[1, 2], [3, 4]]);
  });
});

describe('toDetections2D', () => {
  it('undoes the letterbox, names the class and drops boxes left empty by clipping', () => {
    const dets = decodeYoloV5(stacked([YOLOV5_ROWS]))[0];
    const out = toDetections2D(dets, { sensorId: 'cam_front', encoder: 'yolo', labels: COCO_LABELS, letterbox: YOLOV5_LETTERBOX });
    expect(out.map((d) => d.box)).toEqual(YOLOV5_EXPECTED_IN_IMAGE);
    expect(out[0]).toEqual({ sensorId: 'cam_front', classId: 0, label: 'person', score: 0.765625, box: [30, 14, 50, 34], encoder: 'yolo' });
    expect(out.map((d) => d.label)).toEqual(['person', 'bicycle', 'car', 'person']);
    const inPadding = [{ index: 0, classId: 0, score: 1, box: [0, 0, 10, 4] as [number, number, number, number] }];
    const lb = { scale: 1, padX: 0, padY: 8, srcWidth: 64, srcHeight: 48 };
    expect(toDetections2D(inPadding, { sensorId: 's', encoder: 'e', labels: COCO_LABELS, letterbox: lb })).toEqual([]);
    expect(toDetections2D(inPadding, { sensorId: 's', encoder: 'e', labels: [], letterbox: identityLetterbox(64, 48), dropEmpty: false })[0].label)
      .toBe('class_0');
  });
});
