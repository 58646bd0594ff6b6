/**
 * L-shape fitting of a cluster's footprint (X. Zhang, W. Xu, C. Dong, J. M. Dolan, "Efficient
 * L-shape fitting for vehicle detection using laser scanners", IEEE IV 2017), the search-based
 * variant with the closeness criterion, as Autoware's shape estimation uses it.
 *
 * A LiDAR sees one or two faces of a box. For each candidate heading in [0, π/2) the points are
 * projected on the two axes; each point's distance to the nearer rectangle edge is taken, and the
 * heading that puts most points closest to an edge wins. Unlike the minimum-area rectangle of the
 * convex hull, a few stray points (a mirror, an antenna) barely move the result.
 */

export interface FittedRect {
  /** Heading of the first axis, [0, π/2). */
  yaw: number;
  /** Extent of the points along (cos yaw, sin yaw) and along (−sin yaw, cos yaw). */
  minU: number;
  maxU: number;
  minV: number;
  maxV: number;
}

/** Points closer than this to an edge count as on it (the criterion's d₀), metres. */
const MIN_EDGE_DISTANCE = 0.01;
const COARSE_STEPS = 18;
const COARSE_STEP = Math.PI / 2 / COARSE_STEPS;
/** The fine search splits each coarse step this many times around the best coarse heading. */
const FINE_STEPS = 5;
const FINE_STEP = COARSE_STEP / FINE_STEPS;
/** The heading search looks at this many points at most: more change the answer little and cost linearly. */
const MAX_SEARCH_POINTS = 32;

/**
 * Fits a rectangle to `count` points given as interleaved x, y. The search runs coarse (5°) then
 * fine (1°) around the best coarse heading; the extents come from every point.
 */
export function fitLShape(xy: Float64Array, count: number): FittedRect {
  if (count <= 0) return { yaw: 0, minU: 0, maxU: 0, minV: 0, maxV: 0 };
  const step = Math.max(1, Math.ceil(count / MAX_SEARCH_POINTS));
  let bestYaw = 0;
  let best = -Infinity;
  const consider = (yaw: number): void => {
    const c = closeness(xy, count, step, yaw);
    if (c > best) {
      best = c;
      bestYaw = yaw;
    }
  };
  for (let k = 0; k < COARSE_STEPS; k++) consider(k * COARSE_STEP);
  const coarse = bestYaw;
  for (let k = 1; k < FINE_STEPS; k++) {
    consider(coarse - k * FINE_STEP);
    consider(coarse + k * FINE_STEP);
  }
  // Keep the heading in [0, π/2): a turn by a quarter is the same rectangle with its axes swapped.
  const quarter = Math.PI / 2;
  bestYaw = ((bestYaw % quarter) + quarter) % quarter;
  return { yaw: bestYaw, ...extents(xy, count, bestYaw) };
}

function closeness(xy: Float64Array, count: number, step: number, yaw: number): number {
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const { minU, maxU, minV, maxV } = extents(xy, count, yaw, step);
  let sum = 0;
  for (let i = 0; i < count; i += step) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    const u = c * x + s * y, v = -s * x + c * y;
    const du = Math.min(maxU - u, u - minU);
    const dv = Math.min(maxV - v, v - minV);
    sum += 1 / Math.max(Math.min(du, dv), MIN_EDGE_DISTANCE);
  }
  return sum;
}

function extents(xy: Float64Array, count: number, yaw: number, step = 1): Omit<FittedRect, 'yaw'> {
  const c = Math.cos(yaw), s = Math.sin(yaw);
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (let i = 0; i < count; i += step) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    const u = c * x + s * y, v = -s * x + c * y;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
  }
  return { minU, maxU, minV, maxV };
}
