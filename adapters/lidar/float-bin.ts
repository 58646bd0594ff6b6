import { z } from 'zod';
import type { PointCloud } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { float32Fields } from './point-cloud.js';

/**
 * Headerless float32 point files, one file a frame: KITTI `.bin` (x, y, z, reflectance; 16 bytes a
 * point) and nuScenes `.pcd.bin` (x, y, z, intensity, ring; 20 bytes a point), little-endian, LiDAR
 * frame x forward, y left, z up. The files carry no time: a frame's stamp is the push's receivedAt,
 * so whoever reads the file passes the acquisition time it knows (KITTI timestamps.txt, the
 * nuScenes sample's timestamp) as receivedAt.
 */

export const KITTI_BIN_FIELDS = float32Fields(['x', 'y', 'z', 'reflectance']);
export const NUSCENES_BIN_FIELDS = float32Fields(['x', 'y', 'z', 'intensity', 'ring']);
export const DEFAULT_MAX_POINT_FILE_BYTES = 256 * 1024 * 1024;

export const floatBinDecoderOptionsSchema = z
  .object({ maxFileBytes: z.number().int().min(1).max(2 ** 31).optional() })
  .strict();
export const kittiBinDecoderOptionsSchema = floatBinDecoderOptionsSchema;
export const nuscenesBinDecoderOptionsSchema = floatBinDecoderOptionsSchema;

export interface FloatBinDecoderOptions extends FrameIdentity {
  maxFileBytes?: number;
  onIssue?: OnDecodeIssue;
}

function createFloatBinDecoder(options: FloatBinDecoderOptions, fields: PointCloud['fields'], what: string): FrameDecoder<PointCloud> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_POINT_FILE_BYTES;
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1) throw new Error(`maxFileBytes: a positive integer, got ${maxFileBytes}`);
  const stats = new DecoderStatsCounter(options.onIssue);
  const stride = fields.length * 4;
  const frameId = options.frameId ?? options.sensorId;
  let seq = 0;
  return {
    framing: 'file',
    push(bytes: Uint8Array, receivedAt: Nanos): PointCloud[] {
      if (bytes.length > maxFileBytes) {
        stats.issue('file-too-large', `${what} of ${bytes.length} bytes; at most ${maxFileBytes}`);
        return [];
      }
      const count = Math.floor(bytes.length / stride);
      if (bytes.length % stride !== 0) {
        stats.issue('truncated-file', `${what} of ${bytes.length} bytes is not whole ${stride}-byte points: ${bytes.length % stride} trailing bytes dropped`);
      }
      stats.accepted++;
      stats.frames++;
      return [
        Object.freeze({
          modality: 'lidar' as const,
          sensorId: options.sensorId,
          frameId,
          stamp: receivedAt,
          receivedAt,
          seq: seq++,
          fields,
          stride,
          count,
          // A copy: the caller's buffer may be reused, and a fresh one is 4-byte aligned.
          data: bytes.slice(0, count * stride),
        }),
      ];
    },
    flush: () => [],
    stats,
  };
}

export function createKittiBinDecoder(options: FloatBinDecoderOptions): FrameDecoder<PointCloud> {
  return createFloatBinDecoder(options, KITTI_BIN_FIELDS, 'KITTI .bin');
}

export function createNuscenesBinDecoder(options: FloatBinDecoderOptions): FrameDecoder<PointCloud> {
  return createFloatBinDecoder(options, NUSCENES_BIN_FIELDS, 'nuScenes .pcd.bin');
}
