/**
 * Camera frames into one batched model input tensor. Compressed frames (JPEG, PNG) are decoded with
 * sharp, all at once (libvips decodes on its own threads); raw rgb8/bgr8/mono8 frames are used as
 * they are. The resize, letterbox, normalization and layout run in the native kernel
 * (native/preprocess.ts), never per pixel in JavaScript.
 */
import sharp from 'sharp';
import type { CameraFrame } from '../core/frames.js';
import { preprocessImagesAsync, type PixelImage, type TensorSpec } from '../../native/preprocess.js';
import type { BackendRequest } from '../../native/backend.js';
import type { LetterboxTransform } from './letterbox.js';

export type ImageTensorSpec = TensorSpec;

/**
 * Where one image went in the tensor. With `letterbox` the scale is the same on both axes and this
 * is a plain LetterboxTransform (unletterboxBox inverts it); a stretched image has scaleX ≠ scaleY
 * in general and `scale` is then scaleX: invert with scaleX and scaleY.
 */
export interface ImageTransform extends LetterboxTransform {
  scaleX: number;
  scaleY: number;
}

export interface PreprocessedImages {
  tensor: Float32Array | Uint8Array;
  /** [N, 3, H, W] (nchw) or [N, H, W, 3] (nhwc). */
  dims: [number, number, number, number];
  /** One per frame, in order. */
  transforms: ImageTransform[];
}

export interface PreprocessImagesOptions {
  backend?: BackendRequest;
  /** Reuse this tensor (the same size every set) instead of allocating one per call. */
  out?: Float32Array | Uint8Array;
}

/** Largest image (pixels) sharp is allowed to decode: a 16k × 16k image, far above any camera. */
const MAX_DECODE_PIXELS = 16384 * 16384;

/** Decodes what needs decoding and writes all frames into one tensor, frame i at batch index i. */
export async function preprocessImages(frames: readonly CameraFrame[], spec: ImageTensorSpec, options: PreprocessImagesOptions = {}): Promise<PreprocessedImages> {
  const images = await Promise.all(frames.map(decodeCameraFrame));
  const result = await preprocessImagesAsync(images, spec, { backend: options.backend, out: options.out });
  const transforms = result.geometry.map((g, i) => ({
    scale: g.scaleX, scaleX: g.scaleX, scaleY: g.scaleY, padX: g.padX, padY: g.padY,
    srcWidth: images[i].width, srcHeight: images[i].height,
  }));
  return { tensor: result.tensor, dims: result.dims, transforms };
}

/** A camera frame's pixels: decoded with sharp when compressed, a view of the frame's bytes when raw. */
export async function decodeCameraFrame(frame: CameraFrame): Promise<PixelImage> {
  switch (frame.encoding) {
    case 'jpeg':
    case 'png': {
      try {
        const { data, info } = await sharp(frame.data, { limitInputPixels: MAX_DECODE_PIXELS }).raw().toBuffer({ resolveWithObject: true });
        return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels, channelOrder: 'rgb' };
      } catch (err) {
        throw new Error(`camera ${frame.sensorId} frame ${frame.seq}: cannot decode ${frame.encoding}: ${(err as Error).message}`);
      }
    }
    case 'rgb8':
    case 'bgr8':
    case 'mono8': {
      const channels = frame.encoding === 'mono8' ? 1 : 3;
      const needed = frame.width * frame.height * channels;
      if (!(frame.width > 0 && frame.height > 0) || frame.data.byteLength < needed) {
        throw new RangeError(`camera ${frame.sensorId} frame ${frame.seq}: ${frame.encoding} ${frame.width}×${frame.height} needs ${needed} bytes, has ${frame.data.byteLength}`);
      }
      return { data: frame.data, width: frame.width, height: frame.height, channels, channelOrder: frame.encoding === 'bgr8' ? 'bgr' : 'rgb' };
    }
    default:
      throw new TypeError(`camera ${frame.sensorId} frame ${frame.seq}: ${frame.encoding} images are not supported by the encoders (jpeg, png, rgb8, bgr8, mono8 are)`);
  }
}
