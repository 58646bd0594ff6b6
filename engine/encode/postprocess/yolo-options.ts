import { PostprocessError } from './box-detection.js';

/** Thresholds of the YOLO decoders; the defaults are Ultralytics' predict defaults. */
export interface YoloDecodeOptions {
  /** A candidate needs score > this (compared in float32, as the model's own tensors; default 0.25). */
  scoreThreshold?: number;
  /** NMS IoU threshold (default 0.45; Ultralytics' predict uses 0.7 for v8/v11, 0.45 for v5). */
  iouThreshold?: number;
  /** NMS per class (default true) or across classes (Ultralytics' `agnostic`). */
  classAware?: boolean;
  /** At most this many detections per image (default 300). */
  maxDetections?: number;
  /** At most this many candidates enter NMS, the best ones (default 30000, Ultralytics' max_nms). */
  maxCandidates?: number;
  /** Every class above the threshold is a candidate, not only the best one (default false). */
  multiLabel?: boolean;
  /** Expected class count; a model output with another count is an error (default: any). */
  numClasses?: number;
}

export interface ResolvedYoloOptions {
  scoreThreshold: number;
  iouThreshold: number;
  classAware: boolean;
  maxDetections: number;
  maxCandidates: number;
  multiLabel: boolean;
}

export function resolveYoloOptions(o: YoloDecodeOptions, numClasses: number, what: string): ResolvedYoloOptions {
  if (o.numClasses !== undefined && o.numClasses !== numClasses) {
    throw new PostprocessError(`${what}: the model output has ${numClasses} classes, ${o.numClasses} expected`);
  }
  if (numClasses < 1) throw new PostprocessError(`${what}: the model output has no class columns`);
  return {
    scoreThreshold: Math.fround(o.scoreThreshold ?? 0.25),
    iouThreshold: o.iouThreshold ?? 0.45,
    classAware: o.classAware ?? true,
    maxDetections: o.maxDetections ?? 300,
    maxCandidates: o.maxCandidates ?? 30000,
    multiLabel: o.multiLabel ?? false,
  };
}
