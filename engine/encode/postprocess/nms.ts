import type { BoxDetection } from './box-detection.js';
import { CandidateList } from './candidates.js';
import { iouAt } from './iou.js';

export interface NmsOptions {
  /** A box is suppressed when its IoU with a kept box is strictly greater than this. */
  iouThreshold: number;
  /** Suppress only boxes of the same class (default true); false: across classes. */
  classAware?: boolean;
  /** Stop after this many kept boxes (default: no limit). */
  maxDetections?: number;
  /** Only the best this many candidates enter NMS (Ultralytics' max_nms; default: all). */
  maxCandidates?: number;
}

/**
 * Greedy non-maximum suppression, exact and deterministic: candidates sorted by score, highest
 * first, equal scores in candidate order (lower index first); each candidate is kept unless a kept
 * box of the same class (any class when not class-aware) overlaps it with IoU > iouThreshold.
 * NaN scores are never kept. Returns the kept candidates' positions, in the order they were kept.
 */
export function nmsIndices(c: CandidateList, options: NmsOptions): number[] {
  const { iouThreshold } = options;
  const classAware = options.classAware ?? true;
  const maxDetections = options.maxDetections ?? Infinity;
  const order = sortedByScore(c, options.maxCandidates ?? Infinity);
  const suppressed = new Uint8Array(order.length);
  const kept: number[] = [];
  const { boxes, classIds } = c;
  for (let a = 0; a < order.length && kept.length < maxDetections; a++) {
    if (suppressed[a]) continue;
    const i = order[a];
    kept.push(i);
    for (let b = a + 1; b < order.length; b++) {
      if (suppressed[b]) continue;
      const j = order[b];
      if (classAware && classIds[i] !== classIds[j]) continue;
      if (iouAt(boxes, 4 * i, boxes, 4 * j) > iouThreshold) suppressed[b] = 1;
    }
  }
  return kept;
}

/** NMS over candidates, as detection objects in the order kept. */
export function selectDetections(c: CandidateList, options: NmsOptions): BoxDetection[] {
  return nmsIndices(c, options).map((i) => c.detection(i));
}

/** Every candidate, best score first (ties in candidate order), without suppression. */
export function rankDetections(c: CandidateList, maxDetections = Infinity): BoxDetection[] {
  const order = sortedByScore(c, maxDetections);
  return Array.from(order, (i) => c.detection(i));
}

/** NMS over plain detection objects; ties keep array order. `index` is carried, not used. */
export function nms(detections: readonly BoxDetection[], options: NmsOptions): BoxDetection[] {
  const c = new CandidateList(detections.length);
  for (const d of detections) c.push(d.box[0], d.box[1], d.box[2], d.box[3], d.score, d.classId, d.index);
  return nmsIndices(c, options).map((i) => detections[i]);
}

function sortedByScore(c: CandidateList, limit: number): Int32Array {
  const { scores } = c;
  let n = 0;
  const order = new Int32Array(c.count);
  for (let i = 0; i < c.count; i++) if (!Number.isNaN(scores[i])) order[n++] = i;
  const sorted = order.subarray(0, n).sort((a, b) => scores[b] - scores[a] || a - b);
  return n > limit ? sorted.subarray(0, limit) : sorted;
}
