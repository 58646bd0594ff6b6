import type { PointCloud, PointField } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { ImportError } from './import-error.js';

/** A flat file of little-endian float32 records, one per point, as KITTI and nuScenes store sweeps. */
export interface FloatPointLayout {
  readonly fields: readonly string[];
}

export const KITTI_POINT_LAYOUT: FloatPointLayout = { fields: ['x', 'y', 'z', 'intensity'] };
export const NUSCENES_POINT_LAYOUT: FloatPointLayout = { fields: ['x', 'y', 'z', 'intensity', 'ring'] };

export function layoutStride(layout: FloatPointLayout): number {
  return layout.fields.length * 4;
}

export interface PointCloudSource {
  sensorId: string;
  frameId: string;
  stamp: Nanos;
  seq: number;
}

/** Wraps the bytes of a point file as a PointCloud without copying; the length must be whole points. */
export function pointCloudFromBin(bytes: Uint8Array, file: string, layout: FloatPointLayout, source: PointCloudSource): PointCloud {
  const stride = layoutStride(layout);
  if (bytes.length === 0) throw new ImportError(file, 'point file is empty');
  if (bytes.length % stride !== 0) {
    throw new ImportError(file, `${bytes.length} bytes is not a whole number of ${stride}-byte points (${layout.fields.join(', ')} as float32)`);
  }
  const fields: PointField[] = layout.fields.map((name, i) => ({ name, offset: i * 4, type: 'float32' }));
  return {
    modality: 'lidar',
    sensorId: source.sensorId,
    frameId: source.frameId,
    stamp: source.stamp,
    receivedAt: source.stamp,
    seq: source.seq,
    fields,
    stride,
    count: bytes.length / stride,
    data: bytes,
  };
}
