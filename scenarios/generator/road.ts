/**
 * The road: a circular arc of constant curvature in the local ENU plane, with four 3.5 m lanes
 * (two each way, right-hand traffic), sidewalks beyond the kerbs, and terrain beyond those.
 * Places on it are (s, d): arc length along the centre line and lateral offset, left positive.
 */
export interface Road {
  /** ENU position of the centre line at s = 0, metres. */
  readonly x0: number;
  readonly y0: number;
  /** Heading of the centre line at s = 0, radians counter-clockwise from east. */
  readonly heading0: number;
  /** Signed curvature, 1/m (positive turns left); never zero. */
  readonly curvature: number;
}

export const LANE_WIDTH = 3.5;
export const ROAD_HALF_WIDTH = 2 * LANE_WIDTH;
export const SIDEWALK_OUTER = 10.5;
export const MARKING_WIDTH = 0.15;
/** Lane dividers are dashed: 3 m of paint every 9 m. */
export const DASH_LENGTH = 3;
export const DASH_PERIOD = 9;

export type Surface = 'asphalt' | 'marking' | 'sidewalk' | 'terrain';

export interface RoadPlace {
  x: number;
  y: number;
  /** Heading of the lane direction (increasing s) at that place. */
  heading: number;
}

export function roadPlace(road: Road, s: number, d: number): RoadPlace {
  const heading = road.heading0 + road.curvature * s;
  const k = road.curvature;
  const cx = road.x0 - Math.sin(road.heading0) / k;
  const cy = road.y0 + Math.cos(road.heading0) / k;
  const radius = 1 / k - d;
  return { x: cx + radius * Math.sin(heading), y: cy - radius * Math.cos(heading), heading };
}

/** Inverse of roadPlace, valid within half a turn of s = 0. */
export function roadCoordinates(road: Road, x: number, y: number): { s: number; d: number } {
  const k = road.curvature;
  const cx = road.x0 - Math.sin(road.heading0) / k;
  const cy = road.y0 + Math.cos(road.heading0) / k;
  const vx = x - cx;
  const vy = y - cy;
  const rho = Math.sign(k) * Math.hypot(vx, vy);
  const heading = Math.atan2(vx / rho, -vy / rho);
  let dh = heading - road.heading0;
  dh -= 2 * Math.PI * Math.round(dh / (2 * Math.PI));
  return { s: dh / k, d: 1 / k - rho };
}

/** Factor from arc length along a lane at offset d to arc length along the centre line. */
export function laneScale(road: Road, d: number): number {
  return 1 / (1 - road.curvature * d);
}

/** Lateral offsets of painted lines: double yellow centre, dashed lane dividers, solid edges. */
export const SOLID_LINES: readonly number[] = [-0.12, 0.12, -(ROAD_HALF_WIDTH - 0.25), ROAD_HALF_WIDTH - 0.25];
export const DASHED_LINES: readonly number[] = [-LANE_WIDTH, LANE_WIDTH];

export function surfaceAt(s: number, d: number): Surface {
  const across = surfaceAcross(d);
  if (across !== 'dash-line') return across;
  return ((s % DASH_PERIOD) + DASH_PERIOD) % DASH_PERIOD < DASH_LENGTH ? 'marking' : 'asphalt';
}

/** The surface at a world point; the costly arc length is only worked out on a dashed line. */
export function surfaceAtPoint(road: Road, x: number, y: number): Surface {
  const k = road.curvature;
  const cx = road.x0 - Math.sin(road.heading0) / k;
  const cy = road.y0 + Math.cos(road.heading0) / k;
  const d = 1 / k - Math.sign(k) * Math.hypot(x - cx, y - cy);
  const across = surfaceAcross(d);
  return across === 'dash-line' ? surfaceAt(roadCoordinates(road, x, y).s, d) : across;
}

/** What lies at lateral offset d, or 'dash-line' where that depends on the arc length too. */
function surfaceAcross(d: number): Surface | 'dash-line' {
  const ad = Math.abs(d);
  if (ad > SIDEWALK_OUTER) return 'terrain';
  if (ad > ROAD_HALF_WIDTH) return 'sidewalk';
  const half = MARKING_WIDTH / 2;
  for (let i = 0; i < SOLID_LINES.length; i++) if (Math.abs(d - SOLID_LINES[i]) <= half) return 'marking';
  for (let i = 0; i < DASHED_LINES.length; i++) if (Math.abs(d - DASHED_LINES[i]) <= half) return 'dash-line';
  return 'asphalt';
}
