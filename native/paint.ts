/**
 * The `paint` fusion kernel (PointPainting, Vora et al. 2020): each LiDAR point takes the class
 * scores of the pixel it projects to, from per-camera score maps (semantic segmentation output, at
 * any resolution) or 2D detection boxes. A point seen by several cameras takes the nearest camera's;
 * a point no camera sees gets zeros and camera index −1. Rules in native/reference/paint.ts.
 */
import { chooseBackend, type BackendRequest } from './backend.js';
import { loadNative } from './index.js';
import { packCameras, validateCameras, validateMinDepth, validatePoints, type ProjectionCamera } from './project.js';
import { paintPointsReference, type KernelPaintSource } from './reference/paint.js';

/** Class scores of one camera's image. */
export type PaintSource =
  | {
      kind: 'map';
      /** height × width cells of `cellStride` floats (row-major, HWC); the first `classes` are used. */
      scores: Float32Array;
      width: number;
      height: number;
      classes: number;
      /** Floats per cell, ≥ classes (default classes). */
      cellStride?: number;
    }
  | {
      kind: 'boxes';
      /** [x1, y1, x2, y2] per box, image pixels; a box holds x1 ≤ u < x2, y1 ≤ v < y2. */
      boxes: Float32Array | readonly number[];
      /** `classes` scores per box. */
      scores: Float32Array | readonly number[];
      classes: number;
    };

export interface PaintResult {
  /** N × classes, point-major. */
  scores: Float32Array;
  /** Per point the camera whose scores it took; −1 where no camera sees it. */
  camera: Int32Array;
  classes: number;
}

export interface PaintOutput {
  scores: Float32Array;
  camera: Int32Array;
}

export interface PaintOptions {
  backend?: BackendRequest;
  /** As in projectPoints: points at or nearer than this are not seen. Default 0.1 m. */
  minDepth?: number;
}

interface PaintAddon {
  paintPoints(
    points: Float32Array, stride: number, cameras: Float64Array, minDepth: number, classes: number,
    sources: KernelPaintSource[], scores: Float32Array, camera: Int32Array, backend: 'cpu' | 'cuda',
  ): void;
}

/** Paints `points` from one source per camera (sources[i] belongs to cameras[i]). */
export function paintPoints(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  sources: readonly PaintSource[],
  out?: PaintOutput,
  options: PaintOptions = {},
): PaintResult {
  validatePoints(points, stride);
  const cams = validateCameras(cameras);
  const minDepth = validateMinDepth(options.minDepth);
  if (!Array.isArray(sources)) throw new TypeError('sources must be an array (one source per camera)');
  if (sources.length !== cams.length) {
    throw new RangeError(`sources has ${sources.length} entries for ${cams.length} cameras; pass one source per camera`);
  }
  const classes = sources.length > 0 ? sources[0]?.classes : 1;
  const kernelSources = sources.map((s, i) => validateSource(s, `sources[${i}]`, classes));
  const count = points.length / stride;
  const result = outputFor(out, count, classes);
  const backend = chooseBackend(options.backend);
  if (backend.name === 'ts') {
    paintPointsReference(points, stride, cams, kernelSources, classes, minDepth, result.scores, result.camera);
  } else {
    paintAddon().paintPoints(points, stride, packCameras(cams), minDepth, classes, kernelSources, result.scores, result.camera, backend.name);
  }
  return result;
}

function validateSource(source: PaintSource, name: string, classes: number): KernelPaintSource {
  if (source === null || typeof source !== 'object') throw new TypeError(`${name} must be a source object`);
  if (!Number.isInteger(source.classes) || source.classes < 1 || source.classes > 65536) {
    throw new RangeError(`${name}.classes must be an integer in [1, 65536], got ${source.classes}`);
  }
  if (source.classes !== classes) throw new RangeError(`${name}.classes is ${source.classes}, sources[0] has ${classes}: every source must have the same classes`);
  if (source.kind === 'map') {
    if (!(source.scores instanceof Float32Array)) throw new TypeError(`${name}.scores must be a Float32Array (height × width × classes)`);
    for (const key of ['width', 'height'] as const) {
      const v = source[key];
      if (!Number.isInteger(v) || v < 1 || v > 65536) throw new RangeError(`${name}.${key} must be an integer in [1, 65536], got ${v}`);
    }
    const cellStride = source.cellStride ?? classes;
    if (!Number.isInteger(cellStride) || cellStride < classes || cellStride > 65536) {
      throw new RangeError(`${name}.cellStride must be an integer >= classes (${classes}), got ${cellStride}`);
    }
    const needed = source.width * source.height * cellStride;
    if (source.scores.length !== needed) {
      throw new RangeError(`${name}.scores has ${source.scores.length} floats; height × width × cellStride is ${needed}`);
    }
    return { kind: 'map', data: source.scores, width: source.width, height: source.height, cellStride };
  }
  if (source.kind === 'boxes') {
    const boxes = toFloat32(source.boxes, `${name}.boxes`);
    const scores = toFloat32(source.scores, `${name}.scores`);
    if (boxes.length % 4 !== 0) throw new RangeError(`${name}.boxes length ${boxes.length} is not a multiple of 4 ([x1, y1, x2, y2] per box)`);
    const boxCount = boxes.length / 4;
    if (scores.length !== boxCount * classes) {
      throw new RangeError(`${name}.scores has ${scores.length} values; ${boxCount} boxes × ${classes} classes is ${boxCount * classes}`);
    }
    for (let i = 0; i < boxes.length; i++) {
      if (!Number.isFinite(boxes[i])) throw new RangeError(`${name}.boxes[${i}] is not a finite number`);
    }
    return { kind: 'boxes', boxes, scores };
  }
  throw new TypeError(`${name}.kind must be 'map' or 'boxes', got ${JSON.stringify((source as { kind?: unknown }).kind)}`);
}

function toFloat32(values: Float32Array | readonly number[], name: string): Float32Array {
  if (values instanceof Float32Array) return values;
  if (!Array.isArray(values)) throw new TypeError(`${name} must be a Float32Array or an array of numbers`);
  return Float32Array.from(values);
}

function outputFor(out: PaintOutput | undefined, count: number, classes: number): PaintResult {
  if (out === undefined) return { scores: new Float32Array(count * classes), camera: new Int32Array(count), classes };
  if (!(out.scores instanceof Float32Array)) throw new TypeError('out.scores must be a Float32Array');
  if (!(out.camera instanceof Int32Array)) throw new TypeError('out.camera must be an Int32Array');
  if (out.scores.length < count * classes) throw new RangeError(`out.scores is too short: needs ${count * classes} floats, has ${out.scores.length}`);
  if (out.camera.length < count) throw new RangeError(`out.camera is too short: needs ${count}, has ${out.camera.length}`);
  return { scores: out.scores.subarray(0, count * classes), camera: out.camera.subarray(0, count), classes };
}

function paintAddon(): PaintAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<PaintAddon>;
  if (typeof addon.paintPoints !== 'function') {
    throw new Error(`native addon ${loaded.path} has no paint kernel: rebuild it with \`npm run install\``);
  }
  return addon as PaintAddon;
}
