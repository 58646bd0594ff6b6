import { PostprocessError, expectRank, floatData, type BoxDetection, type TensorLike } from './box-detection.js';
import { CandidateList } from './candidates.js';
import { rankDetections, selectDetections } from './nms.js';

export interface CenterNetDecodeOptions {
  /** A detection needs score > this (compared in float32; default 0.2). */
  scoreThreshold?: number;
  /** With it, NMS runs over the decoded boxes; without it (default) none does. */
  iouThreshold?: number;
  /** NMS per class; default false, as @vladmandic/human runs it across classes. */
  classAware?: boolean;
  /** At most this many detections per image (default: all rows). */
  maxDetections?: number;
}

/**
 * Already-decoded detections, [B, M, 6]: x1, y1, x2, y2 (model input pixels), score, class id
 * (a float holding an integer, 0-based: COCO_LABELS order) — the output of @vladmandic/human's
 * CenterNet. Rows with score > threshold and a finite class id ≥ 0 are kept, best score first
 * (ties in row order), through NMS when iouThreshold is given. One list per image.
 */
export function decodeCenterNet(output: TensorLike, options: CenterNetDecodeOptions = {}): BoxDetection[][] {
  const what = 'CenterNet output';
  expectRank(output, 3, '[B, M, 6]', what);
  const data = floatData(output, what);
  const [batch, rows, width] = output.dims;
  if (width !== 6) throw new PostprocessError(`${what}: expected [B, M, 6], got dims [${output.dims.join(', ')}]`);
  const thr = Math.fround(options.scoreThreshold ?? 0.2);
  const maxDetections = options.maxDetections ?? Infinity;
  const results: BoxDetection[][] = [];
  for (let b = 0; b < batch; b++) {
    const c = new CandidateList(rows);
    for (let n = 0; n < rows; n++) {
      const r = (b * rows + n) * 6;
      const score = data[r + 4];
      const cls = data[r + 5];
      if (!(score > thr) || !Number.isFinite(cls) || cls < 0) continue;
      c.push(data[r], data[r + 1], data[r + 2], data[r + 3], score, Math.round(cls), n);
    }
    results.push(
      options.iouThreshold === undefined
        ? rankDetections(c, maxDetections)
        : selectDetections(c, { iouThreshold: options.iouThreshold, classAware: options.classAware ?? false, maxDetections }),
    );
  }
  return results;
}
