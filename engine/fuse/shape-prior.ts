/**
 * Class from a cluster's shape alone, for rigs without a camera detector: height, footprint and
 * point support against the usual sizes of road users. A LiDAR cluster holds only the faces the
 * sensor sees, so a car seen end-on looks short: the rules use the longer footprint side and the
 * height, which partial views change least. The score says how sure the shape is, not a class
 * probability from a trained model.
 */
export type ShapeClass = 'car' | 'truck' | 'pedestrian' | 'cyclist' | 'unknown';

export interface ShapeInput {
  /** Footprint sides (any order), metres. */
  length: number;
  width: number;
  height: number;
  points: number;
}

export function classifyByShape(s: ShapeInput): { label: ShapeClass; score: number } {
  const long = Math.max(s.length, s.width);
  const short = Math.min(s.length, s.width);
  const h = s.height;
  // Few points make any shape unreliable: scale the score by support, saturating at 40 points.
  const support = Math.min(1, s.points / 40);
  if (h >= 2.4 && long >= 4.5) return { label: 'truck', score: 0.6 * support };
  if (h >= 1.0 && h <= 2.3 && long >= 2.2 && long <= 6.5) return { label: 'car', score: 0.7 * support };
  if (h >= 1.1 && h <= 2.1 && long >= 1.2 && long < 2.2 && short <= 1.0) return { label: 'cyclist', score: 0.5 * support };
  if (h >= 1.0 && h <= 2.1 && long < 1.2) return { label: 'pedestrian', score: 0.5 * support };
  return { label: 'unknown', score: 0.2 * support };
}
