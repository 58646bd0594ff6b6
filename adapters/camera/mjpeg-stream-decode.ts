import { z } from 'zod';
import type { CameraFrame } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder } from '../decoder.js';
import { cameraIdentitySchema, createCameraFrameMaker, parseOptions } from './camera-frame.js';
import { DEFAULT_MAX_IMAGE_BYTES, type CompressedImageDecoderOptions } from './compressed-image-decode.js';
import { readJpegSize } from './image-header.js';
import { JpegStreamSplitter } from './jpeg-stream-splitter.js';

export const mjpegStreamDecoderOptionsSchema = cameraIdentitySchema
  .extend({
    maxImageBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(DEFAULT_MAX_IMAGE_BYTES),
  })
  .strict();

export type MjpegStreamDecoderOptions = Omit<CompressedImageDecoderOptions, 'framing'>;

/**
 * Concatenated JPEGs on a byte stream (ffmpeg `-f mjpeg pipe:1`, TCP, serial). Each image is
 * stamped with the receivedAt of the push that completed it, minus latencyMs.
 */
export function createMjpegStreamDecoder(options: MjpegStreamDecoderOptions): FrameDecoder<CameraFrame> {
  const { onIssue, ...rest } = options;
  const config = parseOptions(mjpegStreamDecoderOptionsSchema, rest, 'mjpeg stream decoder');
  const stats = new DecoderStatsCounter(onIssue);
  const makeFrame = createCameraFrameMaker(config);
  const splitter = new JpegStreamSplitter(config.maxImageBytes, (code, message) => stats.issue(code, message));
  return {
    framing: 'stream',
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): CameraFrame[] {
      const frames: CameraFrame[] = [];
      for (const image of splitter.push(bytes)) {
        const header = readJpegSize(image);
        if (!header.ok) {
          stats.issue(header.code, header.message, header.offset);
          continue;
        }
        stats.accepted += 1;
        stats.frames += 1;
        frames.push(makeFrame('jpeg', header.size.width, header.size.height, image, receivedAt));
      }
      return frames;
    },
    flush(): CameraFrame[] {
      splitter.flush();
      return [];
    },
  };
}
