/**
 * BEV kernels: LiDAR and radar rasterization into a bird's-eye-view grid, and the PointPillars
 * pillar builder + scatter. Runs on CUDA, the addon's CPU threads or the TypeScript reference
 * (native/backend.ts picks); all three give identical outputs (see native/reference/bev.ts).
 *
 * Layout: a grid of `width` columns (along x) and `height` rows (along y) starting at (xMin,
 * yMin); cell = row · width + col. Rasters are Float32Array channels-first [C][height][width].
 * Mean intensity / velocity are summed in double in point-index order on every backend (CUDA
 * sorts points by cell with a stable radix sort first), so they are reproducible to the bit.
 */
import { chooseBackend, type BackendRequest } from './backend.js';
import { loadNative } from './index.js';
import {
  buildPillarsReference,
  gridShape,
  rasterizeBevReference,
  rasterizeRadarBevReference,
  scatterPillarsReference,
  type BevFields,
  type BevGrid,
  type GridShape,
  type RadarFields,
} from './reference/bev.js';

export { BEV_CHANNELS, PILLAR_FEATURES, RADAR_CHANNELS, gridShape } from './reference/bev.js';
export type { BevFields, BevGrid, GridShape, RadarFields } from './reference/bev.js';

export interface BevRaster extends GridShape {
  /** Channels-first [channels][height][width]; empty cells are 0 in every channel. */
  data: Float32Array;
  channels: number;
}

export interface BevOptions {
  backend?: BackendRequest;
  /** Reused output storage, at least channels · width · height floats. */
  out?: Float32Array;
}

export interface PillarOptions {
  backend?: BackendRequest;
  /** Default 12000 (PointPillars on nuScenes/KITTI uses 12000–40000). */
  maxPillars?: number;
  /** Default 32. */
  maxPoints?: number;
  /** Reused tensors from an earlier call with the same maxPillars / maxPoints. */
  out?: PillarTensorsOut;
}

export interface PillarTensorsOut {
  features: Float32Array;
  coords: Int32Array;
  pointCounts: Int32Array;
}

export interface Pillars extends PillarTensorsOut {
  /** Pillars filled (rows after this are padding: zero features, coords -1). */
  pillarCount: number;
  maxPillars: number;
  maxPoints: number;
}

export interface ScatterOptions {
  backend?: BackendRequest;
  /** Reused canvas, at least channels · height · width floats. */
  out?: Float32Array;
}

interface BevAddon {
  rasterizeBev(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, out: Float32Array, b: string): Float32Array;
  rasterizeBevAsync(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, out: Float32Array, b: string): Promise<Float32Array>;
  rasterizeRadarBev(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, out: Float32Array, b: string): Float32Array;
  rasterizeRadarBevAsync(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, out: Float32Array, b: string): Promise<Float32Array>;
  buildPillars(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, maxP: number, maxN: number, features: Float32Array, coords: Int32Array, counts: Int32Array, b: string): number;
  buildPillarsAsync(p: Float32Array, stride: number, f: Int32Array, g: Float64Array, maxP: number, maxN: number, features: Float32Array, coords: Int32Array, counts: Int32Array, b: string): Promise<number>;
  scatterPillars(features: Float32Array, pillars: number, channels: number, coords: Int32Array, h: number, w: number, canvas: Float32Array, b: string): Float32Array;
  scatterPillarsAsync(features: Float32Array, pillars: number, channels: number, coords: Int32Array, h: number, w: number, canvas: Float32Array, b: string): Promise<Float32Array>;
}

/** Largest grid accepted (cells), matching the addon's limit. */
export const MAX_GRID_CELLS = 1 << 27;
const MAX_STRIDE = 4096;

/** Rasterizes LiDAR points: channels [maxZ, minZ, meanIntensity, count] (BEV_CHANNELS). */
export function rasterizeBev(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: BevOptions = {}): BevRaster {
  const job = prepareLidar(points, stride, fields, grid, options);
  if (job.backend === 'ts') rasterizeBevReference(points, stride, job.fields, grid, job.shape, job.raster.data);
  else bevAddon().rasterizeBev(points, stride, job.packedFields, job.packedGrid, job.raster.data, job.backend);
  return job.raster;
}

/** rasterizeBev off the event loop; do not touch `points` or `out` until it settles. */
export async function rasterizeBevAsync(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: BevOptions = {}): Promise<BevRaster> {
  const job = prepareLidar(points, stride, fields, grid, options);
  if (job.backend === 'ts') rasterizeBevReference(points, stride, job.fields, grid, job.shape, job.raster.data);
  else await bevAddon().rasterizeBevAsync(points, stride, job.packedFields, job.packedGrid, job.raster.data, job.backend);
  return job.raster;
}

/**
 * Rasterizes radar targets: channels [meanRadialVelocity, maxRcs, count] (RADAR_CHANNELS).
 * Radial velocity comes from `fields.velocity` when given, else from (vx, vy) projected on the
 * target's bearing from the sensor origin.
 */
export function rasterizeRadarBev(targets: Float32Array, stride: number, fields: Partial<RadarFields>, grid: BevGrid, options: BevOptions = {}): BevRaster {
  const job = prepareRadar(targets, stride, fields, grid, options);
  if (job.backend === 'ts') rasterizeRadarBevReference(targets, stride, job.fields, grid, job.shape, job.raster.data);
  else bevAddon().rasterizeRadarBev(targets, stride, job.packedFields, job.packedGrid, job.raster.data, job.backend);
  return job.raster;
}

export async function rasterizeRadarBevAsync(targets: Float32Array, stride: number, fields: Partial<RadarFields>, grid: BevGrid, options: BevOptions = {}): Promise<BevRaster> {
  const job = prepareRadar(targets, stride, fields, grid, options);
  if (job.backend === 'ts') rasterizeRadarBevReference(targets, stride, job.fields, grid, job.shape, job.raster.data);
  else await bevAddon().rasterizeRadarBevAsync(targets, stride, job.packedFields, job.packedGrid, job.raster.data, job.backend);
  return job.raster;
}

/**
 * PointPillars input tensors: features [maxPillars, maxPoints, 9] (PILLAR_FEATURES), coords
 * [maxPillars, 2] (row, col) and points per pillar. Pillars are numbered by their first point;
 * each keeps its first maxPoints points (by index).
 */
export function buildPillars(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: PillarOptions = {}): Pillars {
  const job = preparePillars(points, stride, fields, grid, options);
  const o = job.pillars;
  o.pillarCount = job.backend === 'ts'
    ? buildPillarsReference(points, stride, job.fields, grid, job.shape, o.maxPillars, o.maxPoints, o)
    : bevAddon().buildPillars(points, stride, job.packedFields, job.packedGrid, o.maxPillars, o.maxPoints, o.features, o.coords, o.pointCounts, job.backend);
  return o;
}

export async function buildPillarsAsync(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: PillarOptions = {}): Promise<Pillars> {
  const job = preparePillars(points, stride, fields, grid, options);
  const o = job.pillars;
  o.pillarCount = job.backend === 'ts'
    ? buildPillarsReference(points, stride, job.fields, grid, job.shape, o.maxPillars, o.maxPoints, o)
    : await bevAddon().buildPillarsAsync(points, stride, job.packedFields, job.packedGrid, o.maxPillars, o.maxPoints, o.features, o.coords, o.pointCounts, job.backend);
  return o;
}

/**
 * Scatters pillar features [P, C] (e.g. a PointPillars PFN output) to a dense canvas
 * [C, height, width], zeros elsewhere. Coords outside the canvas (padding uses -1) are skipped;
 * two pillars on one cell: the higher index wins.
 */
export function scatterPillars(features: Float32Array, coords: Int32Array, channels: number, shape: GridShape, options: ScatterOptions = {}): Float32Array {
  const job = prepareScatter(features, coords, channels, shape, options);
  if (job.backend === 'ts') return scatterPillarsReference(features, job.pillars, channels, coords, shape.height, shape.width, job.canvas);
  return bevAddon().scatterPillars(features, job.pillars, channels, coords, shape.height, shape.width, job.canvas, job.backend);
}

export async function scatterPillarsAsync(features: Float32Array, coords: Int32Array, channels: number, shape: GridShape, options: ScatterOptions = {}): Promise<Float32Array> {
  const job = prepareScatter(features, coords, channels, shape, options);
  if (job.backend === 'ts') return scatterPillarsReference(features, job.pillars, channels, coords, shape.height, shape.width, job.canvas);
  return bevAddon().scatterPillarsAsync(features, job.pillars, channels, coords, shape.height, shape.width, job.canvas, job.backend);
}

// ---- validation -------------------------------------------------------------------------------

export function validatePoints(points: Float32Array, stride: number, name = 'points'): void {
  if (!(points instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
  if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 2 || stride > MAX_STRIDE) {
    throw new RangeError(`stride must be an integer in [2, ${MAX_STRIDE}] (floats per point), got ${stride}`);
  }
  if (points.length % stride !== 0) throw new RangeError(`${name}.length (${points.length}) is not a multiple of stride (${stride})`);
}

/** Checks a grid and returns its shape. */
export function validateGrid(grid: BevGrid): GridShape {
  if (grid === null || typeof grid !== 'object') throw new TypeError('grid must be an object { xMin, xMax, yMin, yMax, resolution }');
  for (const key of ['xMin', 'xMax', 'yMin', 'yMax', 'resolution'] as const) {
    if (typeof grid[key] !== 'number') throw new TypeError(`grid.${key} must be a number, got ${typeof grid[key]}`);
    if (!Number.isFinite(grid[key])) throw new RangeError(`grid.${key} is not a finite number`);
  }
  if (!(grid.resolution > 0)) throw new RangeError(`grid.resolution must be > 0, got ${grid.resolution}`);
  if (!(grid.xMax > grid.xMin) || !(grid.yMax > grid.yMin)) throw new RangeError('grid must have xMax > xMin and yMax > yMin');
  const shape = gridShape(grid);
  if (shape.width * shape.height > MAX_GRID_CELLS) {
    throw new RangeError(`grid has ${shape.width}×${shape.height} cells, more than the limit of ${MAX_GRID_CELLS}`);
  }
  return shape;
}

export function packGrid(grid: BevGrid, shape: GridShape): Float64Array {
  return Float64Array.of(grid.xMin, grid.yMin, grid.resolution, shape.width, shape.height);
}

/** A field index: an integer inside one point, or -1 where the field is optional. */
export function validateField(value: unknown, name: string, stride: number, optional: boolean): number {
  if (typeof value !== 'number') throw new TypeError(`fields.${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value >= stride || value < (optional ? -1 : 0)) {
    throw new RangeError(`fields.${name} must be an integer in [${optional ? -1 : 0}, ${stride - 1}] (a float inside one point), got ${value}`);
  }
  return value;
}

function resolveBackend(request: BackendRequest | undefined): 'ts' | 'cpu' | 'cuda' {
  return chooseBackend(request).name;
}

function outputArray(out: Float32Array | undefined, length: number, name = 'out'): Float32Array {
  if (out === undefined) return new Float32Array(length);
  if (!(out instanceof Float32Array)) throw new TypeError(`${name} must be a Float32Array`);
  if (out.length < length) throw new RangeError(`${name} is too short: needs ${length} floats, has ${out.length}`);
  return out;
}

function checkNoOverlap(input: ArrayBufferView, output: ArrayBufferView, name: string): void {
  if (input.buffer === output.buffer && input.byteOffset < output.byteOffset + output.byteLength && output.byteOffset < input.byteOffset + input.byteLength) {
    throw new RangeError(`${name} overlaps the input: pass a separate buffer`);
  }
}

function prepareLidarFields(fields: Partial<BevFields> | undefined, stride: number): BevFields {
  if (fields !== undefined && (fields === null || typeof fields !== 'object')) throw new TypeError('fields must be an object { x, y, z, intensity }');
  const f = fields ?? {};
  return {
    x: validateField(f.x ?? 0, 'x', stride, false),
    y: validateField(f.y ?? 1, 'y', stride, false),
    z: validateField(f.z ?? 2, 'z', stride, false),
    intensity: validateField(f.intensity ?? (stride > 3 ? 3 : -1), 'intensity', stride, true),
  };
}

function prepareLidar(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: BevOptions) {
  validatePoints(points, stride);
  if (stride < 3) throw new RangeError(`stride must be >= 3 for LiDAR points (x, y, z), got ${stride}`);
  const f = prepareLidarFields(fields, stride);
  const shape = validateGrid(grid);
  const data = outputArray(options.out, 4 * shape.width * shape.height);
  checkNoOverlap(points, data, 'out');
  const backend = resolveBackend(options.backend);
  return {
    fields: f,
    shape,
    backend,
    packedFields: Int32Array.of(f.x, f.y, f.z, f.intensity),
    packedGrid: packGrid(grid, shape),
    raster: { ...shape, channels: 4, data } satisfies BevRaster,
  };
}

function prepareRadar(targets: Float32Array, stride: number, fields: Partial<RadarFields>, grid: BevGrid, options: BevOptions) {
  validatePoints(targets, stride, 'targets');
  if (fields === null || typeof fields !== 'object') throw new TypeError('fields must be an object { x, y, velocity | vx, vy, rcs }');
  const f: RadarFields = {
    x: validateField(fields.x ?? 0, 'x', stride, false),
    y: validateField(fields.y ?? 1, 'y', stride, false),
    velocity: validateField(fields.velocity ?? -1, 'velocity', stride, true),
    vx: validateField(fields.vx ?? -1, 'vx', stride, true),
    vy: validateField(fields.vy ?? -1, 'vy', stride, true),
    rcs: validateField(fields.rcs ?? -1, 'rcs', stride, true),
  };
  if (f.velocity < 0 && (f.vx < 0) !== (f.vy < 0)) throw new RangeError('fields.vx and fields.vy must be given together');
  const shape = validateGrid(grid);
  const data = outputArray(options.out, 3 * shape.width * shape.height);
  checkNoOverlap(targets, data, 'out');
  return {
    fields: f,
    shape,
    backend: resolveBackend(options.backend),
    packedFields: Int32Array.of(f.x, f.y, f.velocity, f.vx, f.vy, f.rcs),
    packedGrid: packGrid(grid, shape),
    raster: { ...shape, channels: 3, data } satisfies BevRaster,
  };
}

function positiveInt(value: number, name: string, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${value}`);
  return value;
}

function preparePillars(points: Float32Array, stride: number, fields: Partial<BevFields> | undefined, grid: BevGrid, options: PillarOptions) {
  validatePoints(points, stride);
  if (stride < 3) throw new RangeError(`stride must be >= 3 for LiDAR points (x, y, z), got ${stride}`);
  const f = prepareLidarFields(fields, stride);
  const shape = validateGrid(grid);
  const maxPillars = positiveInt(options.maxPillars ?? 12000, 'maxPillars', 1 << 20);
  const maxPoints = positiveInt(options.maxPoints ?? 32, 'maxPoints', 4096);
  if (maxPillars * maxPoints * 9 > 2 ** 30) throw new RangeError('maxPillars × maxPoints × 9 exceeds 2^30 floats');
  const o = options.out;
  const features = o?.features ?? new Float32Array(maxPillars * maxPoints * 9);
  const coords = o?.coords ?? new Int32Array(maxPillars * 2);
  const pointCounts = o?.pointCounts ?? new Int32Array(maxPillars);
  if (!(features instanceof Float32Array)) throw new TypeError('out.features must be a Float32Array');
  if (!(coords instanceof Int32Array)) throw new TypeError('out.coords must be an Int32Array');
  if (!(pointCounts instanceof Int32Array)) throw new TypeError('out.pointCounts must be an Int32Array');
  if (features.length < maxPillars * maxPoints * 9) throw new RangeError(`out.features is too short: needs ${maxPillars * maxPoints * 9} floats`);
  if (coords.length < maxPillars * 2) throw new RangeError(`out.coords is too short: needs ${maxPillars * 2} ints`);
  if (pointCounts.length < maxPillars) throw new RangeError(`out.pointCounts is too short: needs ${maxPillars} ints`);
  checkNoOverlap(points, features, 'out.features');
  return {
    fields: f,
    shape,
    backend: resolveBackend(options.backend),
    packedFields: Int32Array.of(f.x, f.y, f.z, f.intensity),
    packedGrid: packGrid(grid, shape),
    pillars: { features, coords, pointCounts, pillarCount: 0, maxPillars, maxPoints } satisfies Pillars,
  };
}

function prepareScatter(features: Float32Array, coords: Int32Array, channels: number, shape: GridShape, options: ScatterOptions) {
  if (!(features instanceof Float32Array)) throw new TypeError('features must be a Float32Array [P, C]');
  if (!(coords instanceof Int32Array)) throw new TypeError('coords must be an Int32Array [P, 2] (row, col)');
  positiveInt(channels, 'channels', 1 << 16);
  if (shape === null || typeof shape !== 'object') throw new TypeError('shape must be { width, height }');
  positiveInt(shape.width, 'shape.width', 1 << 16);
  positiveInt(shape.height, 'shape.height', 1 << 16);
  if (coords.length % 2 !== 0) throw new RangeError(`coords.length (${coords.length}) must be even ([P, 2])`);
  const pillars = coords.length / 2;
  if (features.length !== pillars * channels) {
    throw new RangeError(`features.length (${features.length}) must be pillars (${pillars}) × channels (${channels})`);
  }
  const size = channels * shape.width * shape.height;
  if (size > 2 ** 31) throw new RangeError(`canvas of ${size} floats is too large`);
  const canvas = outputArray(options.out, size);
  checkNoOverlap(features, canvas, 'out');
  return { pillars, canvas, backend: resolveBackend(options.backend) };
}

function bevAddon(): BevAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<BevAddon>;
  if (typeof addon.rasterizeBev !== 'function') {
    throw new Error(`native addon ${loaded.path} has no BEV kernel: rebuild it with \`npm run install\``);
  }
  return addon as BevAddon;
}
