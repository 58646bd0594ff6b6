/**
 * The letterbox: an image resized with its aspect ratio kept (one scale for both axes) and padded
 * to the model's input size. Pre-processing makes one per image; post-processing inverts it to put
 * boxes back into pixels of the original image. Both sides use this one type.
 *
 *   model_x = src_x * scale + padX        src_x = (model_x - padX) / scale
 *   model_y = src_y * scale + padY        src_y = (model_y - padY) / scale
 */
export interface LetterboxTransform {
  /** Model pixels per source pixel, the same on both axes. */
  scale: number;
  /** Left padding in model pixels (the image's left edge is at model x = padX). */
  padX: number;
  /** Top padding in model pixels. */
  padY: number;
  /** The source image's size in pixels; inverted boxes are clipped to it. */
  srcWidth: number;
  srcHeight: number;
}

export type BoxXYXY = [x1: number, y1: number, x2: number, y2: number];

/**
 * The letterbox of a srcWidth×srcHeight image into dstWidth×dstHeight, as Ultralytics' LetterBox
 * computes it (center padding): scale = min(dstW/srcW, dstH/srcH), the resized image is
 * round(srcW·scale)×round(srcH·scale), and the left/top pads are round(pad/2 − 0.1), so an odd
 * total pad puts the extra pixel on the right/bottom. Rounding is Python's (halves to even), so the
 * pads are Ultralytics' to the pixel.
 */
export function computeLetterbox(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): LetterboxTransform {
  for (const [name, v] of [['srcWidth', srcWidth], ['srcHeight', srcHeight], ['dstWidth', dstWidth], ['dstHeight', dstHeight]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`letterbox ${name} must be a positive number, got ${v}`);
  }
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  const resizedW = roundHalfEven(srcWidth * scale);
  const resizedH = roundHalfEven(srcHeight * scale);
  const padX = roundHalfEven((dstWidth - resizedW) / 2 - 0.1);
  const padY = roundHalfEven((dstHeight - resizedH) / 2 - 0.1);
  return { scale, padX, padY, srcWidth, srcHeight };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // `+ 0` turns Math.round's -0 (for -0.5 < v < 0) into 0.
  return (Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

/** A box in model input pixels back in source image pixels, clipped to the source image. */
export function unletterboxBox(box: readonly [number, number, number, number], t: LetterboxTransform): BoxXYXY {
  const clip = (v: number, max: number): number => (v < 0 ? 0 : v > max ? max : v);
  return [
    clip((box[0] - t.padX) / t.scale, t.srcWidth),
    clip((box[1] - t.padY) / t.scale, t.srcHeight),
    clip((box[2] - t.padX) / t.scale, t.srcWidth),
    clip((box[3] - t.padY) / t.scale, t.srcHeight),
  ];
}

/** The identity letterbox for an image fed at its own size. */
export function identityLetterbox(width: number, height: number): LetterboxTransform {
  return { scale: 1, padX: 0, padY: 0, srcWidth: width, srcHeight: height };
}
