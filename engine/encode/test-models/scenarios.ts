import type { BoxXYXY } from '../letterbox.js';

/**
 * Hand-built model outputs with their decodes worked out by hand (comments give the arithmetic).
 * Values are dyadic fractions, exact in float32, so products and boxes are exact too. The same
 * rows feed the decoders directly and through ONNX Runtime (test-models), and both must give
 * exactly these detections.
 */

export interface ExpectedDetection {
  index: number;
  classId: number;
  score: number;
  box: BoxXYXY;
}

/** YOLOv5 rows for a 64×64 input, K = 3: cx, cy, w, h, objectness, class 0..2. */
export const YOLOV5_ROWS: readonly (readonly number[])[] = [
  // 0: score 0.875 × 0.875 = 0.765625, class 0, box [15, 15, 25, 25]
  [20, 20, 10, 10, 0.875, 0.875, 0.125, 0],
  // 1: 0.75 × 0.875 = 0.65625, class 0, box [16, 15, 26, 25]; IoU with row 0 = 90 / 110 = 0.818 → suppressed at 0.45
  [21, 20, 10, 10, 0.75, 0.875, 0.25, 0],
  // 2: 0.875 × 0.75 = 0.65625, class 1, the same box as row 1: kept per class, suppressed by row 0 across classes
  [21, 20, 10, 10, 0.875, 0.125, 0.75, 0],
  // 3: objectness 0.25 is not > 0.25: never a candidate
  [40, 10, 6, 6, 0.25, 1, 0, 0],
  // 4: 0.5 × 0.5 = 0.25, not > 0.25: dropped
  [40, 30, 6, 6, 0.5, 0.5, 0, 0],
  // 5: 1 × 0.5 = 0.5, class 2, box [46, 46, 54, 54]
  [50, 50, 8, 8, 1, 0, 0, 0.5],
  // 6: the same score and class as row 5, box [46, 47, 54, 55]: IoU 56 / 72 = 0.778; the tie goes to row 5 (lower index)
  [50, 51, 8, 8, 1, 0, 0, 0.5],
  // 7: a tie between classes 0 and 1 at 0.375: class 0 (lowest id); box [1, 54, 9, 62]
  [5, 58, 8, 8, 1, 0.375, 0.375, 0],
];

/** Defaults (threshold 0.25, IoU 0.45), class-aware. */
export const YOLOV5_EXPECTED_CLASS_AWARE: readonly ExpectedDetection[] = [
  { index: 0, classId: 0, score: 0.765625, box: [15, 15, 25, 25] },
  { index: 2, classId: 1, score: 0.65625, box: [16, 15, 26, 25] },
  { index: 5, classId: 2, score: 0.5, box: [46, 46, 54, 54] },
  { index: 7, classId: 0, score: 0.375, box: [1, 54, 9, 62] },
];

/** Defaults, class-agnostic: row 2 falls to row 0. */
export const YOLOV5_EXPECTED_AGNOSTIC: readonly ExpectedDetection[] = [
  YOLOV5_EXPECTED_CLASS_AWARE[0], YOLOV5_EXPECTED_CLASS_AWARE[2], YOLOV5_EXPECTED_CLASS_AWARE[3],
];

/** IoU threshold 0.9: nothing overlaps that much; rows 1 and 2 tie at 0.65625 (row order), as do rows 5 and 6. */
export const YOLOV5_EXPECTED_IOU_09: readonly ExpectedDetection[] = [
  YOLOV5_EXPECTED_CLASS_AWARE[0],
  { index: 1, classId: 0, score: 0.65625, box: [16, 15, 26, 25] },
  YOLOV5_EXPECTED_CLASS_AWARE[1],
  YOLOV5_EXPECTED_CLASS_AWARE[2],
  { index: 6, classId: 2, score: 0.5, box: [46, 47, 54, 55] },
  YOLOV5_EXPECTED_CLASS_AWARE[3],
];

/**
 * A 128×96 image letterboxed into 64×64: scale 0.5, resized 64×48, padY = round(16/2 − 0.1) = 8.
 * Back in the image: x / 0.5, (y − 8) / 0.5, clipped to 128×96.
 */
export const YOLOV5_LETTERBOX = { scale: 0.5, padX: 0, padY: 8, srcWidth: 128, srcHeight: 96 };
export const YOLOV5_EXPECTED_IN_IMAGE: readonly BoxXYXY[] = [
  [30, 14, 50, 34],
  [32, 14, 52, 34],
  [92, 76, 108, 92],
  [2, 92, 18, 96], // y2 = (62 − 8) / 0.5 = 108, clipped to 96
];

/**
 * YOLOv8 rows (cx, cy, w, h, K = 3 class scores) for two images. Image 0 is YOLOv5's scenario
 * with the objectness folded into the class scores; image 1 has one box.
 */
export const YOLOV8_ROWS: readonly (readonly (readonly number[])[])[] = [
  YOLOV5_ROWS.map((r) => [r[0], r[1], r[2], r[3], ...r.slice(5).map((s) => s * r[4])]),
  [
    [32, 32, 64, 64, 0.125, 0.5, 0.25], // class 1 at 0.5, box [0, 0, 64, 64]
    [10, 10, 4, 4, 0, 0, 0.25], // 0.25, not > 0.25
    [10, 10, 4, 4, 0, 0, 0], [10, 10, 4, 4, 0, 0, 0], [10, 10, 4, 4, 0, 0, 0], [10, 10, 4, 4, 0, 0, 0],
    [10, 10, 4, 4, 0, 0, 0], [10, 10, 4, 4, 0, 0, 0],
  ],
];
export const YOLOV8_EXPECTED_IMAGE1: readonly ExpectedDetection[] = [{ index: 0, classId: 1, score: 0.5, box: [0, 0, 64, 64] }];

/**
 * CenterNet rows (x1, y1, x2, y2, score, class) in a 512 input; the remaining rows are zeros.
 * Score threshold 0.2.
 */
export const CENTERNET_ROWS: readonly (readonly number[])[] = [
  [100, 100, 200, 300, 0.75, 0], // person
  [110, 100, 210, 300, 0.5, 2], // car, IoU with row 0 = 90·200 / (20000 + 20000 − 18000) = 0.818
  [300, 300, 400, 350, 0.1875, 2], // below 0.2
  [0, 0, 512, 512, 0.25, 62], // tv, IoU with row 0 = 20000 / 262144 = 0.076
];
/** Without NMS: every row above the threshold, best first. */
export const CENTERNET_EXPECTED_NO_NMS: readonly ExpectedDetection[] = [
  { index: 0, classId: 0, score: 0.75, box: [100, 100, 200, 300] },
  { index: 1, classId: 2, score: 0.5, box: [110, 100, 210, 300] },
  { index: 3, classId: 62, score: 0.25, box: [0, 0, 512, 512] },
];
/** Class-agnostic NMS at 0.5, as @vladmandic/human: the car falls to the person. */
export const CENTERNET_EXPECTED_NMS: readonly ExpectedDetection[] = [CENTERNET_EXPECTED_NO_NMS[0], CENTERNET_EXPECTED_NO_NMS[2]];

/**
 * SSD in TF's form: boxes y1, x1, y2, x2 as fractions of a 300×300 input; scores with a
 * background column first, then classes 0..2. Threshold 0.3, IoU 0.45, per class.
 */
export const SSD_BOXES: readonly (readonly number[])[] = [
  [0.25, 0.125, 0.75, 0.5], // x 37.5..150, y 75..225
  [0.25, 0.15625, 0.75, 0.53125], // x 46.875..159.375, same y: IoU = 103.125 / 121.875 = 0.846
  [0, 0, 0.5, 0.5], // x 0..150, y 0..150
];
export const SSD_SCORES: readonly (readonly number[])[] = [
  [0.5, 0.875, 0, 0.5], // class 0 at 0.875; class 2 at 0.5 (multi-label: both candidates)
  [0.875, 0.75, 0, 0.375], // class 0 at 0.75: suppressed by anchor 0; class 2 at 0.375: suppressed by anchor 0's class 2
  [0.9375, 0, 0.25, 0.3125], // background is never a class; class 1 at 0.25 is below; class 2 at 0.3125
];
export const SSD_EXPECTED: readonly ExpectedDetection[] = [
  { index: 0, classId: 0, score: 0.875, box: [37.5, 75, 150, 225] },
  { index: 0, classId: 2, score: 0.5, box: [37.5, 75, 150, 225] },
  // anchor 2 vs anchor 0, class 2: intersection x 37.5..150, y 75..150 = 8437.5; union 22500 + 16875 − 8437.5 → 0.273, kept
  { index: 2, classId: 2, score: 0.3125, box: [0, 0, 150, 150] },
];
