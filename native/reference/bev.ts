/**
 * TypeScript reference of the BEV kernels (native/src/bev_cpu.cc, bev_cuda.cu): the ground truth
 * the native backends are tested against and the 'ts' backend. Arithmetic follows the C++
 * operation for operation in double precision, and every per-cell reduction visits points in
 * index order, so the outputs agree bit for bit.
 */

/** A BEV grid: cells of `resolution` metres starting at (xMin, yMin). */
export interface BevGrid {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  resolution: number;
}

/** Columns (along x) and rows (along y); cell = row · width + col. */
export interface GridShape {
  width: number;
  height: number;
}

/** Float index of each field inside one point; `intensity: -1` means none. */
export interface BevFields {
  x: number;
  y: number;
  z: number;
  intensity: number;
}

/** Radar target fields. Radial velocity from `velocity` when >= 0, else from (vx, vy) projected on the bearing. */
export interface RadarFields {
  x: number;
  y: number;
  velocity: number;
  vx: number;
  vy: number;
  rcs: number;
}

export const BEV_CHANNELS = ['maxZ', 'minZ', 'meanIntensity', 'count'] as const;
export const RADAR_CHANNELS = ['meanRadialVelocity', 'maxRcs', 'count'] as const;
/** Per point in a pillar: x, y, z, intensity, offsets from the pillar's mean, offsets from its centre. */
export const PILLAR_FEATURES = ['x', 'y', 'z', 'intensity', 'xMean', 'yMean', 'zMean', 'xCentre', 'yCentre'] as const;

/**
 * Whole cells covering [xMin, xMax) × [yMin, yMax). A span within 1e-9 cells of a whole number is
 * taken as that number, so 102.4 m / 0.2 m gives 512 cells rather than 513 from rounding noise.
 */
export function gridShape(grid: BevGrid): GridShape {
  const cells = (span: number): number => {
    const n = span / grid.resolution;
    const rounded = Math.round(n);
    return Math.abs(n - rounded) < 1e-9 ? rounded : Math.ceil(n);
  };
  return { width: cells(grid.xMax - grid.xMin), height: cells(grid.yMax - grid.yMin) };
}

/** The cell of (x, y) or -1: the same subtraction, division and floor as bev_common.h's CellOf. */
export function cellOf(x: number, y: number, grid: BevGrid, shape: GridShape): number {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
  const c = Math.floor((x - grid.xMin) / grid.resolution);
  const r = Math.floor((y - grid.yMin) / grid.resolution);
  if (c < 0 || r < 0 || c >= shape.width || r >= shape.height) return -1;
  return r * shape.width + c;
}

function lidarCell(points: Float32Array, o: number, f: BevFields, grid: BevGrid, shape: GridShape): number {
  if (!Number.isFinite(points[o + f.z])) return -1;
  if (f.intensity >= 0 && !Number.isFinite(points[o + f.intensity])) return -1;
  return cellOf(points[o + f.x], points[o + f.y], grid, shape);
}

/** out: 4 · H · W floats, channels-first [maxZ, minZ, meanIntensity, count]; empty cells 0. */
export function rasterizeBevReference(
  points: Float32Array,
  stride: number,
  f: BevFields,
  grid: BevGrid,
  shape: GridShape,
  out: Float32Array,
): Float32Array {
  const cells = shape.width * shape.height;
  out.fill(0, 0, 4 * cells);
  const sums = new Float64Array(cells);
  const n = Math.floor(points.length / stride);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    const c = lidarCell(points, o, f, grid, shape);
    if (c < 0) continue;
    const z = points[o + f.z];
    if (out[3 * cells + c] === 0) {
      out[c] = z;
      out[cells + c] = z;
    } else {
      if (z > out[c]) out[c] = z;
      if (z < out[cells + c]) out[cells + c] = z;
    }
    if (f.intensity >= 0) sums[c] += points[o + f.intensity];
    out[3 * cells + c] += 1;
  }
  for (let c = 0; c < cells; c++) {
    const count = out[3 * cells + c];
    if (count > 0) out[2 * cells + c] = sums[c] / count;
  }
  return out;
}

/** out: 3 · H · W floats, channels-first [meanRadialVelocity, maxRcs, count]; empty cells 0. */
export function rasterizeRadarBevReference(
  targets: Float32Array,
  stride: number,
  f: RadarFields,
  grid: BevGrid,
  shape: GridShape,
  out: Float32Array,
): Float32Array {
  const cells = shape.width * shape.height;
  out.fill(0, 0, 3 * cells);
  const sums = new Float64Array(cells);
  const n = Math.floor(targets.length / stride);
  const ok = (o: number, field: number): boolean => field < 0 || Number.isFinite(targets[o + field]);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    if (!ok(o, f.velocity) || !ok(o, f.vx) || !ok(o, f.vy) || !ok(o, f.rcs)) continue;
    const c = cellOf(targets[o + f.x], targets[o + f.y], grid, shape);
    if (c < 0) continue;
    let v = 0;
    if (f.velocity >= 0) {
      v = targets[o + f.velocity];
    } else if (f.vx >= 0 && f.vy >= 0) {
      const x = targets[o + f.x], y = targets[o + f.y];
      const r = Math.sqrt(x * x + y * y);
      if (r > 0) v = (targets[o + f.vx] * x + targets[o + f.vy] * y) / r;
    }
    const rcs = f.rcs >= 0 ? targets[o + f.rcs] : 0;
    if (out[2 * cells + c] === 0 || rcs > out[cells + c]) out[cells + c] = rcs;
    sums[c] += v;
    out[2 * cells + c] += 1;
  }
  for (let c = 0; c < cells; c++) {
    const count = out[2 * cells + c];
    if (count > 0) out[c] = sums[c] / count;
  }
  return out;
}

export interface PillarTensors {
  /** [maxPillars, maxPoints, 9] (PILLAR_FEATURES), zero padded. */
  features: Float32Array;
  /** [maxPillars, 2] (row, col); -1 for unused pillars. */
  coords: Int32Array;
  /** [maxPillars] points kept per pillar. */
  pointCounts: Int32Array;
}

/**
 * PointPillars input: pillars numbered in order of their first point (by index), each keeping
 * its first `maxPoints` points by index; points of pillars beyond `maxPillars` are dropped.
 * Returns the number of pillars filled.
 */
export function buildPillarsReference(
  points: Float32Array,
  stride: number,
  f: BevFields,
  grid: BevGrid,
  shape: GridShape,
  maxPillars: number,
  maxPoints: number,
  out: PillarTensors,
): number {
  out.features.fill(0, 0, maxPillars * maxPoints * 9);
  out.coords.fill(-1, 0, 2 * maxPillars);
  out.pointCounts.fill(0, 0, maxPillars);
  if (maxPillars === 0 || maxPoints === 0) return 0;
  const pillarOf = new Map<number, number>();
  const members = new Int32Array(maxPillars * maxPoints);
  let pillars = 0;
  const n = Math.floor(points.length / stride);
  for (let i = 0; i < n; i++) {
    const c = lidarCell(points, i * stride, f, grid, shape);
    if (c < 0) continue;
    let p = pillarOf.get(c);
    if (p === undefined) {
      if (pillars >= maxPillars) continue;
      p = pillars++;
      pillarOf.set(c, p);
      out.coords[2 * p] = Math.floor(c / shape.width);
      out.coords[2 * p + 1] = c % shape.width;
    }
    const k = out.pointCounts[p];
    if (k < maxPoints) {
      members[p * maxPoints + k] = i;
      out.pointCounts[p] = k + 1;
    }
  }
  for (let p = 0; p < pillars; p++) {
    const k = out.pointCounts[p];
    let sx = 0, sy = 0, sz = 0;
    for (let j = 0; j < k; j++) {
      const o = members[p * maxPoints + j] * stride;
      sx += points[o + f.x];
      sy += points[o + f.y];
      sz += points[o + f.z];
    }
    const mx = sx / k, my = sy / k, mz = sz / k;
    const xc = grid.xMin + (out.coords[2 * p + 1] + 0.5) * grid.resolution;
    const yc = grid.yMin + (out.coords[2 * p] + 0.5) * grid.resolution;
    for (let j = 0; j < k; j++) {
      const o = members[p * maxPoints + j] * stride;
      const x = points[o + f.x], y = points[o + f.y], z = points[o + f.z];
      const row = (p * maxPoints + j) * 9;
      out.features[row] = x;
      out.features[row + 1] = y;
      out.features[row + 2] = z;
      out.features[row + 3] = f.intensity >= 0 ? points[o + f.intensity] : 0;
      out.features[row + 4] = x - mx;
      out.features[row + 5] = y - my;
      out.features[row + 6] = z - mz;
      out.features[row + 7] = x - xc;
      out.features[row + 8] = y - yc;
    }
  }
  return pillars;
}

/**
 * Scatters pillar features [P, C] to a dense [C, H, W] canvas (zeros elsewhere). Pillars whose
 * (row, col) is outside the canvas are skipped; on a shared cell the highest pillar index wins.
 */
export function scatterPillarsReference(
  features: Float32Array,
  pillars: number,
  channels: number,
  coords: Int32Array,
  height: number,
  width: number,
  canvas: Float32Array,
): Float32Array {
  const plane = height * width;
  canvas.fill(0, 0, channels * plane);
  for (let p = 0; p < pillars; p++) {
    const r = coords[2 * p], c = coords[2 * p + 1];
    if (r < 0 || c < 0 || r >= height || c >= width) continue;
    const cell = r * width + c;
    for (let ch = 0; ch < channels; ch++) canvas[ch * plane + cell] = features[p * channels + ch];
  }
  return canvas;
}
