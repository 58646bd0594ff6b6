/**
 * The image pre-processing kernel: decoded 8-bit images of any size (grey, RGB, BGR, RGBA) into one
 * batched model input tensor — bilinear resize or letterbox (keep aspect, pad), normalization
 * ((x / 255 − mean) / std per channel), NCHW or NHWC, RGB or BGR, float32 or uint8 — in the addon's
 * worker threads. Rules in native/reference/preprocess.ts, which also runs as the 'ts' backend.
 *
 * There is no CUDA kernel: the tensor is written once and read once, so the copy to a GPU would
 * cost about what the work does; a 'cuda' backend choice runs the addon's CPU path.
 */
import { chooseBackend, type BackendRequest } from './backend.js';
import { loadNative } from './index.js';
import {
  preprocessGeometry,
  preprocessImagesReference,
  type KernelImage,
  type KernelSpec,
  type PreprocessGeometry,
} from './reference/preprocess.js';

export { preprocessGeometry, type PreprocessGeometry } from './reference/preprocess.js';

/** A decoded image: rows of `channels` bytes per pixel. */
export interface PixelImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (default), 4 (alpha ignored). */
  channels?: number;
  /** Bytes per row; default width · channels. */
  rowStride?: number;
  /** Channel order of 3- and 4-channel images; default 'rgb'. */
  channelOrder?: 'rgb' | 'bgr';
}

export interface TensorSpec {
  width: number;
  height: number;
  layout: 'nchw' | 'nhwc';
  channelOrder: 'rgb' | 'bgr';
  /** Per tensor channel (in `channelOrder`): (x / 255 − mean) / std. Unused for uint8. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Keep the aspect ratio and pad (YOLO); otherwise stretch to width × height. */
  letterbox: boolean;
  /** Border pixel value 0..255 before normalization; default 114 (YOLO's grey). */
  padValue?: number;
  dtype: 'float32' | 'uint8';
}

export interface PreprocessOptions {
  backend?: BackendRequest;
  /** Write into this tensor (at least (firstSlot + images) · 3 · H · W elements) instead of a new one. */
  out?: Float32Array | Uint8Array;
  /** Batch index of the first image in `out`; default 0. */
  firstSlot?: number;
}

export interface PreprocessResult {
  tensor: Float32Array | Uint8Array;
  /** [N, 3, H, W] or [N, H, W, 3], N = firstSlot + images. */
  dims: [number, number, number, number];
  /** Where each image landed: per-axis scale, pad, content size. */
  geometry: PreprocessGeometry[];
}

interface PreprocessAddon {
  preprocessImages(images: Uint8Array[], params: Float64Array, spec: Float64Array, out: Float32Array | Uint8Array): Float32Array | Uint8Array;
  preprocessImagesAsync(images: Uint8Array[], params: Float64Array, spec: Float64Array, out: Float32Array | Uint8Array): Promise<Float32Array | Uint8Array>;
}

const MAX_SIDE = 65536;

/** Synchronous: blocks the calling thread for the whole batch (benchmarks, tools). */
export function preprocessImagesSync(images: readonly PixelImage[], spec: TensorSpec, options: PreprocessOptions = {}): PreprocessResult {
  const job = prepare(images, spec, options);
  if (job.backend === 'ts') preprocessImagesReference(job.kernelImages, job.kernelSpec, job.tensor);
  else preprocessAddon().preprocessImages(job.kernelImages.map((i) => i.data), job.params, job.packedSpec, job.tensor);
  return job.result;
}

/** Runs in the addon's worker thread (the 'ts' backend runs inline): the event loop stays free. */
export async function preprocessImagesAsync(images: readonly PixelImage[], spec: TensorSpec, options: PreprocessOptions = {}): Promise<PreprocessResult> {
  const job = prepare(images, spec, options);
  if (job.backend === 'ts') preprocessImagesReference(job.kernelImages, job.kernelSpec, job.tensor);
  else await preprocessAddon().preprocessImagesAsync(job.kernelImages.map((i) => i.data), job.params, job.packedSpec, job.tensor);
  return job.result;
}

interface Job {
  backend: 'ts' | 'cpu' | 'cuda';
  kernelImages: KernelImage[];
  kernelSpec: KernelSpec;
  params: Float64Array;
  packedSpec: Float64Array;
  tensor: Float32Array | Uint8Array;
  result: PreprocessResult;
}

function prepare(images: readonly PixelImage[], spec: TensorSpec, options: PreprocessOptions): Job {
  const kernelSpec = validateSpec(spec);
  if (!Array.isArray(images)) throw new TypeError('images must be an array of decoded images');
  const firstSlot = options.firstSlot ?? 0;
  if (!Number.isInteger(firstSlot) || firstSlot < 0 || firstSlot > 1 << 20) throw new RangeError(`firstSlot must be an integer in [0, 2^20], got ${firstSlot}`);
  const kernelImages = images.map((image, i) => validateImage(image, `images[${i}]`, firstSlot + i));
  const slots = firstSlot + images.length;
  const slotElements = 3 * spec.width * spec.height;
  const tensor = outputFor(options.out, spec.dtype, slots * slotElements);
  const params = new Float64Array(kernelImages.length * 6);
  kernelImages.forEach((img, i) => params.set([img.width, img.height, img.channels, img.rowStride, img.bgr ? 1 : 0, img.slot], i * 6));
  const packedSpec = Float64Array.from([
    spec.width, spec.height, kernelSpec.nchw ? 1 : 0, kernelSpec.bgr ? 1 : 0, kernelSpec.letterbox ? 1 : 0, kernelSpec.padValue,
    ...kernelSpec.mean, ...kernelSpec.std,
  ]);
  const dims: [number, number, number, number] = kernelSpec.nchw ? [slots, 3, spec.height, spec.width] : [slots, spec.height, spec.width, 3];
  return {
    backend: chooseBackend(options.backend).name,
    kernelImages, kernelSpec, params, packedSpec, tensor,
    result: { tensor, dims, geometry: kernelImages.map((img) => preprocessGeometry(img.width, img.height, kernelSpec)) },
  };
}

function validateSpec(spec: TensorSpec): KernelSpec {
  if (spec === null || typeof spec !== 'object') throw new TypeError('spec must be a tensor spec object');
  for (const key of ['width', 'height'] as const) {
    const v = spec[key];
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RangeError(`spec.${key} must be an integer in [1, ${MAX_SIDE}], got ${v}`);
  }
  if (spec.layout !== 'nchw' && spec.layout !== 'nhwc') throw new TypeError(`spec.layout must be 'nchw' or 'nhwc', got ${JSON.stringify(spec.layout)}`);
  if (spec.channelOrder !== 'rgb' && spec.channelOrder !== 'bgr') throw new TypeError(`spec.channelOrder must be 'rgb' or 'bgr', got ${JSON.stringify(spec.channelOrder)}`);
  if (spec.dtype !== 'float32' && spec.dtype !== 'uint8') throw new TypeError(`spec.dtype must be 'float32' or 'uint8', got ${JSON.stringify(spec.dtype)}`);
  const triple = (v: readonly number[] | undefined, name: string): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => Number.isFinite(x))) throw new RangeError(`spec.${name} must be three finite numbers`);
    return [v[0], v[1], v[2]];
  };
  const mean = triple(spec.mean, 'mean');
  const std = triple(spec.std, 'std');
  if (std.some((s) => s === 0)) throw new RangeError('spec.std must not hold 0');
  const padValue = spec.padValue ?? 114;
  if (!Number.isFinite(padValue) || padValue < 0 || padValue > 255) throw new RangeError(`spec.padValue must be in [0, 255], got ${padValue}`);
  const pixels = spec.width * spec.height * 3;
  if (pixels > 2 ** 28) throw new RangeError(`spec of ${spec.width} × ${spec.height} is too large`);
  return { width: spec.width, height: spec.height, nchw: spec.layout === 'nchw', bgr: spec.channelOrder === 'bgr', letterbox: spec.letterbox === true, padValue, mean, std };
}

function validateImage(image: PixelImage, name: string, slot: number): KernelImage {
  if (image === null || typeof image !== 'object') throw new TypeError(`${name} must be an image object`);
  if (!(image.data instanceof Uint8Array)) throw new TypeError(`${name}.data must be a Uint8Array (decoded pixels)`);
  for (const key of ['width', 'height'] as const) {
    const v = image[key];
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RangeError(`${name}.${key} must be an integer in [1, ${MAX_SIDE}], got ${v}`);
  }
  const channels = image.channels ?? 3;
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) throw new RangeError(`${name}.channels must be 1, 2, 3 or 4, got ${channels}`);
  const rowStride = image.rowStride ?? image.width * channels;
  if (!Number.isInteger(rowStride) || rowStride < image.width * channels || rowStride > MAX_SIDE * 4) {
    throw new RangeError(`${name}.rowStride must be an integer ≥ width · channels (${image.width * channels}), got ${rowStride}`);
  }
  const needed = (image.height - 1) * rowStride + image.width * channels;
  if (image.data.length < needed) throw new RangeError(`${name}.data has ${image.data.length} bytes; ${image.width} × ${image.height} × ${channels} needs ${needed}`);
  const order = image.channelOrder ?? 'rgb';
  if (order !== 'rgb' && order !== 'bgr') throw new TypeError(`${name}.channelOrder must be 'rgb' or 'bgr', got ${JSON.stringify(order)}`);
  return { data: image.data, width: image.width, height: image.height, channels, rowStride, bgr: order === 'bgr', slot };
}

function outputFor(out: Float32Array | Uint8Array | undefined, dtype: 'float32' | 'uint8', elements: number): Float32Array | Uint8Array {
  if (out === undefined) return dtype === 'float32' ? new Float32Array(elements) : new Uint8Array(elements);
  if (dtype === 'float32' && !(out instanceof Float32Array)) throw new TypeError('out must be a Float32Array for dtype float32');
  if (dtype === 'uint8' && !(out instanceof Uint8Array)) throw new TypeError('out must be a Uint8Array for dtype uint8');
  if (out.length < elements) throw new RangeError(`out has ${out.length} elements; the batch needs ${elements}`);
  return out;
}

function preprocessAddon(): PreprocessAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<PreprocessAddon>;
  if (typeof addon.preprocessImages !== 'function' || typeof addon.preprocessImagesAsync !== 'function') {
    throw new Error(`native addon ${loaded.path} has no preprocess kernel: rebuild it with \`npm run install\``);
  }
  return addon as PreprocessAddon;
}
