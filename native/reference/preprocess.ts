/**
 * TypeScript reference of the image pre-processing kernel (native/src/preprocess_cpu.cc): the same
 * geometry, the same fixed-point bilinear taps and the same rounding, so the C++ agrees exactly
 * for uint8 output and within float rounding for float32 output.
 *
 * Sampling is OpenCV's INTER_LINEAR (what YOLOv5's letterbox calls): output pixel centre d maps to
 * source position (d + 0.5) / scale − 0.5, clamped to the image; the two taps' weights are integers
 * out of 2^11, so the interpolated value is an integer out of 255 · 2^22.
 */

export const WEIGHT_BITS = 11;
export const WEIGHT_ONE = 1 << WEIGHT_BITS;
const SHIFT = 2 * WEIGHT_BITS;
const ROUND = 1 << (SHIFT - 1);

/** One image as the kernel reads it. */
export interface KernelImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3, or 4 (alpha ignored). */
  channels: number;
  /** Bytes per row, ≥ width · channels. */
  rowStride: number;
  /** Source channel order of 3- and 4-channel images. */
  bgr: boolean;
  /** Batch index of the image in the output tensor. */
  slot: number;
}

export interface KernelSpec {
  width: number;
  height: number;
  nchw: boolean;
  /** Output channel order. */
  bgr: boolean;
  letterbox: boolean;
  /** Pixel value (0..255) of the letterbox border, before normalization. */
  padValue: number;
  /** Per tensor channel, applied as (x / 255 − mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Where an image lands in the tensor: per-axis scale (tensor px per source px), pad, content size. */
export interface PreprocessGeometry {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  contentW: number;
  contentH: number;
}

export function preprocessGeometry(srcW: number, srcH: number, spec: Pick<KernelSpec, 'width' | 'height' | 'letterbox'>): PreprocessGeometry {
  const { width: tw, height: th } = spec;
  if (!spec.letterbox) return { scaleX: tw / srcW, scaleY: th / srcH, padX: 0, padY: 0, contentW: tw, contentH: th };
  const r = Math.min(tw / srcW, th / srcH);
  // Python's round (halves to even), as Ultralytics' LetterBox sizes the resized image.
  const contentW = Math.max(1, Math.min(tw, roundHalfEven(srcW * r)));
  const contentH = Math.max(1, Math.min(th, roundHalfEven(srcH * r)));
  // YOLOv5 puts round(dw − 0.1) on the left: the floor of the half for whole-pixel pads.
  return { scaleX: r, scaleY: r, padX: Math.floor((tw - contentW) / 2), padY: Math.floor((th - contentH) / 2), contentW, contentH };
}

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The two source taps of output position d on one axis and the second tap's weight out of 2^11. */
export function axisTap(d: number, scale: number, srcSize: number): { i0: number; i1: number; w1: number } {
  let s = (d + 0.5) / scale - 0.5;
  if (s < 0) s = 0;
  if (s > srcSize - 1) s = srcSize - 1;
  const f = Math.floor(s);
  return { i0: f, i1: f + 1 < srcSize ? f + 1 : f, w1: Math.floor((s - f) * WEIGHT_ONE + 0.5) };
}

/** Tensor channel k reads source channel map[k]. */
export function channelMap(image: Pick<KernelImage, 'channels' | 'bgr'>, outBgr: boolean): [number, number, number] {
  if (image.channels < 3) return [0, 0, 0];
  const map = [0, 1, 2].map((k) => {
    const colour = outBgr ? 2 - k : k; // 0 = R, 1 = G, 2 = B
    return image.bgr ? 2 - colour : colour;
  });
  return [map[0], map[1], map[2]];
}

/** Writes every image into its slot of `out` (slots × 3 × height × width elements). */
export function preprocessImagesReference(images: readonly KernelImage[], spec: KernelSpec, out: Float32Array | Uint8Array): void {
  const { width: W, height: H } = spec;
  const plane = W * H;
  const isFloat = out instanceof Float32Array;
  const scale = [0, 1, 2].map((k) => 1 / (2 ** SHIFT * 255 * spec.std[k]));
  const bias = [0, 1, 2].map((k) => -spec.mean[k] / spec.std[k]);
  const padF = [0, 1, 2].map((k) => (spec.padValue / 255 - spec.mean[k]) / spec.std[k]);
  const padU8 = Math.min(255, Math.max(0, Math.floor(spec.padValue + 0.5)));
  const index = (base: number, x: number, y: number, k: number): number =>
    spec.nchw ? base + k * plane + y * W + x : base + (y * W + x) * 3 + k;
  for (const img of images) {
    const g = preprocessGeometry(img.width, img.height, spec);
    const map = channelMap(img, spec.bgr);
    const base = img.slot * 3 * plane;
    const cols = Array.from({ length: g.contentW }, (_, j) => axisTap(j, g.scaleX, img.width));
    for (let y = 0; y < H; y++) {
      const inRows = y >= g.padY && y < g.padY + g.contentH;
      const ty = inRows ? axisTap(y - g.padY, g.scaleY, img.height) : undefined;
      for (let x = 0; x < W; x++) {
        const j = x - g.padX;
        for (let k = 0; k < 3; k++) {
          const at = index(base, x, y, k);
          if (ty === undefined || j < 0 || j >= g.contentW) {
            out[at] = isFloat ? padF[k] : padU8;
            continue;
          }
          const tx = cols[j];
          const c = map[k];
          const px = (row: number, col: number): number => img.data[row * img.rowStride + col * img.channels + c];
          const top = px(ty.i0, tx.i0) * (WEIGHT_ONE - tx.w1) + px(ty.i0, tx.i1) * tx.w1;
          const bottom = px(ty.i1, tx.i0) * (WEIGHT_ONE - tx.w1) + px(ty.i1, tx.i1) * tx.w1;
          const v = top * (WEIGHT_ONE - ty.w1) + bottom * ty.w1;
          out[at] = isFloat ? v * scale[k] + bias[k] : (v + ROUND) >> SHIFT;
        }
      }
    }
  }
}
