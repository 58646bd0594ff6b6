import type { FrameSet } from '../core/frames.js';
import type { AudioEvent, Detection2D } from '../events/perception-event.js';

export type { Detection2D };

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
