/**
 * Typed wrapper around the percept_native addon (build/Release/percept_native.node).
 *
 * Importing this module never throws: the addon is loaded lazily, and a missing or broken
 * build is reported through loadNative()/nativeStatus() so that `percept doctor` and the
 * TypeScript fallbacks keep working without it. Argument validation happens here, where the
 * messages can name the offending argument; the addon only re-checks what memory safety needs.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NativeBackend = 'cpu' | 'cuda' | 'auto';

export interface NativeBackendInfo {
  /** The addon was built with nvcc, so the CUDA backend exists in the binary. */
  cudaCompiled: boolean;
  /** A usable GPU, driver and kernel image were found at run time. */
  cudaAvailable: boolean;
  /** "ok" when cudaAvailable, otherwise why not (build-time or CUDA runtime reason). */
  reason: string;
  deviceName?: string;
  deviceCount: number;
  cpuThreads: number;
}

export interface TransformPointsOptions {
  /** 'auto' (default) uses CUDA when available, else the CPU. */
  backend?: NativeBackend;
  /** Destination, at least points.length long; may be `points` itself. Allocated when omitted. */
  out?: Float32Array;
}

/** Raw addon surface; arguments are positional and assumed pre-validated. */
export interface NativeAddon {
  backendInfo(): NativeBackendInfo;
  transformPoints(
    points: Float32Array,
    stride: number,
    matrix: Float64Array,
    out: Float32Array,
    backend: NativeBackend,
  ): Float32Array;
  transformPointsAsync(
    points: Float32Array,
    stride: number,
    matrix: Float64Array,
    out: Float32Array,
    backend: NativeBackend,
  ): Promise<Float32Array>;
}

export type NativeLoadResult =
  | { ok: true; addon: NativeAddon; path: string }
  | { ok: false; error: string };

export interface NativeStatus {
  loaded: boolean;
  path?: string;
  error?: string;
  info?: NativeBackendInfo;
}

const ADDON_PATH = join('build', 'Release', 'percept_native.node');

/**
 * Sources run from native/ (vitest, tsx) but compiled code runs from dist/native/, so the
 * addon is found by walking up to the first directory holding build/Release.
 */
export function findAddonPath(startDir = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = startDir; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

let cached: NativeLoadResult | undefined;

/** Loads the addon once; failures are returned, not thrown. */
export function loadNative(): NativeLoadResult {
  if (cached) return cached;
  const path = findAddonPath();
  if (!path) {
    cached = {
      ok: false,
      error: `native addon not found: no ${ADDON_PATH} above ${dirname(fileURLToPath(import.meta.url))} (run \`npm run install\` to build it)`,
    };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    cached = { ok: true, addon, path };
  } catch (err) {
    cached = { ok: false, error: `failed to load native addon ${path}: ${errorMessage(err)}` };
  }
  return cached;
}

/** For diagnostics: never throws. */
export function nativeStatus(): NativeStatus {
  const loaded = loadNative();
  if (!loaded.ok) return { loaded: false, error: loaded.error };
  try {
    return { loaded: true, path: loaded.path, info: loaded.addon.backendInfo() };
  } catch (err) {
    return { loaded: true, path: loaded.path, error: errorMessage(err) };
  }
}

/**
 * Backend capabilities. Without the addon this returns "nothing native available" with the
 * load error as the reason instead of throwing, so callers can branch on it.
 */
export function backendInfo(): NativeBackendInfo {
  const loaded = loadNative();
  if (loaded.ok) return loaded.addon.backendInfo();
  return {
    cudaCompiled: false,
    cudaAvailable: false,
    reason: loaded.error,
    deviceCount: 0,
    cpuThreads: availableParallelism(),
  };
}

/**
 * Applies a rigid (or any affine) row-major 4x4 transform to the x,y,z of each point and copies
 * the other `stride - 3` floats unchanged. Returns `options.out` or a new array.
 */
export function transformPoints(
  points: Float32Array,
  stride: number,
  matrix: Float64Array | ArrayLike<number>,
  options: TransformPointsOptions = {},
): Float32Array {
  const args = prepare(points, stride, matrix, options);
  return requireAddon().transformPoints(points, stride, args.matrix, args.out, args.backend);
}

/**
 * Same as transformPoints, computed off the event loop (libuv thread pool). Do not write to,
 * transfer or detach `points` / `out` until the promise settles: the worker uses their memory
 * directly.
 */
export async function transformPointsAsync(
  points: Float32Array,
  stride: number,
  matrix: Float64Array | ArrayLike<number>,
  options: TransformPointsOptions = {},
): Promise<Float32Array> {
  const args = prepare(points, stride, matrix, options);
  return requireAddon().transformPointsAsync(points, stride, args.matrix, args.out, args.backend);
}

function requireAddon(): NativeAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.addon;
}

interface Prepared {
  matrix: Float64Array;
  out: Float32Array;
  backend: NativeBackend;
}

function prepare(
  points: Float32Array,
  stride: number,
  matrix: Float64Array | ArrayLike<number>,
  options: TransformPointsOptions,
): Prepared {
  if (!(points instanceof Float32Array)) throw new TypeError('points must be a Float32Array');
  if (!Number.isInteger(stride) || stride < 3) {
    throw new RangeError(`stride must be an integer >= 3 (floats per point), got ${stride}`);
  }
  if (points.length % stride !== 0) {
    throw new RangeError(`points.length (${points.length}) is not a multiple of stride (${stride})`);
  }
  if (matrix == null || matrix.length !== 16) {
    throw new RangeError(`matrix must have 16 elements (row-major 4x4), got ${matrix?.length}`);
  }
  const m = matrix instanceof Float64Array ? matrix : Float64Array.from(matrix);
  for (let i = 0; i < 16; i++) {
    if (!Number.isFinite(m[i])) throw new RangeError(`matrix[${i}] is not a finite number`);
  }
  // The kernels only evaluate the top three rows; a projective bottom row would be silently
  // ignored, so refuse it instead.
  if (m[12] !== 0 || m[13] !== 0 || m[14] !== 0 || m[15] !== 1) {
    throw new RangeError(`matrix bottom row must be [0, 0, 0, 1], got [${Array.from(m.subarray(12)).join(', ')}]`);
  }
  const backend = options.backend ?? 'auto';
  if (backend !== 'cpu' && backend !== 'cuda' && backend !== 'auto') {
    throw new TypeError(`backend must be 'cpu', 'cuda' or 'auto', got ${JSON.stringify(backend)}`);
  }
  const out = options.out ?? new Float32Array(points.length);
  if (!(out instanceof Float32Array)) throw new TypeError('out must be a Float32Array');
  if (out.length < points.length) {
    throw new RangeError(`out is too short: needs ${points.length} floats, has ${out.length}`);
  }
  if (partiallyOverlaps(points, out)) {
    throw new RangeError('out partially overlaps points: pass points itself (in-place) or a separate buffer');
  }
  return { matrix: m, out, backend };
}

function partiallyOverlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer || a.byteOffset === b.byteOffset) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
