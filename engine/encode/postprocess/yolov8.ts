import { PostprocessError, expectRank, floatData, type BoxDetection, type TensorLike } from './box-detection.js';
import { CandidateList } from './candidates.js';
import { selectDetections } from './nms.js';
import { resolveYoloOptions, type YoloDecodeOptions } from './yolo-options.js';

export interface YoloV8DecodeOptions extends YoloDecodeOptions {
  /**
   * '[B,4+K,N]' (default): as Ultralytics exports YOLOv8/v9/v10-without-NMS/v11, one column per
   * anchor. '[B,N,4+K]': the same values transposed, one row per anchor.
   */
  layout?: '[B,4+K,N]' | '[B,N,4+K]';
}

/**
 * YOLOv8 / YOLO11 output: per anchor cx, cy, w, h (model input pixels) and K class scores (after
 * sigmoid), no objectness. The best class (lowest id on a tie) is the candidate when its score >
 * threshold (every class above it with multiLabel); boxes as in decodeYoloV5; then NMS.
 */
export function decodeYoloV8(output: TensorLike, options: YoloV8DecodeOptions = {}): BoxDetection[][] {
  const what = 'YOLOv8 output';
  const layout = options.layout ?? '[B,4+K,N]';
  expectRank(output, 3, layout, what);
  const data = floatData(output, what);
  const [batch, d1, d2] = output.dims;
  const featuresFirst = layout === '[B,4+K,N]';
  if (!featuresFirst && layout !== '[B,N,4+K]') throw new PostprocessError(`${what}: unknown layout ${String(layout)}`);
  const anchors = featuresFirst ? d2 : d1;
  const features = featuresFirst ? d1 : d2;
  const o = resolveYoloOptions(options, features - 4, what);
  const thr = o.scoreThreshold;
  // Element (anchor n, feature f) of image b: anchors are contiguous in the Ultralytics layout.
  const nStride = featuresFirst ? 1 : features;
  const fStride = featuresFirst ? anchors : 1;
  const results: BoxDetection[][] = [];
  // Per-anchor best class, filled feature by feature so the Ultralytics layout is read in order.
  const best = o.multiLabel ? null : new Float64Array(anchors);
  const bestClass = o.multiLabel ? null : new Int32Array(anchors);
  for (let b = 0; b < batch; b++) {
    const base = b * anchors * features;
    const c = new CandidateList();
    const boxOf = (n: number, classId: number, score: number): void => {
      const r = base + n * nStride;
      const cx = data[r], cy = data[r + fStride], hw = data[r + 2 * fStride] / 2, hh = data[r + 3 * fStride] / 2;
      c.push(cx - hw, cy - hh, cx + hw, cy + hh, score, classId, n);
    };
    if (best && bestClass) {
      best.fill(-Infinity);
      bestClass.fill(-1);
      for (let f = 4; f < features; f++) {
        const row = base + f * fStride;
        for (let n = 0; n < anchors; n++) {
          const v = data[row + n * nStride];
          if (v > best[n]) {
            best[n] = v;
            bestClass[n] = f - 4;
          }
        }
      }
      for (let n = 0; n < anchors; n++) if (best[n] > thr) boxOf(n, bestClass[n], best[n]);
    } else {
      for (let n = 0; n < anchors; n++) {
        const r = base + n * nStride;
        for (let f = 4; f < features; f++) {
          const v = data[r + f * fStride];
          if (v > thr) boxOf(n, f - 4, v);
        }
      }
    }
    results.push(selectDetections(c, o));
  }
  return results;
}
