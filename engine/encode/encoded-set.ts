import type { FrameSet } from '../core/frames.js';
import type { AudioEvent } from '../events/perception-event.js';

/** An object found in one camera image, in pixels of that image as received. */
export interface Detection2D {
  sensorId: string;
  classId: number;
  /** Class name from the model's label list (e.g. COCO's). */
  label: string;
  score: number;
  /** [x1, y1, x2, y2] in pixels of the original image. */
  box: [number, number, number, number];
  /** The encoder that produced it. */
  encoder: string;
}

/** A FrameSet after the encoders: what the fusion stage and the event take from them. */
export interface EncodedSet {
  set: FrameSet;
  detections: Detection2D[];
  audio: AudioEvent[];
  /** Plain embeddings by encoder and sensor (`encoder/sensorId`). */
  embeddings: Map<string, Float32Array>;
  /** Wall time spent encoding this set, ms. */
  encodeMs: number;
}
