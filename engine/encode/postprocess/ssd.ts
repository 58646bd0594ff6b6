import { PostprocessError, expectRank, floatData, type BoxDetection, type TensorLike } from './box-detection.js';
import { CandidateList } from './candidates.js';
import { selectDetections } from './nms.js';

export interface SsdDecodeOptions {
  /** Order of the 4 box values: 'xyxy' (x1, y1, x2, y2; default) or 'yxyx' (y1, x1, y2, x2: TF's). */
  boxFormat?: 'xyxy' | 'yxyx';
  /**
   * Boxes are fractions of the input (0..1, as TF SSD gives them): the model input size they are
   * scaled to. Without it, boxes are in model input pixels already.
   */
  normalizedTo?: { width: number; height: number };
  /**
   * 'none' (default): score column k is class k. 'first': column 0 is the background and is never
   * a detection; column k is class k − 1 (so that ids index an 80-name list like COCO_LABELS).
   */
  background?: 'none' | 'first';
  /** What turns the score columns into probabilities: none (default), sigmoid, softmax over a row. */
  scoreActivation?: 'none' | 'sigmoid' | 'softmax';
  /** A candidate needs score > this (after activation; default 0.3). */
  scoreThreshold?: number;
  /** NMS IoU threshold (default 0.45). */
  iouThreshold?: number;
  /** Per-class NMS (default true, as TF's multiclass NMS). */
  classAware?: boolean;
  /** At most this many detections per image (default 100). */
  maxDetections?: number;
}

/**
 * SSD-style outputs: boxes [B, N, 4] and scores [B, N, K] over the same N anchors (already
 * decoded against the anchors). Every (anchor, class) pair with score > threshold is a candidate,
 * in anchor then class order; then NMS. One list per image.
 */
export function decodeSsd(boxes: TensorLike, scores: TensorLike, options: SsdDecodeOptions = {}): BoxDetection[][] {
  expectRank(boxes, 3, '[B, N, 4]', 'SSD boxes');
  expectRank(scores, 3, '[B, N, K]', 'SSD scores');
  const boxData = floatData(boxes, 'SSD boxes');
  const scoreData = floatData(scores, 'SSD scores');
  const [batch, anchors, four] = boxes.dims;
  const [sb, sn, columns] = scores.dims;
  if (four !== 4) throw new PostprocessError(`SSD boxes: expected [B, N, 4], got dims [${boxes.dims.join(', ')}]`);
  if (sb !== batch || sn !== anchors) {
    throw new PostprocessError(`SSD scores [${scores.dims.join(', ')}] do not match boxes [${boxes.dims.join(', ')}]`);
  }
  const firstClass = options.background === 'first' ? 1 : 0;
  if (columns <= firstClass) throw new PostprocessError(`SSD scores: no class columns in [${scores.dims.join(', ')}]`);
  const yxyx = (options.boxFormat ?? 'xyxy') === 'yxyx';
  const ix = yxyx ? 1 : 0; // where x1 sits among the 4 values (x2 two further on)
  const iy = yxyx ? 0 : 1;
  const sx = options.normalizedTo?.width ?? 1;
  const sy = options.normalizedTo?.height ?? 1;
  const activation = options.scoreActivation ?? 'none';
  const thr = Math.fround(options.scoreThreshold ?? 0.3);
  const nmsOptions = {
    iouThreshold: options.iouThreshold ?? 0.45,
    classAware: options.classAware ?? true,
    maxDetections: options.maxDetections ?? 100,
  };
  const row = new Float64Array(columns);
  const results: BoxDetection[][] = [];
  for (let b = 0; b < batch; b++) {
    const c = new CandidateList();
    for (let n = 0; n < anchors; n++) {
      const s = (b * anchors + n) * columns;
      activate(scoreData, s, row, activation);
      const bx = (b * anchors + n) * 4;
      for (let k = firstClass; k < columns; k++) {
        if (!(row[k] > thr)) continue;
        const x1 = boxData[bx + ix], y1 = boxData[bx + iy], x2 = boxData[bx + 2 + ix], y2 = boxData[bx + 2 + iy];
        c.push(x1 * sx, y1 * sy, x2 * sx, y2 * sy, row[k], k - firstClass, n);
      }
    }
    results.push(selectDetections(c, nmsOptions));
  }
  return results;
}

function activate(src: Float32Array | Float64Array, offset: number, out: Float64Array, activation: string): void {
  const k = out.length;
  if (activation === 'sigmoid') {
    for (let i = 0; i < k; i++) out[i] = 1 / (1 + Math.exp(-src[offset + i]));
  } else if (activation === 'softmax') {
    let max = -Infinity;
    for (let i = 0; i < k; i++) max = Math.max(max, src[offset + i]);
    let sum = 0;
    for (let i = 0; i < k; i++) sum += out[i] = Math.exp(src[offset + i] - max);
    for (let i = 0; i < k; i++) out[i] /= sum;
  } else if (activation === 'none') {
    for (let i = 0; i < k; i++) out[i] = src[offset + i];
  } else {
    throw new PostprocessError(`SSD scores: unknown activation ${activation}`);
  }
}
