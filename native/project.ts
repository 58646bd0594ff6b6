/**
 * The `project` fusion kernel: LiDAR points into pinhole cameras (plumb_bob distortion), per point
 * and camera pixel + depth + in-image flag, and a per-camera z-buffer depth image. Runs on CUDA,
 * the addon's CPU threads or the TypeScript reference (native/backend.ts picks; see
 * native/reference/project.ts for the exact arithmetic all three share).
 *
 * Validation happens here, with messages that name the argument; the addon only re-checks what
 * memory safety needs.
 */
import {
  composeTransforms,
  invertTransform,
  transformToMatrix4,
  type CameraModel as GeometryCameraModel,
  type Transform,
} from '../engine/core/geometry.js';
import { chooseBackend, type BackendChoice, type BackendRequest } from './backend.js';
import { loadNative } from './index.js';
import { depthImageReference, projectPointsReference } from './reference/project.js';

/** A camera as the kernels take it: intrinsics, plumb_bob distortion and the LiDAR → camera transform. */
export interface ProjectionCamera {
  /** Image size in pixels (integers, 1..65536). */
  readonly width: number;
  readonly height: number;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  /** [k1, k2, p1, p2, k3] (OpenCV / ROS plumb_bob); zeros or an empty array mean none. */
  readonly distortion: readonly number[];
  /**
   * Row-major 4×4 taking sensor (LiDAR) coordinates to the camera's optical frame (x right, y down,
   * z forward). Bottom row [0, 0, 0, 1].
   */
  readonly cameraFromSensor: Float64Array;
}

/** The name for ProjectionCamera (kept distinct from engine/core/geometry's CameraModel). */
export type CameraModel = ProjectionCamera;

export interface ProjectionResult {
  /** Pixel column, float32; camera-major for several cameras (camera c, point i at c·N + i). */
  u: Float32Array;
  v: Float32Array;
  /** z in the camera frame (metres), float32. */
  depth: Float32Array;
  /** 1 when 0 ≤ u < width, 0 ≤ v < height and depth > minDepth (no occlusion test); 0 otherwise. */
  inImage: Uint8Array;
}

export interface ProjectOptions {
  /** Reused storage for the outputs; the result's arrays are views of it. */
  out?: ProjectionBuffers;
  /** 'auto' (default): PERCEPT_BACKEND, else CUDA, else CPU, else TypeScript. */
  backend?: BackendRequest;
  /** Points at or nearer than this depth (metres) are not in the image. Default 0.1. */
  minDepth?: number;
}

export interface DepthImageOptions {
  backend?: BackendRequest;
  minDepth?: number;
}

export const DEFAULT_MIN_DEPTH = 0.1;

/** Floats per camera in the packed parameter block (see native/src/project_math.h). */
const CAMERA_PARAMS = 23;
const MAX_IMAGE_SIDE = 65536;

/**
 * Output storage the caller keeps between frames, so projecting a sweep allocates nothing once the
 * buffers have grown to the largest sweep. Results are views into it: a later call overwrites them.
 */
export class ProjectionBuffers {
  u = new Float32Array(0);
  v = new Float32Array(0);
  depth = new Float32Array(0);
  inImage = new Uint8Array(0);

  constructor(capacity = 0) {
    this.reserve(capacity);
  }

  get capacity(): number {
    return this.u.length;
  }

  /** Grows (never shrinks) to hold `length` elements of each output. */
  reserve(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`capacity must be a non-negative integer, got ${length}`);
    if (length <= this.u.length) return;
    this.u = new Float32Array(length);
    this.v = new Float32Array(length);
    this.depth = new Float32Array(length);
    this.inImage = new Uint8Array(length);
  }

  /** Views of the first `length` elements, growing first when needed. */
  views(length: number): ProjectionResult {
    this.reserve(length);
    return {
      u: this.u.subarray(0, length),
      v: this.v.subarray(0, length),
      depth: this.depth.subarray(0, length),
      inImage: this.inImage.subarray(0, length),
    };
  }
}

/** The addon's project exports; positional and pre-validated. */
interface ProjectAddon {
  projectPoints(
    points: Float32Array, stride: number, cameras: Float64Array, minDepth: number,
    u: Float32Array, v: Float32Array, depth: Float32Array, inImage: Uint8Array, backend: 'cpu' | 'cuda',
  ): void;
  projectPointsAsync(
    points: Float32Array, stride: number, cameras: Float64Array, minDepth: number,
    u: Float32Array, v: Float32Array, depth: Float32Array, inImage: Uint8Array, backend: 'cpu' | 'cuda',
  ): Promise<void>;
  depthImage(
    points: Float32Array, stride: number, camera: Float64Array, minDepth: number, out: Float32Array,
    backend: 'cpu' | 'cuda',
  ): Float32Array;
}

/** Projects points into one camera. */
export function projectPoints(
  points: Float32Array,
  stride: number,
  camera: ProjectionCamera,
  options: ProjectOptions = {},
): ProjectionResult {
  return projectToCameras(points, stride, [camera], options);
}

/** Projects points into several cameras; outputs are camera-major (camera c, point i at c·N + i). */
export function projectToCameras(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  options: ProjectOptions = {},
): ProjectionResult {
  const job = prepareProjection(points, stride, cameras, options);
  if (job.backend.name === 'ts') {
    projectPointsReference(points, stride, job.cameras, job.minDepth, job.result);
  } else {
    const r = job.result;
    projectAddon().projectPoints(points, stride, job.packed, job.minDepth, r.u, r.v, r.depth, r.inImage, job.backend.name);
  }
  return job.result;
}

/**
 * Same as projectToCameras, computed off the event loop (libuv thread pool). Do not write to,
 * transfer or detach `points` or the output buffers until the promise settles.
 */
export async function projectToCamerasAsync(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  options: ProjectOptions = {},
): Promise<ProjectionResult> {
  const job = prepareProjection(points, stride, cameras, options);
  if (job.backend.name === 'ts') {
    projectPointsReference(points, stride, job.cameras, job.minDepth, job.result);
  } else {
    const r = job.result;
    await projectAddon().projectPointsAsync(points, stride, job.packed, job.minDepth, r.u, r.v, r.depth, r.inImage, job.backend.name);
  }
  return job.result;
}

/**
 * Z-buffer of one camera: width×height float32 (row-major), the nearest point's depth per pixel
 * (pixel = floor(u), floor(v)), +Inf where no point lands. `out` is reused when given.
 */
export function depthImage(
  points: Float32Array,
  stride: number,
  camera: ProjectionCamera,
  out?: Float32Array,
  options: DepthImageOptions = {},
): Float32Array {
  validatePoints(points, stride);
  const cam = validateCamera(camera, 'camera');
  const minDepth = validateMinDepth(options.minDepth);
  const pixels = cam.width * cam.height;
  const image = out ?? new Float32Array(pixels);
  if (!(image instanceof Float32Array)) throw new TypeError('out must be a Float32Array');
  if (image.length < pixels) throw new RangeError(`out is too short: needs ${pixels} floats (width × height), has ${image.length}`);
  if (overlaps(points, image)) throw new RangeError('out overlaps points: pass a separate buffer');
  const backend = chooseBackend(options.backend);
  if (backend.name === 'ts') return depthImageReference(points, stride, cam, minDepth, image);
  projectAddon().depthImage(points, stride, packCameras([cam]), minDepth, image, backend.name);
  return image;
}

/** The native camera for a rig camera: geometry intrinsics + distortion and a sensor → camera Transform. */
export function cameraModelFor(model: GeometryCameraModel, cameraFromSensor: Transform): ProjectionCamera {
  const coefficients = model.distortionModel === 'plumb_bob' ? model.distortion : [];
  if (coefficients.length > 5) {
    throw new RangeError(`distortion has ${coefficients.length} coefficients; plumb_bob takes at most 5 (k1, k2, p1, p2, k3)`);
  }
  const distortion = [0, 1, 2, 3, 4].map((i) => coefficients[i] ?? 0);
  return {
    width: model.width,
    height: model.height,
    fx: model.fx,
    fy: model.fy,
    cx: model.cx,
    cy: model.cy,
    distortion,
    cameraFromSensor: transformToMatrix4(cameraFromSensor),
  };
}

/**
 * The sensor → camera transform from two rig extrinsics (each child → base_link):
 * camera ← base_link ← sensor.
 */
export function cameraFromSensorTransform(cameraExtrinsic: Transform, sensorExtrinsic: Transform): Transform {
  return composeTransforms(invertTransform(cameraExtrinsic), sensorExtrinsic);
}

// ---- validation and packing, shared with native/paint.ts ----

export interface PreparedProjection {
  cameras: ProjectionCamera[];
  packed: Float64Array;
  minDepth: number;
  backend: BackendChoice;
  result: ProjectionResult;
}

function prepareProjection(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  options: ProjectOptions,
): PreparedProjection {
  validatePoints(points, stride);
  const cams = validateCameras(cameras);
  const minDepth = validateMinDepth(options.minDepth);
  const total = (points.length / stride) * cams.length;
  const buffers = options.out ?? new ProjectionBuffers();
  if (!(buffers instanceof ProjectionBuffers)) throw new TypeError('options.out must be a ProjectionBuffers');
  const backend = chooseBackend(options.backend);
  return { cameras: cams, packed: packCameras(cams), minDepth, backend, result: buffers.views(total) };
}

export function validatePoints(points: Float32Array, stride: number): void {
  if (!(points instanceof Float32Array)) throw new TypeError('points must be a Float32Array');
  if (!Number.isInteger(stride) || stride < 3 || stride > 1 << 20) {
    throw new RangeError(`stride must be an integer >= 3 (floats per point), got ${stride}`);
  }
  if (points.length % stride !== 0) {
    throw new RangeError(`points.length (${points.length}) is not a multiple of stride (${stride})`);
  }
}

export function validateCameras(cameras: readonly ProjectionCamera[]): ProjectionCamera[] {
  if (!Array.isArray(cameras)) throw new TypeError('cameras must be an array of cameras');
  return cameras.map((c, i) => validateCamera(c, `cameras[${i}]`));
}

export function validateMinDepth(minDepth: number | undefined): number {
  const value = minDepth ?? DEFAULT_MIN_DEPTH;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`minDepth must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** Checks one camera and returns it normalized (distortion padded to 5, matrix as Float64Array). */
export function validateCamera(camera: ProjectionCamera, name: string): ProjectionCamera {
  if (camera === null || typeof camera !== 'object') throw new TypeError(`${name} must be a camera object`);
  for (const key of ['width', 'height'] as const) {
    const v = camera[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_IMAGE_SIDE) {
      throw new RangeError(`${name}.${key} must be an integer in [1, ${MAX_IMAGE_SIDE}], got ${v}`);
    }
  }
  for (const key of ['fx', 'fy', 'cx', 'cy'] as const) {
    const v = camera[key];
    if (typeof v !== 'number') throw new TypeError(`${name}.${key} must be a number, got ${typeof v}`);
    if (!Number.isFinite(v)) throw new RangeError(`${name}.${key} is not a finite number`);
  }
  if (camera.fx === 0 || camera.fy === 0) throw new RangeError(`${name}.fx and .fy must be non-zero`);
  const d = camera.distortion ?? [];
  if (!Array.isArray(d) && !ArrayBuffer.isView(d)) throw new TypeError(`${name}.distortion must be an array [k1, k2, p1, p2, k3]`);
  if (d.length > 5) throw new RangeError(`${name}.distortion has ${d.length} values; plumb_bob takes at most 5 (k1, k2, p1, p2, k3)`);
  const distortion = [0, 1, 2, 3, 4].map((i) => (i < d.length ? Number(d[i]) : 0));
  distortion.forEach((k, i) => {
    if (!Number.isFinite(k)) throw new RangeError(`${name}.distortion[${i}] is not a finite number`);
  });
  const m = camera.cameraFromSensor;
  if (m == null || typeof m !== 'object' || typeof (m as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${name}.cameraFromSensor must be a Float64Array(16) (row-major 4×4)`);
  }
  if (m.length !== 16) throw new RangeError(`${name}.cameraFromSensor must have 16 elements (row-major 4×4), got ${m.length}`);
  const matrix = m instanceof Float64Array ? m : Float64Array.from(m as ArrayLike<number>);
  for (let i = 0; i < 16; i++) {
    if (!Number.isFinite(matrix[i])) throw new RangeError(`${name}.cameraFromSensor[${i}] is not a finite number`);
  }
  if (matrix[12] !== 0 || matrix[13] !== 0 || matrix[14] !== 0 || matrix[15] !== 1) {
    throw new RangeError(`${name}.cameraFromSensor bottom row must be [0, 0, 0, 1], got [${Array.from(matrix.subarray(12)).join(', ')}]`);
  }
  return { width: camera.width, height: camera.height, fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy, distortion, cameraFromSensor: matrix };
}

/** The layout of native/src/project_math.h: width, height, fx, fy, cx, cy, k1..k3, top 3 matrix rows. */
export function packCameras(cameras: readonly ProjectionCamera[]): Float64Array {
  const packed = new Float64Array(cameras.length * CAMERA_PARAMS);
  cameras.forEach((c, i) => {
    const o = i * CAMERA_PARAMS;
    packed.set([c.width, c.height, c.fx, c.fy, c.cx, c.cy], o);
    packed.set(c.distortion.slice(0, 5), o + 6);
    packed.set(c.cameraFromSensor.subarray(0, 12), o + 11);
  });
  return packed;
}

export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** The loaded addon's project functions; a clear error when the addon or this kernel is missing. */
export function projectAddon(): ProjectAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<ProjectAddon>;
  if (typeof addon.projectPoints !== 'function' || typeof addon.depthImage !== 'function') {
    throw new Error(`native addon ${loaded.path} has no project kernel: rebuild it with \`npm run install\``);
  }
  return addon as ProjectAddon;
}
