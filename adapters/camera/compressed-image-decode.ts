import { z } from 'zod';
import type { CameraFrame } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type OnDecodeIssue } from '../decoder.js';
import { cameraIdentitySchema, createCameraFrameMaker, parseOptions, type CameraIdentityOptions } from './camera-frame.js';
import { jpegHasEndMarker, readJpegSize, readPngSize } from './image-header.js';

export const DEFAULT_MAX_IMAGE_BYTES = 32 * 1024 * 1024;

export const compressedImageDecoderOptionsSchema = cameraIdentitySchema
  .extend({
    /** 'datagram': one image per push (an HTTP part, a UDP frame); 'file': one push holds an image file. */
    framing: z.enum(['datagram', 'file']).default('datagram'),
    maxImageBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(DEFAULT_MAX_IMAGE_BYTES),
  })
  .strict();

export const jpegDecoderOptionsSchema = compressedImageDecoderOptionsSchema;
export const pngDecoderOptionsSchema = compressedImageDecoderOptionsSchema;

export interface CompressedImageDecoderOptions extends CameraIdentityOptions {
  framing?: 'datagram' | 'file';
  maxImageBytes?: number;
  onIssue?: OnDecodeIssue;
}

/**
 * JPEG images, one per push: the bytes are kept as received (decoding is the encoder's job) and
 * width/height come from the SOF segment. A JPEG without EOI is truncated and dropped.
 */
export function createJpegDecoder(options: CompressedImageDecoderOptions): FrameDecoder<CameraFrame> {
  return createCompressedImageDecoder('jpeg', options);
}

/** PNG images, one per push; width/height from IHDR (CRC checked). */
export function createPngDecoder(options: CompressedImageDecoderOptions): FrameDecoder<CameraFrame> {
  return createCompressedImageDecoder('png', options);
}

function createCompressedImageDecoder(encoding: 'jpeg' | 'png', options: CompressedImageDecoderOptions): FrameDecoder<CameraFrame> {
  const { onIssue, ...rest } = options;
  const config = parseOptions(compressedImageDecoderOptionsSchema, rest, `${encoding} decoder`);
  const stats = new DecoderStatsCounter(onIssue);
  const makeFrame = createCameraFrameMaker(config);
  return {
    framing: config.framing,
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): CameraFrame[] {
      if (bytes.byteLength > config.maxImageBytes) {
        stats.issue('too-large', `image of ${bytes.byteLength} bytes; at most ${config.maxImageBytes}`);
        return [];
      }
      const header = encoding === 'jpeg' ? readJpegSize(bytes) : readPngSize(bytes);
      if (!header.ok) {
        stats.issue(header.code, header.message, header.offset);
        return [];
      }
      if (encoding === 'jpeg' && !jpegHasEndMarker(bytes)) {
        stats.issue('truncated', 'JPEG does not end with EOI (FF D9)', bytes.byteLength);
        return [];
      }
      stats.accepted += 1;
      stats.frames += 1;
      // A copy: transports reuse or pool their buffers, frames are immutable.
      return [makeFrame(encoding, header.size.width, header.size.height, bytes.slice(), receivedAt)];
    },
    flush: () => [],
  };
}
