import type { PointCloud, PointField } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';

/** Packed float32 fields in the given order: offsets 0, 4, 8, ... */
export function float32Fields(names: readonly string[]): readonly PointField[] {
  return Object.freeze(names.map((name, i) => Object.freeze({ name, offset: 4 * i, type: 'float32' as const })));
}

export interface CloudMeta {
  sensorId: string;
  frameId: string;
  stamp: Nanos;
  receivedAt: Nanos;
  seq: number;
}

/** A PointCloud owning a copy of the first `count` points of `points` (a reused work buffer). */
export function cloudFromFloats(meta: CloudMeta, fields: readonly PointField[], points: Float32Array, count: number): PointCloud {
  const floatsPerPoint = fields.length;
  const bytes = count * floatsPerPoint * 4;
  // Uninitialised storage of its own (a sweep is ~1 MB): zero-filling it first would only be overwritten.
  const storage = Buffer.allocUnsafeSlow(bytes);
  const data = new Uint8Array(storage.buffer, storage.byteOffset, bytes);
  data.set(new Uint8Array(points.buffer, points.byteOffset, bytes));
  return Object.freeze({
    modality: 'lidar' as const,
    sensorId: meta.sensorId,
    frameId: meta.frameId,
    stamp: meta.stamp,
    receivedAt: meta.receivedAt,
    seq: meta.seq,
    fields,
    stride: floatsPerPoint * 4,
    count,
    data,
  });
}

/** Work buffer that grows by doubling up to a fixed number of points. */
export class GrowableFloats {
  buffer: Float32Array;
  constructor(
    readonly floatsPerPoint: number,
    initialPoints: number,
    readonly maxPoints: number,
  ) {
    this.buffer = new Float32Array(Math.min(initialPoints, maxPoints) * floatsPerPoint);
  }
  get capacityPoints(): number {
    return this.buffer.length / this.floatsPerPoint;
  }
  /** Makes room for `points` points; false when that would pass maxPoints. */
  ensure(points: number): boolean {
    if (points <= this.capacityPoints) return true;
    if (points > this.maxPoints) return false;
    let cap = Math.max(1, this.capacityPoints);
    while (cap < points) cap *= 2;
    cap = Math.min(cap, this.maxPoints);
    const next = new Float32Array(cap * this.floatsPerPoint);
    next.set(this.buffer);
    this.buffer = next;
    return true;
  }
}
