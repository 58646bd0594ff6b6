import { expectRank, floatData, type BoxDetection, type TensorLike } from './box-detection.js';
import { CandidateList } from './candidates.js';
import { selectDetections } from './nms.js';
import { resolveYoloOptions, type YoloDecodeOptions } from './yolo-options.js';

/**
 * YOLOv5 (also YOLOv7, YOLOX-style exports with objectness) output: [B, N, 5 + K], one row per
 * anchor: cx, cy, w, h (model input pixels), objectness, then K class scores, all already through
 * the sigmoid as the exported models give them.
 *
 * As Ultralytics' non_max_suppression: a row is considered when objectness > threshold; its class
 * scores become objectness × class score (float32 products; with one class the score is the
 * objectness alone, as YOLOv5 does, since single-class models train no class score); the best class (lowest id on a tie)
 * is the candidate when its score > threshold (every class above it with multiLabel). Boxes become
 * x1 = cx − w/2, y1 = cy − h/2, x2 = cx + w/2, y2 = cy + h/2; then NMS. One list per image.
 */
export function decodeYoloV5(output: TensorLike, options: YoloDecodeOptions = {}): BoxDetection[][] {
  const what = 'YOLOv5 output';
  expectRank(output, 3, '[B, N, 5 + K]', what);
  const data = floatData(output, what);
  const [batch, rows, width] = output.dims;
  const o = resolveYoloOptions(options, width - 5, what);
  const thr = o.scoreThreshold;
  const singleClass = width === 6;
  const results: BoxDetection[][] = [];
  for (let b = 0; b < batch; b++) {
    const c = new CandidateList();
    const base = b * rows * width;
    for (let n = 0; n < rows; n++) {
      const r = base + n * width;
      const obj = data[r + 4];
      if (!(obj > thr)) continue;
      const cx = data[r], cy = data[r + 1], hw = data[r + 2] / 2, hh = data[r + 3] / 2;
      if (o.multiLabel) {
        for (let k = 5; k < width; k++) {
          const score = singleClass ? obj : Math.fround(obj * data[r + k]);
          if (score > thr) c.push(cx - hw, cy - hh, cx + hw, cy + hh, score, k - 5, n);
        }
        continue;
      }
      let best = -Infinity;
      let bestK = -1;
      for (let k = 5; k < width; k++) {
        const score = singleClass ? obj : Math.fround(obj * data[r + k]);
        if (score > best) {
          best = score;
          bestK = k - 5;
        }
      }
      if (best > thr) c.push(cx - hw, cy - hh, cx + hw, cy + hh, best, bestK, n);
    }
    results.push(selectDetections(c, o));
  }
  return results;
}
