import { labelOf } from '../coco-labels.js';
import type { Detection2D } from '../encoded-set.js';
import { unletterboxBox, type LetterboxTransform } from '../letterbox.js';
import type { BoxDetection } from './box-detection.js';

export interface ToDetection2DOptions {
  sensorId: string;
  encoder: string;
  /** Class names by id (e.g. COCO_LABELS); ids outside the list are named `class_<id>`. */
  labels: readonly string[];
  /** The letterbox the image went through; boxes come back in original image pixels, clipped. */
  letterbox: LetterboxTransform;
  /**
   * Drop boxes that clipping to the image leaves with no area (they lay wholly in the padding).
   * Default true.
   */
  dropEmpty?: boolean;
}

/** A decoder's detections (model input pixels) as the engine's Detection2D (original image pixels). */
export function toDetections2D(detections: readonly BoxDetection[], o: ToDetection2DOptions): Detection2D[] {
  const out: Detection2D[] = [];
  for (const d of detections) {
    const box = unletterboxBox(d.box, o.letterbox);
    if ((o.dropEmpty ?? true) && !(box[2] > box[0] && box[3] > box[1])) continue;
    out.push({ sensorId: o.sensorId, classId: d.classId, label: labelOf(o.labels, d.classId), score: d.score, box, encoder: o.encoder });
  }
  return out;
}
