import { z } from 'zod';
import type { PointCloud } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { parseOusterMetadata, type OusterSensorInfo } from './ouster-metadata.js';
import { cloudFromFloats, float32Fields, GrowableFloats } from './point-cloud.js';

/**
 * Ouster lidar packets (UDP 7502) → one PointCloud per frame (by the packets' frame_id), in two
 * steps: packets fill a staggered scan (rows = beams, columns = measurement ids, exactly the layout
 * of the SDK's LidarScan, so its field digests can be checked), then the scan becomes points:
 * XYZ by Ouster's documented formula through a per-pixel look-up table (direction and offset, as
 * the SDK's XYZLut), in the sensor frame (the metadata's lidar_to_sensor_transform applied), points
 * listed in destaggered column order (by azimuth), zero ranges dropped as no-returns.
 *
 * Fields: x, y, z (m), intensity = SIGNAL where the profile carries it (LEGACY), else REFLECTIVITY,
 * reflectivity, near_ir, ring (0 = lowest beam, as the Velodyne decoder numbers rings; Ouster's own
 * row index counts from the top), t (s after the frame stamp, from each column's timestamp).
 *
 * Stamps: column timestamps are the sensor's clock — Unix time under PTP or GPS sync, time since
 * boot otherwise. `timeSource: 'auto'` (default) takes the sensor's time when it is after 2001 and
 * the receive time of the frame's first packet otherwise.
 *
 * IMU packets (UDP 7503, 48 bytes) are ignored and counted in `imuPackets`.
 */

export type OusterTimeSource = 'auto' | 'sensor' | 'receipt';

export const ousterDecoderOptionsSchema = z
  .object({
    /** The sensor metadata JSON saved with the recording or read from the sensor. */
    metadataFile: z.string().min(1),
    minRange: z.number().min(0).max(10).optional(),
    maxRange: z.number().positive().max(1000).optional(),
    timeSource: z.enum(['auto', 'sensor', 'receipt']).optional(),
  })
  .strict();

export type OusterRigOptions = z.infer<typeof ousterDecoderOptionsSchema>;

export interface OusterDecoderOptions extends FrameIdentity {
  /** Parsed metadata, or the metadata JSON text. */
  metadata: OusterSensorInfo | string;
  /** Ranges below this (m) are dropped (default 0: only zero ranges, the sensor's no-return). */
  minRange?: number;
  /** Ranges above this (m) are dropped (default 500). */
  maxRange?: number;
  timeSource?: OusterTimeSource;
  onIssue?: OnDecodeIssue;
}

export const OUSTER_FIELDS = float32Fields(['x', 'y', 'z', 'intensity', 'reflectivity', 'near_ir', 'ring', 't']);
export const OUSTER_IMU_PACKET_BYTES = 48;
const UNIX_2001_NS = 978_307_200_000_000_000n;

/** One frame as the sensor measured it: staggered H×W images, row-major, column = measurement id. */
export interface OusterScan {
  /** The packets' frame_id (not a coordinate frame). */
  readonly frameId: number;
  readonly width: number;
  readonly height: number;
  /** mm */
  readonly range: Uint32Array;
  /** Zero where the profile has no signal. */
  readonly signal: Uint16Array;
  readonly reflectivity: Uint8Array;
  /** Scaled to 16 bits (8-bit profiles × 16, as the SDK). */
  readonly nearIr: Uint16Array;
  /** Per column: sensor timestamp (ns), measurement id, status; zero for columns not received. */
  readonly timestamp: BigUint64Array;
  readonly measurementId: Uint16Array;
  readonly status: Uint32Array;
  readonly columnsReceived: number;
  /** Receive time of the scan's first packet. */
  readonly firstReceivedAt: Nanos;
}

interface MutableScan extends OusterScan {
  columnsReceived: number;
  readonly seen: Uint8Array;
}

function newScan(info: OusterSensorInfo, frameId: number, receivedAt: Nanos): MutableScan {
  const w = info.columnsPerFrame;
  const n = w * info.pixelsPerColumn;
  return {
    frameId,
    width: w,
    height: info.pixelsPerColumn,
    range: new Uint32Array(n),
    signal: new Uint16Array(n),
    reflectivity: new Uint8Array(n),
    nearIr: new Uint16Array(n),
    timestamp: new BigUint64Array(w),
    measurementId: new Uint16Array(w),
    status: new Uint32Array(w),
    columnsReceived: 0,
    firstReceivedAt: receivedAt,
    seen: new Uint8Array(w),
  };
}

/** Packet size in bytes for the sensor's profile and shape. */
export function ousterPacketBytes(info: OusterSensorInfo): number {
  const h = info.pixelsPerColumn;
  return info.profile === 'LEGACY' ? info.columnsPerPacket * (16 + 12 * h + 4) : 32 + info.columnsPerPacket * (12 + 4 * h) + 32;
}

function windowColumns(info: OusterSensorInfo): number {
  const [a, b] = info.columnWindow;
  return a <= b ? b - a + 1 : info.columnsPerFrame - a + b + 1;
}

export interface OusterScanAssembler {
  /** Returns the scans completed by this packet (at most two: the previous frame and this one). */
  push(packet: Uint8Array, receivedAt: Nanos): OusterScan[];
  flush(): OusterScan[];
  readonly imuPackets: number;
}

/** Packets → staggered scans, by frame_id; a scan is complete when every column of the window came. */
export function createOusterScanAssembler(info: OusterSensorInfo, stats: DecoderStatsCounter): OusterScanAssembler {
  const packetBytes = ousterPacketBytes(info);
  const h = info.pixelsPerColumn;
  const w = info.columnsPerFrame;
  const expectedColumns = windowColumns(info);
  const legacy = info.profile === 'LEGACY';
  let current: MutableScan | undefined;
  let lastCompletedFrame = -1;
  let imuPackets = 0;

  function finish(out: OusterScan[]): void {
    if (current && current.columnsReceived > 0) {
      if (current.columnsReceived < expectedColumns) {
        stats.issue('incomplete-frame', `frame ${current.frameId}: ${current.columnsReceived} of ${expectedColumns} columns`);
      }
      lastCompletedFrame = current.frameId;
      out.push(current);
    }
    current = undefined;
  }

  function push(p: Uint8Array, receivedAt: Nanos): OusterScan[] {
    if (p.length !== packetBytes) {
      if (p.length === OUSTER_IMU_PACKET_BYTES) imuPackets++;
      else stats.issue('bad-length', `${p.length} bytes; a ${info.profile} packet of this sensor has ${packetBytes}`);
      return [];
    }
    const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    let packetFrame = -1;
    if (!legacy) {
      const type = dv.getUint16(0, true);
      if (type !== 1) {
        stats.issue('bad-packet-type', `packet type ${type}, lidar data is 1`);
        return [];
      }
      packetFrame = dv.getUint16(2, true);
      const initId = p[4] | (p[5] << 8) | (p[6] << 16);
      if (info.initializationId !== undefined && initId !== info.initializationId) {
        stats.issue('init-id-mismatch', `packet init_id ${initId}, metadata ${info.initializationId}: metadata of another session`);
        return [];
      }
    } else {
      packetFrame = dv.getUint16(10, true);
    }
    const out: OusterScan[] = [];
    if (current && current.frameId !== packetFrame) finish(out);
    if (!current) {
      if (packetFrame === lastCompletedFrame) {
        stats.issue('late-packet', `packet of frame ${packetFrame} after that frame was emitted`);
        return out;
      }
      current = newScan(info, packetFrame, receivedAt);
    }
    const scan = current;
    const colBytes = legacy ? 16 + 12 * h + 4 : 12 + 4 * h;
    const base = legacy ? 0 : 32;
    let good = 0;
    for (let c = 0; c < info.columnsPerPacket; c++) {
      const o = base + c * colBytes;
      const mid = dv.getUint16(o + 8, true);
      let status: number;
      if (legacy) {
        if (dv.getUint16(o + 10, true) !== packetFrame) {
          stats.issue('bad-column', `column ${c} of frame ${dv.getUint16(o + 10, true)} in a packet of frame ${packetFrame}`);
          continue;
        }
        status = dv.getUint32(o + 16 + 12 * h, true);
      } else {
        status = dv.getUint16(o + 10, true);
      }
      if (mid >= w) {
        stats.issue('bad-column', `measurement id ${mid} of ${w} columns`);
        continue;
      }
      // LEGACY marks a valid column with all ones, the other profiles with bit 0.
      const valid = legacy ? status === 0xffffffff : (status & 1) === 1;
      if (!valid) continue;
      if (scan.seen[mid]) {
        stats.issue('duplicate-column', `measurement id ${mid} twice in frame ${packetFrame}`);
        continue;
      }
      scan.seen[mid] = 1;
      scan.columnsReceived++;
      scan.timestamp[mid] = dv.getBigUint64(o, true);
      scan.measurementId[mid] = mid;
      scan.status[mid] = status;
      good++;
      if (legacy) {
        for (let u = 0, q = o + 16; u < h; u++, q += 12) {
          const i = u * w + mid;
          scan.range[i] = dv.getUint32(q, true) & 0xfffff;
          scan.reflectivity[i] = p[q + 4];
          scan.signal[i] = dv.getUint16(q + 6, true);
          scan.nearIr[i] = dv.getUint16(q + 8, true);
        }
      } else {
        for (let u = 0, q = o + 12; u < h; u++, q += 4) {
          const i = u * w + mid;
          scan.range[i] = ((p[q] | (p[q + 1] << 8)) & 0x7fff) * 8;
          scan.reflectivity[i] = p[q + 2];
          scan.nearIr[i] = p[q + 3] << 4;
        }
      }
    }
    if (good > 0) stats.accepted++;
    if (scan.columnsReceived >= expectedColumns) finish(out);
    return out;
  }

  return {
    push,
    flush(): OusterScan[] {
      const out: OusterScan[] = [];
      finish(out);
      return out;
    },
    get imuPackets() {
      return imuPackets;
    },
  };
}

/** Rolls each row right by its pixel shift: destaggered[u][v] = staggered[u][(v − shift[u]) mod W]. */
export function destagger<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(image: T, info: OusterSensorInfo): T {
  const w = info.columnsPerFrame;
  const out = new (image.constructor as new (n: number) => T)(image.length);
  for (let u = 0; u < info.pixelsPerColumn; u++) {
    const shift = ((info.pixelShiftByRow[u] % w) + w) % w;
    for (let v = 0; v < w; v++) out[u * w + v] = image[u * w + ((v - shift + w) % w)];
  }
  return out;
}

/** Per pixel (row-major, staggered columns): unit direction and offset (m) in the sensor frame. */
export interface OusterXyzLut {
  readonly direction: Float32Array;
  readonly offset: Float32Array;
}

/**
 * The documented range-to-XYZ model: θ_enc = 2π(1 − m/W), θ_az = −azimuth_angle, φ = altitude_angle,
 * x = (r − n)·cos(θ_enc + θ_az)·cos φ + n·cos θ_enc, y likewise with sin, z = (r − n)·sin φ, where n
 * is the beam origin's distance from the lidar origin; then lidar_to_sensor_transform.
 */
export function makeOusterXyzLut(info: OusterSensorInfo): OusterXyzLut {
  const w = info.columnsPerFrame;
  const h = info.pixelsPerColumn;
  const direction = new Float32Array(w * h * 3);
  const offset = new Float32Array(w * h * 3);
  const bx = info.beamOriginXMm;
  const bz = info.beamOriginZMm;
  const n = Math.hypot(bx, bz);
  const T = info.lidarToSensorTransform;
  const rad = Math.PI / 180;
  for (let u = 0; u < h; u++) {
    const az = -info.beamAzimuthAngles[u] * rad;
    const alt = info.beamAltitudeAngles[u] * rad;
    for (let m = 0; m < w; m++) {
      const enc = 2 * Math.PI * (1 - m / w);
      const dx = Math.cos(enc + az) * Math.cos(alt);
      const dy = Math.sin(enc + az) * Math.cos(alt);
      const dz = Math.sin(alt);
      const ox = Math.cos(enc) * bx - dx * n;
      const oy = Math.sin(enc) * bx - dy * n;
      const oz = -dz * n + bz;
      const i = (u * w + m) * 3;
      direction[i] = T[0] * dx + T[1] * dy + T[2] * dz;
      direction[i + 1] = T[4] * dx + T[5] * dy + T[6] * dz;
      direction[i + 2] = T[8] * dx + T[9] * dy + T[10] * dz;
      // mm → m
      offset[i] = (T[0] * ox + T[1] * oy + T[2] * oz + T[3]) / 1000;
      offset[i + 1] = (T[4] * ox + T[5] * oy + T[6] * oz + T[7]) / 1000;
      offset[i + 2] = (T[8] * ox + T[9] * oy + T[10] * oz + T[11]) / 1000;
    }
  }
  return { direction, offset };
}

export interface OusterDecoder extends FrameDecoder<PointCloud> {
  readonly info: OusterSensorInfo;
  readonly imuPackets: number;
}

export function createOusterDecoder(options: OusterDecoderOptions): OusterDecoder {
  const info = typeof options.metadata === 'string' ? parseOusterMetadata(options.metadata, 'metadata') : options.metadata;
  if (!info || typeof info !== 'object' || !Array.isArray(info.beamAltitudeAngles)) throw new Error('metadata: an OusterSensorInfo or metadata JSON text');
  const minRange = options.minRange ?? 0;
  const maxRange = options.maxRange ?? 500;
  if (!(minRange >= 0 && maxRange > minRange)) throw new Error(`minRange/maxRange: need 0 ≤ minRange < maxRange, got ${minRange}, ${maxRange}`);
  const timeSource = options.timeSource ?? 'auto';
  if (!['auto', 'sensor', 'receipt'].includes(timeSource)) throw new Error(`timeSource: 'auto', 'sensor' or 'receipt', got ${String(timeSource)}`);
  const sensorId = options.sensorId;
  const frameId = options.frameId ?? sensorId;
  const stats = new DecoderStatsCounter(options.onIssue);
  const assembler = createOusterScanAssembler(info, stats);
  const lut = makeOusterXyzLut(info);
  const h = info.pixelsPerColumn;
  const w = info.columnsPerFrame;
  const useSignal = info.profile === 'LEGACY';
  // Ring = rank by altitude, lowest first.
  const ringOfRow = new Float32Array(h);
  [...info.beamAltitudeAngles.keys()]
    .sort((a, b) => info.beamAltitudeAngles[a] - info.beamAltitudeAngles[b] || b - a)
    .forEach((row, ring) => (ringOfRow[row] = ring));
  const shift = info.pixelShiftByRow.map((s) => ((s % w) + w) % w);
  const points = new GrowableFloats(OUSTER_FIELDS.length, w * h, w * h);
  const minMm = minRange * 1000;
  const maxMm = maxRange * 1000;
  let seq = 0;

  function toCloud(scan: OusterScan, receivedAt: Nanos): PointCloud | undefined {
    // The frame's reference time: its earliest received column.
    let first: bigint | undefined;
    for (let m = 0; m < w; m++) {
      if (scan.status[m] !== 0 && (first === undefined || scan.timestamp[m] < first)) first = scan.timestamp[m];
    }
    if (first === undefined) return undefined;
    const columnT = new Float64Array(w);
    for (let m = 0; m < w; m++) columnT[m] = scan.status[m] !== 0 ? Number(scan.timestamp[m] - first) / 1e9 : 0;
    const sensorTime = timeSource === 'sensor' || (timeSource === 'auto' && first >= UNIX_2001_NS);
    const stamp = sensorTime ? first : scan.firstReceivedAt;
    const buf = points.buffer;
    const { direction, offset } = lut;
    let k = 0;
    for (let v = 0; v < w; v++) {
      for (let u = 0; u < h; u++) {
        const m = (v - shift[u] + w) % w;
        const i = u * w + m;
        const r = scan.range[i];
        if (r === 0 || r < minMm || r > maxMm) continue;
        const rm = r / 1000;
        const j = i * 3;
        buf[k] = direction[j] * rm + offset[j];
        buf[k + 1] = direction[j + 1] * rm + offset[j + 1];
        buf[k + 2] = direction[j + 2] * rm + offset[j + 2];
        buf[k + 3] = useSignal ? scan.signal[i] : scan.reflectivity[i];
        buf[k + 4] = scan.reflectivity[i];
        buf[k + 5] = scan.nearIr[i];
        buf[k + 6] = ringOfRow[u];
        buf[k + 7] = columnT[m];
        k += 8;
      }
    }
    stats.frames++;
    return cloudFromFloats({ sensorId, frameId, stamp, receivedAt, seq: seq++ }, OUSTER_FIELDS, buf, k / 8);
  }

  let lastReceivedAt: Nanos = 0n;
  function convert(scans: OusterScan[], receivedAt: Nanos): PointCloud[] {
    const out: PointCloud[] = [];
    for (const s of scans) {
      const cloud = toCloud(s, receivedAt);
      if (cloud) out.push(cloud);
    }
    return out;
  }

  return {
    framing: 'datagram',
    push(bytes: Uint8Array, receivedAt: Nanos): PointCloud[] {
      lastReceivedAt = receivedAt;
      return convert(assembler.push(bytes, receivedAt), receivedAt);
    },
    flush(): PointCloud[] {
      return convert(assembler.flush(), lastReceivedAt);
    },
    stats,
    info,
    get imuPackets() {
      return assembler.imuPackets;
    },
  };
}
