/**
 * Recall of labelled 2D boxes by a detector's boxes. Detections, best score first, each take the
 * still-unmatched labelled box they overlap most, if the IoU reaches the threshold and the
 * detection's label is one the box's category accepts (a "car" may be found as car, truck or bus):
 * the one-to-one greedy matching of the KITTI and COCO evaluations. Precision is not computed:
 * the labels of a driving dataset cover a few classes, so most detections have nothing to match.
 */
import type { BoxXYXY } from '../encode/letterbox.js';
import { iou } from '../encode/postprocess/iou.js';

export interface TruthBox {
  box: BoxXYXY;
  /** The category recall is counted under ('car', 'pedestrian'). */
  category: string;
}

export interface DetectedBox {
  box: BoxXYXY;
  label: string;
  score: number;
}

export interface RecallOptions {
  /** Detection labels that can find a box of each category, e.g. { car: ['car', 'truck', 'bus'] }. */
  accepts: Readonly<Record<string, readonly string[]>>;
  /** Default 0.5. */
  iouThreshold?: number;
}

export interface CategoryRecall {
  truth: number;
  found: number;
  /** found / truth; NaN when there is nothing to find. */
  recall: number;
}

export interface RecallResult extends CategoryRecall {
  perCategory: Record<string, CategoryRecall>;
  /** Per labelled box, in order: the IoU of the detection that found it, 0 when none did. */
  matchedIou: number[];
}

export function detectionRecall(truth: readonly TruthBox[], detections: readonly DetectedBox[], options: RecallOptions): RecallResult {
  const threshold = options.iouThreshold ?? 0.5;
  const matchedIou = truth.map(() => 0);
  const order = detections.map((_, i) => i).sort((a, b) => detections[b].score - detections[a].score || a - b);
  for (const d of order) {
    const detection = detections[d];
    let best = -1;
    let bestIou = threshold;
    truth.forEach((t, k) => {
      if (matchedIou[k] > 0 || !(options.accepts[t.category] ?? []).includes(detection.label)) return;
      const overlap = iou(detection.box, t.box);
      if (overlap >= bestIou && (best < 0 || overlap > bestIou)) {
        best = k;
        bestIou = overlap;
      }
    });
    if (best >= 0) matchedIou[best] = bestIou;
  }
  return tally(truth.map((t) => t.category), matchedIou);
}

/** Several images' results as one: boxes and matches added up. */
export function combineRecall(results: readonly RecallResult[]): RecallResult {
  const perCategory: Record<string, CategoryRecall> = {};
  for (const r of results) {
    for (const [category, c] of Object.entries(r.perCategory)) {
      const sum = (perCategory[category] ??= { truth: 0, found: 0, recall: Number.NaN });
      sum.truth += c.truth;
      sum.found += c.found;
    }
  }
  return withRecall(perCategory, results.flatMap((r) => r.matchedIou));
}

function tally(categories: readonly string[], matchedIou: readonly number[]): RecallResult {
  const perCategory: Record<string, CategoryRecall> = {};
  categories.forEach((category, k) => {
    const c = (perCategory[category] ??= { truth: 0, found: 0, recall: Number.NaN });
    c.truth++;
    if (matchedIou[k] > 0) c.found++;
  });
  return withRecall(perCategory, [...matchedIou]);
}

function withRecall(perCategory: Record<string, CategoryRecall>, matchedIou: number[]): RecallResult {
  let truth = 0;
  let found = 0;
  for (const c of Object.values(perCategory)) {
    c.recall = c.truth ? c.found / c.truth : Number.NaN;
    truth += c.truth;
    found += c.found;
  }
  return { truth, found, recall: truth ? found / truth : Number.NaN, perCategory, matchedIou };
}
