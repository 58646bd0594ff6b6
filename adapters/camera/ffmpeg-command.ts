import { z } from 'zod';
import { parseOptions } from './camera-frame.js';
import type { RawImageEncoding } from './raw-image-decode.js';

const side = z.number().int().positive().max(16384);

export const ffmpegSourceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('rtsp'),
      url: z.string().regex(/^rtsps?:\/\/\S+$/, 'an rtsp:// URL'),
      /** TCP interleaving survives NAT and loss better than RTP over UDP. */
      rtspTransport: z.enum(['tcp', 'udp']).default('tcp'),
      /** Socket timeout: a camera that goes silent makes ffmpeg exit, and the process transport restarts it. */
      timeoutS: z.number().positive().max(3600).default(5),
    })
    .strict(),
  z
    .object({
      kind: z.literal('v4l2'),
      device: z.string().min(1).default('/dev/video0'),
      /** What to ask the camera for; mjpeg lets USB 2 cameras reach full rate at high resolutions. */
      inputFormat: z.enum(['mjpeg', 'yuyv422']).optional(),
      width: side.optional(),
      height: side.optional(),
      fps: z.number().positive().max(1000).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('file'),
      path: z.string().min(1),
      /** Read at the file's own frame rate (-re), as a live camera would deliver it. */
      realtime: z.boolean().default(true),
      loop: z.boolean().default(false),
    })
    .strict(),
]);

export const ffmpegOutputSchema = z.discriminatedUnion('format', [
  z
    .object({
      format: z.literal('rawvideo'),
      encoding: z.enum(['rgb8', 'bgr8', 'mono8', 'yuyv', 'nv12']),
      /** Frames are scaled to this size, so the raw decoder knows the frame length. */
      width: side,
      height: side,
      fps: z.number().positive().max(1000).optional(),
    })
    .strict(),
  z
    .object({
      format: z.literal('mjpeg'),
      /** ffmpeg's -q:v, 2 (best) to 31. */
      quality: z.number().int().min(2).max(31).default(5),
      width: side.optional(),
      height: side.optional(),
      fps: z.number().positive().max(1000).optional(),
    })
    .strict(),
]);

export const ffmpegCommandSchema = z
  .object({
    ffmpegPath: z.string().min(1).default('ffmpeg'),
    source: ffmpegSourceSchema,
    output: ffmpegOutputSchema,
  })
  .strict();

export type FfmpegCommandConfig = z.input<typeof ffmpegCommandSchema>;

export interface FfmpegCommand {
  command: string;
  args: string[];
  /** How to decode stdout: the raw decoder with these settings, or the MJPEG stream decoder. */
  decoder: { kind: 'raw'; encoding: RawImageEncoding; width: number; height: number } | { kind: 'mjpeg' };
}

const PIXEL_FORMATS: Record<RawImageEncoding, string> = { rgb8: 'rgb24', bgr8: 'bgr24', mono8: 'gray', yuyv: 'yuyv422', nv12: 'nv12' };

/**
 * ffmpeg arguments that read an RTSP camera, a V4L2 (USB) camera or a video file and write
 * rawvideo or MJPEG to stdout, for the process transport. Only stdout carries data; errors go to
 * stderr at level "error".
 */
export function ffmpegCommand(config: FfmpegCommandConfig): FfmpegCommand {
  const { ffmpegPath, source, output } = parseOptions(ffmpegCommandSchema, config, 'ffmpeg command');
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  switch (source.kind) {
    case 'rtsp':
      args.push('-rtsp_transport', source.rtspTransport, '-timeout', String(Math.round(source.timeoutS * 1e6)), '-i', source.url);
      break;
    case 'v4l2':
      args.push('-f', 'v4l2');
      if (source.inputFormat) args.push('-input_format', source.inputFormat);
      if (source.width && source.height) args.push('-video_size', `${source.width}x${source.height}`);
      if (source.fps) args.push('-framerate', String(source.fps));
      args.push('-i', source.device);
      break;
    case 'file':
      if (source.realtime) args.push('-re');
      if (source.loop) args.push('-stream_loop', '-1');
      args.push('-i', source.path);
      break;
  }
  args.push('-an', '-sn', '-dn');
  if (output.width && output.height) args.push('-vf', `scale=${output.width}:${output.height}`);
  if (output.fps) args.push('-r', String(output.fps));
  if (output.format === 'rawvideo') {
    args.push('-f', 'rawvideo', '-pix_fmt', PIXEL_FORMATS[output.encoding], 'pipe:1');
    return { command: ffmpegPath, args, decoder: { kind: 'raw', encoding: output.encoding, width: output.width, height: output.height } };
  }
  // Full-range YUV keeps ffmpeg's mjpeg encoder from rejecting limited-range input.
  args.push('-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(output.quality), '-f', 'mjpeg', 'pipe:1');
  return { command: ffmpegPath, args, decoder: { kind: 'mjpeg' } };
}
