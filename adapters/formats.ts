import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { Modality } from '../engine/core/frames.js';
import type { FrameDecoder, OnDecodeIssue } from './decoder.js';
import { createNmeaDecoder, nmeaDecoderOptionsSchema } from './gnss/nmea-decoder.js';
import { createGpsdJsonDecoder, gpsdJsonDecoderOptionsSchema } from './gnss/gpsd-json-decoder.js';
import { createKittiOxtsDecoder } from './gnss/kitti-oxts-decoder.js';
import { createVelodyneDecoder, velodyneDecoderOptionsSchema } from './lidar/velodyne.js';
import { createOusterDecoder, ousterDecoderOptionsSchema } from './lidar/ouster.js';
import { createKittiBinDecoder, createNuscenesBinDecoder, floatBinDecoderOptionsSchema } from './lidar/float-bin.js';
import { createPcdDecoder, pcdDecoderOptionsSchema } from './lidar/pcd.js';
import { canRadarDecoderOptionsSchema, createCanRadarDecoder } from './radar/can-radar.js';
import { ars408DecoderOptionsSchema, createArs408Decoder } from './radar/ars408.js';
import { createTiMmwaveDecoder, tiMmwaveDecoderOptionsSchema } from './radar/ti-mmwave.js';
import { createNuscenesRadarDecoder, nuscenesRadarDecoderOptionsSchema } from './radar/nuscenes-radar-pcd.js';
import { compressedImageDecoderOptionsSchema, createJpegDecoder, createPngDecoder } from './camera/compressed-image-decode.js';
import { createMjpegStreamDecoder, mjpegStreamDecoderOptionsSchema } from './camera/mjpeg-stream-decode.js';
import { createRawImageDecoder, rawImageDecoderOptionsSchema } from './camera/raw-image-decode.js';
import { createWavDecoder, wavDecoderOptionsSchema } from './audio/wav-decode.js';
import { createPcmDecoder, pcmDecoderOptionsSchema } from './audio/pcm-decode.js';
import { loadDbcFile } from './can/load-dbc.js';

/** What every decoder is created with, beside its own options. */
export interface DecoderContext {
  sensorId: string;
  frameId?: string;
  onIssue?: OnDecodeIssue;
  /** Relative file options (calibration, metadata, DBC) resolve against this folder. */
  baseDir?: string;
}

/** One wire or file format percept decodes: its modality, its options as a rig writes them, its factory. */
export interface DecoderFormat {
  readonly name: string;
  readonly modality: Modality;
  readonly description: string;
  /**
   * Validates options as written in a rig's `source.options` or gathered from CLI flags (sensorId and
   * frameId come from the sensor, not from there). Throws a ZodError naming the bad option.
   */
  parse(options: unknown, ctx: DecoderContext): Record<string, unknown>;
  create(ctx: DecoderContext, options: Record<string, unknown>): FrameDecoder;
}

type OptionsParser = DecoderFormat['parse'];

/** For decoder schemas that name the sensor themselves: the sensor's id and frame are put in. */
function withIdentity(schema: z.ZodType): OptionsParser {
  return (options, ctx) => {
    const given = (options ?? {}) as Record<string, unknown>;
    return schema.parse({ ...given, sensorId: ctx.sensorId, ...(ctx.frameId !== undefined ? { frameId: ctx.frameId } : {}) }) as Record<string, unknown>;
  };
}

function plain(schema: z.ZodType): OptionsParser {
  return (options) => schema.parse(options ?? {}) as Record<string, unknown>;
}

function resolvePath(ctx: DecoderContext, path: string): string {
  return isAbsolute(path) || !ctx.baseDir ? path : join(ctx.baseDir, path);
}

function readText(ctx: DecoderContext, path: string, what: string): string {
  try {
    return readFileSync(resolvePath(ctx, path), 'utf8');
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const identity = (ctx: DecoderContext) => ({ sensorId: ctx.sensorId, frameId: ctx.frameId, onIssue: ctx.onIssue });

const FORMATS: readonly DecoderFormat[] = [
  {
    name: 'nmea', modality: 'gnss', description: 'NMEA 0183 sentences (serial, TCP, UDP, files)',
    parse: withIdentity(nmeaDecoderOptionsSchema),
    create: (ctx, o) => createNmeaDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'gpsd-json', modality: 'gnss', description: 'gpsd JSON reports (TCP 2947 after ?WATCH)',
    parse: withIdentity(gpsdJsonDecoderOptionsSchema),
    create: (ctx, o) => createGpsdJsonDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'kitti-oxts', modality: 'gnss', description: 'KITTI raw OXTS records, one file each',
    parse: plain(z.object({}).strict()),
    create: (ctx) => createKittiOxtsDecoder(identity(ctx)),
  },
  {
    name: 'velodyne', modality: 'lidar', description: 'Velodyne data packets (UDP 2368), with the ROS driver calibration YAML',
    parse: plain(velodyneDecoderOptionsSchema),
    create: (ctx, o) => {
      const { calibrationFile, ...rest } = o as z.infer<typeof velodyneDecoderOptionsSchema>;
      return createVelodyneDecoder({
        ...identity(ctx), ...rest,
        calibration: calibrationFile ? readText(ctx, calibrationFile, 'calibration') : undefined,
      });
    },
  },
  {
    name: 'ouster', modality: 'lidar', description: 'Ouster lidar packets (UDP 7502), LEGACY and RNG15_RFL8_NIR8, with the sensor metadata JSON',
    parse: plain(ousterDecoderOptionsSchema),
    create: (ctx, o) => {
      const { metadataFile, ...rest } = o as z.infer<typeof ousterDecoderOptionsSchema>;
      return createOusterDecoder({ ...identity(ctx), ...rest, metadata: readText(ctx, metadataFile, 'metadata') });
    },
  },
  {
    name: 'kitti-bin', modality: 'lidar', description: 'KITTI velodyne .bin (x, y, z, reflectance float32)',
    parse: plain(floatBinDecoderOptionsSchema),
    create: (ctx, o) => createKittiBinDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'nuscenes-pcd-bin', modality: 'lidar', description: 'nuScenes LiDAR .pcd.bin (x, y, z, intensity, ring float32)',
    parse: plain(floatBinDecoderOptionsSchema),
    create: (ctx, o) => createNuscenesBinDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'pcd', modality: 'lidar', description: 'PCL PCD files: ascii, binary, binary_compressed',
    parse: plain(pcdDecoderOptionsSchema),
    create: (ctx, o) => createPcdDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'can-radar', modality: 'radar', description: 'a CAN radar described by a DBC, from candump -l text',
    parse: withIdentity(canRadarDecoderOptionsSchema),
    create: (ctx, o) => {
      const { dbc, ...rest } = o as { dbc: string } & Record<string, unknown>;
      return createCanRadarDecoder({ ...identity(ctx), ...rest, dbc: loadDbcFile(resolvePath(ctx, dbc)) } as never);
    },
  },
  {
    name: 'ars408', modality: 'radar', description: 'Continental ARS408 object or cluster lists, from candump -l text',
    parse: withIdentity(ars408DecoderOptionsSchema),
    create: (ctx, o) => createArs408Decoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'ti-mmwave', modality: 'radar', description: 'TI mmWave UART TLV frames',
    parse: withIdentity(tiMmwaveDecoderOptionsSchema),
    create: (ctx, o) => createTiMmwaveDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'nuscenes-radar-pcd', modality: 'radar', description: 'nuScenes radar .pcd files',
    parse: withIdentity(nuscenesRadarDecoderOptionsSchema),
    create: (ctx, o) => createNuscenesRadarDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'jpeg', modality: 'camera', description: 'JPEG images, one per datagram or file',
    parse: withIdentity(compressedImageDecoderOptionsSchema),
    create: (ctx, o) => createJpegDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'png', modality: 'camera', description: 'PNG images, one per datagram or file',
    parse: withIdentity(compressedImageDecoderOptionsSchema),
    create: (ctx, o) => createPngDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'mjpeg', modality: 'camera', description: 'a stream of concatenated JPEGs (ffmpeg -f mjpeg, HTTP MJPEG parts)',
    parse: withIdentity(mjpegStreamDecoderOptionsSchema),
    create: (ctx, o) => createMjpegStreamDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'raw-image', modality: 'camera', description: 'raw rgb8, bgr8, mono8, yuyv or nv12 frames of a given size',
    parse: withIdentity(rawImageDecoderOptionsSchema),
    create: (ctx, o) => createRawImageDecoder({ ...identity(ctx), ...o } as never),
  },
  {
    name: 'wav', modality: 'audio', description: 'WAV files or streams (PCM s16le, f32le)',
    parse: withIdentity(wavDecoderOptionsSchema),
    create: (ctx, o) => createWavDecoder({ ...identity(ctx), ...o }),
  },
  {
    name: 'pcm', modality: 'audio', description: 'raw PCM s16le or f32le (UDP, TCP, a pipe from arecord)',
    parse: withIdentity(pcmDecoderOptionsSchema),
    create: (ctx, o) => createPcmDecoder({ ...identity(ctx), ...o } as never),
  },
];

export const DECODER_FORMATS: ReadonlyMap<string, DecoderFormat> = new Map(FORMATS.map((f) => [f.name, f]));

export function decoderFormat(name: string): DecoderFormat | undefined {
  return DECODER_FORMATS.get(name);
}
