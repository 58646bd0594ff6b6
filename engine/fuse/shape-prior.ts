/**
 * Class from a cluster's shape alone, for rigs without a camera detector: height, footprint and
 * point support against the usual sizes of road users. A LiDAR cluster holds only the faces the
 * sensor sees, so a car seen end-on shows its width and almost no length: the rules take what is
 * visible along the object's heading and across it, and accept a vehicle from either its side or
 * its end. The score says how sure the shape is, not a class probability from a trained model.
 */
export type ShapeClass = 'car' | 'truck' | 'pedestrian' | 'cyclist' | 'unknown';

export interface ShapeInput {
  /** Visible extent along the object's heading, metres. */
  length: number;
  /** Visible extent across it, metres. */
  width: number;
  /** Top of the cluster above the ground under it, metres. */
  height: number;
  points: number;
}

/** Typical footprints (length, width, metres), near nuScenes' class means. */
export const CLASS_SIZE: Readonly<Record<string, { length: number; width: number }>> = {
  car: { length: 4.5, width: 1.9 },
  truck: { length: 8, width: 2.5 },
  bus: { length: 11, width: 2.9 },
  cyclist: { length: 1.8, width: 0.6 },
  pedestrian: { length: 0.7, width: 0.7 },
};

/** A visible side this long is a vehicle's side (no bicycle or person is this long). */
const VEHICLE_SIDE_M = 2.4;
/** Fewer points than this are not classed as a pedestrian or cyclist. */
const MIN_SMALL_POINTS = 10;
/** A visible side at least this wide across the heading is a vehicle's end. */
const VEHICLE_END_M = 1.3;

export function classifyByShape(s: ShapeInput): { label: ShapeClass; score: number } {
  const { length, width, height: h } = s;
  // Few points make any shape unreliable: scale the score by support, saturating at 40 points.
  const support = Math.min(1, s.points / 40);
  const vehicleLike = length >= VEHICLE_SIDE_M || width >= VEHICLE_END_M;
  if (h >= 2.4 && vehicleLike && length <= 20 && width <= 3.2) return { label: 'truck', score: 0.6 * support };
  // A far car may show only its lower half: the top ring that hits it can be well below its roof.
  if (h >= 0.6 && h <= 2.4 && vehicleLike && length <= 6.5 && width <= 2.6) return { label: 'car', score: (h >= 1 ? 0.7 : 0.4) * support };
  // A person-sized handful of points is as often the visible corner of something larger.
  if (s.points < MIN_SMALL_POINTS) return { label: 'unknown', score: 0.2 * support };
  if (h >= 0.9 && h <= 2.1 && length >= 1 && length < VEHICLE_SIDE_M && width < 1) return { label: 'cyclist', score: 0.5 * support };
  if (h >= 0.9 && h <= 2.1 && length < 1 && width < 1) return { label: 'pedestrian', score: 0.5 * support };
  return { label: 'unknown', score: 0.2 * support };
}
