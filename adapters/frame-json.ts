import { fieldOffset, type PointCloud, type PointFieldType, type SensorFrame } from '../engine/core/frames.js';

/** One JSON-ready object per frame, in the proto3 JSON manner: stamps as decimal strings of nanoseconds. */
export function frameToJson(frame: SensorFrame, full = false): Record<string, unknown> {
  const base = { sensorId: frame.sensorId, frameId: frame.frameId, stamp: frame.stamp.toString(), receivedAt: frame.receivedAt.toString(), seq: frame.seq };
  switch (frame.modality) {
    case 'gnss':
      return {
        type: 'gnss', ...base, latitude: frame.latitude, longitude: frame.longitude, altitude: frame.altitudeMsl,
        geoidSeparation: frame.geoidSeparation, fixType: frame.fixType, satellites: frame.satellites, hdop: frame.hdop,
        speed: frame.speed, track: frame.track, heading: frame.heading,
      };
    case 'lidar': {
      const out: Record<string, unknown> = {
        type: 'pointcloud', ...base, count: frame.count, stride: frame.stride,
        fields: frame.fields.map((f) => ({ name: f.name, offset: f.offset, type: f.type })), bounds: bounds(frame),
      };
      if (full) out.points = points(frame);
      return out;
    }
    case 'radar':
      return { type: 'radar', ...base, targets: frame.targets };
    case 'audio':
      return { type: 'audio', ...base, samples: frame.samples.length / frame.channels, sampleRate: frame.sampleRate, channels: frame.channels };
    case 'camera':
      return { type: 'image', ...base, width: frame.width, height: frame.height, encoding: frame.encoding, bytes: frame.data.length };
  }
}

function reader(cloud: PointCloud, type: PointFieldType): (view: DataView, at: number) => number {
  switch (type) {
    case 'int8': return (v, at) => v.getInt8(at);
    case 'uint8': return (v, at) => v.getUint8(at);
    case 'int16': return (v, at) => v.getInt16(at, true);
    case 'uint16': return (v, at) => v.getUint16(at, true);
    case 'int32': return (v, at) => v.getInt32(at, true);
    case 'uint32': return (v, at) => v.getUint32(at, true);
    case 'float32': return (v, at) => v.getFloat32(at, true);
    case 'float64': return (v, at) => v.getFloat64(at, true);
  }
}

/** Per-axis min and max of x, y, z over the points (NaN-free points only); null when there are none. */
function bounds(cloud: PointCloud): { min: number[]; max: number[] } | null {
  const offsets = ['x', 'y', 'z'].map((n) => fieldOffset(cloud, n));
  if (offsets.some((o) => o === undefined) || cloud.count === 0) return null;
  const read = ['x', 'y', 'z'].map((n) => reader(cloud, cloud.fields.find((f) => f.name === n)!.type));
  const view = new DataView(cloud.data.buffer, cloud.data.byteOffset, cloud.data.byteLength);
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < cloud.count; i++) {
    for (let a = 0; a < 3; a++) {
      const v = read[a](view, i * cloud.stride + offsets[a]!);
      if (!Number.isFinite(v)) continue;
      if (v < min[a]) min[a] = v;
      if (v > max[a]) max[a] = v;
    }
  }
  return min[0] === Infinity ? null : { min, max };
}

/** Every point as an array of its field values, in field order. */
function points(cloud: PointCloud): number[][] {
  const view = new DataView(cloud.data.buffer, cloud.data.byteOffset, cloud.data.byteLength);
  const readers = cloud.fields.map((f) => ({ at: f.offset, read: reader(cloud, f.type) }));
  const out: number[][] = [];
  for (let i = 0; i < cloud.count; i++) out.push(readers.map((r) => r.read(view, i * cloud.stride + r.at)));
  return out;
}
