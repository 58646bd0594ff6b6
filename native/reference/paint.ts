/**
 * Plain TypeScript reference of the `paint` kernel (PointPainting), the ground truth for
 * native/src/paint.h's PaintPoint and the fallback without the addon. Same rules, same order:
 *
 * - a point takes its scores from the camera that sees it nearest (smallest float32 depth among
 *   the cameras whose image holds it; equal depths: the lower camera index);
 * - from a score map, the cell floor(u·mapWidth/width), floor(v·mapHeight/height), clamped;
 * - from boxes, among the boxes holding the pixel (x1 ≤ u < x2, y1 ≤ v < y2) the one with the
 *   highest max class score (equal: the lower box index); no box gives zeros;
 * - a point no camera sees gets zeros and camera index −1.
 */
import type { ProjectionCamera } from '../project.js';
import { projectPointsReference, type ProjectionOutputs } from './project.js';

/** The kernel-level source: map data with its cell stride, or boxes with scores (all float32). */
export type KernelPaintSource =
  | { kind: 'map'; data: Float32Array; width: number; height: number; cellStride: number }
  | { kind: 'boxes'; boxes: Float32Array; scores: Float32Array };

/** Each box's highest class score; NaN never wins (a box of only NaN gets −Inf). */
export function boxMaxima(scores: Float32Array, boxCount: number, classes: number): Float32Array {
  const out = new Float32Array(boxCount);
  for (let b = 0; b < boxCount; b++) {
    let best = -Infinity;
    for (let k = 0; k < classes; k++) {
      const s = scores[b * classes + k];
      if (s > best) best = s;
    }
    out[b] = best;
  }
  return out;
}

export function paintPointsReference(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  sources: readonly KernelPaintSource[],
  classes: number,
  minDepth: number,
  scores: Float32Array,
  camera: Int32Array,
): void {
  const count = Math.floor(points.length / stride);
  const proj: ProjectionOutputs = {
    u: new Float32Array(count * cameras.length),
    v: new Float32Array(count * cameras.length),
    depth: new Float32Array(count * cameras.length),
    inImage: new Uint8Array(count * cameras.length),
  };
  projectPointsReference(points, stride, cameras, minDepth, proj);
  const maxima = sources.map((s) => (s.kind === 'boxes' ? boxMaxima(s.scores, s.boxes.length / 4, classes) : undefined));
  for (let i = 0; i < count; i++) {
    let best = -1;
    let bestDepth = Infinity, bestU = 0, bestV = 0;
    for (let c = 0; c < cameras.length; c++) {
      const j = c * count + i;
      if (proj.inImage[j] && proj.depth[j] < bestDepth) {
        best = c;
        bestDepth = proj.depth[j];
        bestU = proj.u[j];
        bestV = proj.v[j];
      }
    }
    camera[i] = best;
    let from: Float32Array | undefined;
    let offset = 0;
    if (best >= 0) {
      const s = sources[best];
      const cam = cameras[best];
      if (s.kind === 'map') {
        const col = Math.min(s.width - 1, Math.floor((bestU * s.width) / cam.width));
        const row = Math.min(s.height - 1, Math.floor((bestV * s.height) / cam.height));
        from = s.data;
        offset = (row * s.width + col) * s.cellStride;
      } else {
        const max = maxima[best]!;
        let chosen = -1;
        let chosenMax = 0;
        for (let b = 0; b < max.length; b++) {
          const x1 = s.boxes[4 * b], y1 = s.boxes[4 * b + 1], x2 = s.boxes[4 * b + 2], y2 = s.boxes[4 * b + 3];
          const inside = x1 <= bestU && bestU < x2 && y1 <= bestV && bestV < y2;
          if (inside && (chosen < 0 || max[b] > chosenMax)) {
            chosen = b;
            chosenMax = max[b];
          }
        }
        if (chosen >= 0) {
          from = s.scores;
          offset = chosen * classes;
        }
      }
    }
    const o = i * classes;
    for (let k = 0; k < classes; k++) scores[o + k] = from ? from[offset + k] : 0;
  }
}
