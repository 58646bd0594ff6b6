import { z } from 'zod';
import type { CameraFrame } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type OnDecodeIssue } from '../decoder.js';
import { cameraIdentitySchema, createCameraFrameMaker, parseOptions, type CameraIdentityOptions } from './camera-frame.js';

export type RawImageEncoding = 'rgb8' | 'bgr8' | 'mono8' | 'yuyv' | 'nv12';

const MAX_SIDE = 16384;

export const rawImageDecoderOptionsSchema = cameraIdentitySchema
  .extend({
    encoding: z.enum(['rgb8', 'bgr8', 'mono8', 'yuyv', 'nv12']),
    width: z.number().int().positive().max(MAX_SIDE),
    height: z.number().int().positive().max(MAX_SIDE),
    /** Bytes from one row to the next in the input (≥ the packed row); the packed row when absent. */
    stride: z.number().int().positive().optional(),
    /** 'stream': a byte stream cut into frames of exactly the frame size (ffmpeg rawvideo pipe); 'datagram': one frame per push. */
    framing: z.enum(['stream', 'datagram']).default('stream'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.encoding === 'yuyv' || o.encoding === 'nv12') && o.width % 2 !== 0) ctx.addIssue({ code: 'custom', path: ['width'], message: `${o.encoding} needs an even width` });
    if (o.encoding === 'nv12' && o.height % 2 !== 0) ctx.addIssue({ code: 'custom', path: ['height'], message: 'nv12 needs an even height' });
    if (o.stride !== undefined && o.stride < packedRowBytes(o.encoding, o.width)) {
      ctx.addIssue({ code: 'custom', path: ['stride'], message: `${o.stride} is less than a packed row of ${packedRowBytes(o.encoding, o.width)} bytes` });
    }
  });

export interface RawImageDecoderOptions extends CameraIdentityOptions {
  encoding: RawImageEncoding;
  width: number;
  height: number;
  stride?: number;
  framing?: 'stream' | 'datagram';
  onIssue?: OnDecodeIssue;
}

/** Bytes of one packed row of the (first) plane. */
export function packedRowBytes(encoding: RawImageEncoding, width: number): number {
  switch (encoding) {
    case 'rgb8':
    case 'bgr8':
      return width * 3;
    case 'yuyv':
      return width * 2;
    case 'mono8':
    case 'nv12':
      return width;
  }
}

/** Rows in the input: nv12 has a half-height interleaved UV plane under the Y plane. */
function rowCount(encoding: RawImageEncoding, height: number): number {
  return encoding === 'nv12' ? height + height / 2 : height;
}

/** Bytes of one frame in the input layout (with stride). */
export function rawFrameBytes(encoding: RawImageEncoding, width: number, height: number, stride?: number): number {
  return (stride ?? packedRowBytes(encoding, width)) * rowCount(encoding, height);
}

/**
 * Uncompressed frames. Output rows are always packed (CameraFrame has no stride), so padded rows are
 * repacked. In 'stream' framing at most one frame is buffered; its stamp comes from the push that
 * completed it.
 */
export function createRawImageDecoder(options: RawImageDecoderOptions): FrameDecoder<CameraFrame> {
  const { onIssue, ...rest } = options;
  const config = parseOptions(rawImageDecoderOptionsSchema, rest, 'raw image decoder');
  const stats = new DecoderStatsCounter(onIssue);
  const makeFrame = createCameraFrameMaker(config);
  const rowBytes = packedRowBytes(config.encoding, config.width);
  const stride = config.stride ?? rowBytes;
  const rows = rowCount(config.encoding, config.height);
  const frameBytes = stride * rows;
  const pending = config.framing === 'stream' ? new Uint8Array(frameBytes) : undefined;
  let filled = 0;

  const frameFrom = (input: Uint8Array, receivedAt: Nanos): CameraFrame => {
    let data: Uint8Array;
    if (stride === rowBytes) data = input.slice(0, frameBytes);
    else {
      data = new Uint8Array(rowBytes * rows);
      for (let r = 0; r < rows; r++) data.set(input.subarray(r * stride, r * stride + rowBytes), r * rowBytes);
    }
    stats.frames += 1;
    return makeFrame(config.encoding, config.width, config.height, data, receivedAt);
  };

  return {
    framing: config.framing,
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): CameraFrame[] {
      if (!pending) {
        if (bytes.byteLength !== frameBytes) {
          stats.issue('wrong-size', `datagram of ${bytes.byteLength} bytes; a ${config.width}×${config.height} ${config.encoding} frame has ${frameBytes}`);
          return [];
        }
        stats.accepted += 1;
        return [frameFrom(bytes, receivedAt)];
      }
      stats.accepted += 1;
      const frames: CameraFrame[] = [];
      let offset = 0;
      while (offset < bytes.byteLength) {
        const n = Math.min(frameBytes - filled, bytes.byteLength - offset);
        pending.set(bytes.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === frameBytes) {
          frames.push(frameFrom(pending, receivedAt));
          filled = 0;
        }
      }
      return frames;
    },
    flush(): CameraFrame[] {
      if (filled > 0) stats.issue('truncated', `stream ended ${filled} bytes into a frame of ${frameBytes}`);
      filled = 0;
      return [];
    },
  };
}
