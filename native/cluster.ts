/**
 * Ground removal and BEV clustering of a LiDAR sweep (native/src/cluster*.{h,cc,cu}).
 *
 * Ground: each cell's lowest z; a point's reference is the lowest z over the (2·groundRadius+1)²
 * cells around its cell (3×3 by default), and it is ground when z − reference ≤ groundThreshold
 * (and the reference ≤ maxGroundZ). Clusters: connected components of the cells holding a
 * non-ground point, cells within linkRadius (Chebyshev, 1 = 8-neighbour) connected. Cluster ids
 * follow each component's lowest cell index; components under minPoints points are noise.
 * Boxes are minimum-area rectangles of the cluster's convex hull (x, y), length ≥ width, yaw of
 * the length axis in (−π/2, π/2].
 *
 * CUDA runs the grid stage (union-find with atomics, roots = component minima, hence canonical)
 * and the CPU the per-cluster statistics, so every backend gives the same labels and ids.
 */
import { chooseBackend, type BackendRequest } from './backend.js';
import { packGrid, validateField, validateGrid, validatePoints } from './bev.js';
import { loadNative } from './index.js';
import type { BevGrid } from './reference/bev.js';
import { CLUSTER_RECORD, clusterBevReference, type ClusterParams, type PackedClusters } from './reference/cluster.js';

export { LABEL_GROUND, LABEL_NOISE, LABEL_OUTSIDE } from './reference/cluster.js';
export type { OrientedBox } from './reference/cluster.js';

export interface BevCluster {
  /** 0, 1, … in order of the component's lowest cell index. */
  id: number;
  /** Non-ground points. */
  count: number;
  centroid: { x: number; y: number; z: number };
  minZ: number;
  maxZ: number;
  box: { cx: number; cy: number; length: number; width: number; yaw: number };
}

export interface ClusterResult {
  /** Per point: cluster id, or -1 ground, -2 noise (too small a component), -3 outside the grid / non-finite. */
  labels: Int32Array;
  clusters: BevCluster[];
}

export interface ClusterOptions {
  /** Float indexes of x, y, z inside a point (default 0, 1, 2). */
  fields?: { x?: number; y?: number; z?: number };
  /** Metres above the local ground reference still counted as ground. Default 0.2. */
  groundThreshold?: number;
  /** A cell whose reference is above this has no ground (sensor frame, metres). Default +Infinity. */
  maxGroundZ?: number;
  /** Ground reference window radius in cells. Default 1 (3×3). */
  groundRadius?: number;
  /** Cells within this Chebyshev distance join one cluster. Default 1 (8-neighbour). */
  linkRadius?: number;
  /** Smaller components are noise. Default 3. */
  minPoints?: number;
  /** Reused per-point label storage (at least the point count). */
  labels?: Int32Array;
  backend?: BackendRequest;
}

interface ClusterAddon {
  clusterBev(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, params: Float64Array, labels: Int32Array, b: string): Float64Array;
  clusterBevAsync(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, params: Float64Array, labels: Int32Array, b: string): Promise<Float64Array>;
}

export function clusterBev(points: Float32Array, stride: number, grid: BevGrid, options: ClusterOptions = {}): ClusterResult {
  const job = prepare(points, stride, grid, options);
  if (job.backend === 'ts') return unpack(clusterBevReference(points, stride, grid, job.shape, job.params, job.labels));
  const records = clusterAddon().clusterBev(points, stride, job.packedFields, job.packedGrid, job.packedParams, job.labels, job.backend);
  return unpack({ labels: job.labels, records });
}

/** clusterBev off the event loop; do not touch `points` or `options.labels` until it settles. */
export async function clusterBevAsync(points: Float32Array, stride: number, grid: BevGrid, options: ClusterOptions = {}): Promise<ClusterResult> {
  const job = prepare(points, stride, grid, options);
  if (job.backend === 'ts') return unpack(clusterBevReference(points, stride, grid, job.shape, job.params, job.labels));
  const records = await clusterAddon().clusterBevAsync(points, stride, job.packedFields, job.packedGrid, job.packedParams, job.labels, job.backend);
  return unpack({ labels: job.labels, records });
}

/** The packed form (labels + CLUSTER_RECORD doubles per cluster), for agreement tests and tools. */
export function clusterBevPacked(points: Float32Array, stride: number, grid: BevGrid, options: ClusterOptions = {}): PackedClusters {
  const job = prepare(points, stride, grid, options);
  if (job.backend === 'ts') return clusterBevReference(points, stride, grid, job.shape, job.params, job.labels);
  const records = clusterAddon().clusterBev(points, stride, job.packedFields, job.packedGrid, job.packedParams, job.labels, job.backend);
  return { labels: job.labels, records };
}

function unpack({ labels, records }: PackedClusters): ClusterResult {
  const clusters: BevCluster[] = [];
  for (let o = 0; o < records.length; o += CLUSTER_RECORD) {
    clusters.push({
      id: records[o],
      count: records[o + 1],
      centroid: { x: records[o + 2], y: records[o + 3], z: records[o + 4] },
      minZ: records[o + 5],
      maxZ: records[o + 6],
      box: { cx: records[o + 7], cy: records[o + 8], length: records[o + 9], width: records[o + 10], yaw: records[o + 11] },
    });
  }
  return { labels, clusters };
}

function intOption(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

function prepare(points: Float32Array, stride: number, grid: BevGrid, options: ClusterOptions) {
  validatePoints(points, stride);
  if (stride < 3) throw new RangeError(`stride must be >= 3 (x, y, z), got ${stride}`);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const shape = validateGrid(grid);
  const f = options.fields ?? {};
  const fields = {
    x: validateField(f.x ?? 0, 'x', stride, false),
    y: validateField(f.y ?? 1, 'y', stride, false),
    z: validateField(f.z ?? 2, 'z', stride, false),
  };
  const groundThreshold = options.groundThreshold ?? 0.2;
  if (typeof groundThreshold !== 'number') throw new TypeError('groundThreshold must be a number');
  if (!Number.isFinite(groundThreshold)) throw new RangeError('groundThreshold must be finite');
  const maxGroundZ = options.maxGroundZ ?? Infinity;
  if (typeof maxGroundZ !== 'number') throw new TypeError('maxGroundZ must be a number');
  if (Number.isNaN(maxGroundZ)) throw new RangeError('maxGroundZ must not be NaN');
  const params: ClusterParams = {
    fields,
    groundThreshold,
    maxGroundZ,
    groundRadius: intOption(options.groundRadius, 1, 'groundRadius', 0, 16),
    linkRadius: intOption(options.linkRadius, 1, 'linkRadius', 1, 16),
    minPoints: intOption(options.minPoints, 3, 'minPoints', 1, 1e9),
  };
  const n = points.length / stride;
  const labels = options.labels ?? new Int32Array(n);
  if (!(labels instanceof Int32Array)) throw new TypeError('labels must be an Int32Array');
  if (labels.length < n) throw new RangeError(`labels is too short: needs ${n}, has ${labels.length}`);
  return {
    shape,
    params,
    labels,
    backend: chooseBackend(options.backend).name,
    packedFields: Int32Array.of(fields.x, fields.y, fields.z),
    packedGrid: packGrid(grid, shape),
    packedParams: Float64Array.of(groundThreshold, maxGroundZ, params.groundRadius, params.linkRadius, params.minPoints),
  };
}

function clusterAddon(): ClusterAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<ClusterAddon>;
  if (typeof addon.clusterBev !== 'function') {
    throw new Error(`native addon ${loaded.path} has no clustering kernel: rebuild it with \`npm run install\``);
  }
  return addon as ClusterAddon;
}
