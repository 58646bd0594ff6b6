/**
 * Which detection may update which track, and at what cost. A pair passes when the classes may be
 * associated, the Euclidean distance is within the track class's maximum, and the squared
 * Mahalanobis distance of the position innovation (S = P + R) is within the class's χ² gate.
 * The cost of a pair that passes is that squared Mahalanobis distance; Infinity otherwise.
 */
import type { ClassTable } from './classes.js';

export interface GateTrack {
  x: number;
  y: number;
  /** Predicted position covariance [xx, xy, yx, yy]. */
  covariance: ArrayLike<number>;
  label: string;
}

export interface GateDetection {
  x: number;
  y: number;
  label: string;
}

/** dᵀ S⁻¹ d for a 2×2 symmetric S = [sxx, sxy; sxy, syy]; Infinity when S is not positive definite. */
export function mahalanobis2(dx: number, dy: number, sxx: number, sxy: number, syy: number): number {
  const det = sxx * syy - sxy * sxy;
  if (!(det > 0) || !(sxx > 0)) return Infinity;
  return (dx * dx * syy - 2 * dx * dy * sxy + dy * dy * sxx) / det;
}

export function gateCost(track: GateTrack, detection: GateDetection, classes: ClassTable): number {
  if (!classes.canAssign(track.label, detection.label)) return Infinity;
  const params = classes.get(track.label);
  const dx = detection.x - track.x, dy = detection.y - track.y;
  if (!(dx * dx + dy * dy <= params.maxDistanceM * params.maxDistanceM)) return Infinity;
  const rv = classes.get(detection.label).positionStd ** 2;
  const p = track.covariance;
  const d2 = mahalanobis2(dx, dy, p[0] + rv, (p[1] + p[2]) / 2, p[3] + rv);
  return d2 <= params.gate ? d2 : Infinity;
}

/** tracks × detections, row-major. */
export function gateCostMatrix(tracks: readonly GateTrack[], detections: readonly GateDetection[], classes: ClassTable): Float64Array {
  const cols = detections.length;
  const out = new Float64Array(tracks.length * cols);
  for (let t = 0; t < tracks.length; t++) {
    for (let d = 0; d < cols; d++) out[t * cols + d] = gateCost(tracks[t], detections[d], classes);
  }
  return out;
}
