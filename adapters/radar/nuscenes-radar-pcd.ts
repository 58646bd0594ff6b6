import { z } from 'zod';
import type { RadarScan, RadarTarget } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';

/**
 * nuScenes radar point clouds (Continental ARS408 clusters): a PCD v0.7 file with an ASCII header
 * and a binary body, as read by nuscenes-devkit's RadarPointCloud.from_file
 * (nutonomy/nuscenes-devkit, python-sdk/nuscenes/utils/data_classes.py):
 *
 *   FIELDS x y z dyn_prop id rcs vx vy vx_comp vy_comp is_quality_valid ambig_state x_rms y_rms invalid_state pdh0 vx_rms vy_rms
 *   SIZE   4 4 4 1 2 4 4 4 4 4 1 1 1 1 1 1 1 1
 *   TYPE   F F F I I F F F F F I I I I I I I I        (43 bytes a point, little-endian, packed)
 *   HEIGHT 1, DATA binary
 *
 * Fields are found by name from the header, so any order the header declares is honoured. x is
 * forward and y left in the radar frame. Doppler = the radial component of the ego-motion-compensated
 * velocity (vx_comp, vy_comp): (vx·x + vy·y) / |(x, y, z)|. rcs in dBsm; SNR is not recorded (NaN).
 * Filtering follows the devkit's defaults unless told otherwise: keep invalid_state ∈ {0},
 * dyn_prop ∈ 0..7, ambig_state ∈ {3}. As in the devkit, a NaN in the first point means an empty cloud.
 * A file carries no time in its bytes (nuScenes puts it in the file name: nuscenesRadarStamp);
 * scans are stamped with the push's receivedAt unless `stamp` is given per file.
 */

export const NUSCENES_RADAR_FIELDS = [
  'x', 'y', 'z', 'dyn_prop', 'id', 'rcs', 'vx', 'vy', 'vx_comp', 'vy_comp',
  'is_quality_valid', 'ambig_state', 'x_rms', 'y_rms', 'invalid_state', 'pdh0', 'vx_rms', 'vy_rms',
] as const;
export const NUSCENES_RADAR_POINT_BYTES = 43;
const MAX_HEADER_BYTES = 4096;
export const NUSCENES_RADAR_MAX_FILE = 4 * 1024 * 1024;
export const NUSCENES_RADAR_MAX_POINTS = 65536;

export interface NuscenesRadarFilter {
  invalidStates: readonly number[];
  dynPropStates: readonly number[];
  ambigStates: readonly number[];
}

/** nuscenes-devkit RadarPointCloud's class defaults. */
export const NUSCENES_DEVKIT_FILTER: NuscenesRadarFilter = { invalidStates: [0], dynPropStates: [0, 1, 2, 3, 4, 5, 6, 7], ambigStates: [3] };

export interface NuscenesRadarPoint {
  readonly values: Readonly<Record<string, number>>;
  readonly target: RadarTarget;
}

type ParseResult = { ok: true; points: NuscenesRadarPoint[]; total: number } | { ok: false; code: string; message: string };

interface FieldLayout { name: string; offset: number; size: number; type: string }

function reader(view: DataView, f: FieldLayout): ((o: number) => number) | undefined {
  const key = `${f.type}${f.size}`;
  switch (key) {
    case 'F4': return (o) => view.getFloat32(o + f.offset, true);
    case 'F8': return (o) => view.getFloat64(o + f.offset, true);
    case 'I1': return (o) => view.getInt8(o + f.offset);
    case 'I2': return (o) => view.getInt16(o + f.offset, true);
    case 'I4': return (o) => view.getInt32(o + f.offset, true);
    case 'U1': return (o) => view.getUint8(o + f.offset);
    case 'U2': return (o) => view.getUint16(o + f.offset, true);
    case 'U4': return (o) => view.getUint32(o + f.offset, true);
  }
  return undefined;
}

/** Parses one radar .pcd file; pure, never throws on content. */
/** `filter` null keeps every point. */
export function parseNuscenesRadarPcd(bytes: Uint8Array, filter: NuscenesRadarFilter | null = NUSCENES_DEVKIT_FILTER): ParseResult {
  if (bytes.length > NUSCENES_RADAR_MAX_FILE) return { ok: false, code: 'too-large', message: `file of ${bytes.length} bytes; at most ${NUSCENES_RADAR_MAX_FILE}` };
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, MAX_HEADER_BYTES)));
  const header: Record<string, string[]> = {};
  let bodyStart = -1;
  let at = 0;
  while (at < head.length) {
    const nl = head.indexOf('\n', at);
    if (nl < 0) break;
    const line = head.slice(at, nl).trim();
    at = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    header[key.toUpperCase()] = rest;
    if (key.toUpperCase() === 'DATA') {
      bodyStart = at;
      break;
    }
  }
  if (bodyStart < 0) return { ok: false, code: 'bad-header', message: `no DATA line in the first ${MAX_HEADER_BYTES} bytes` };
  const fields = header.FIELDS ?? [];
  const sizes = (header.SIZE ?? []).map(Number);
  const types = (header.TYPE ?? []).map((t) => t.toUpperCase());
  const counts = (header.COUNT ?? fields.map(() => '1')).map(Number);
  if (header.DATA[0] !== 'binary') return { ok: false, code: 'unsupported-data', message: `DATA ${header.DATA[0] ?? '(none)'}; nuScenes radar files are binary` };
  if (fields.length === 0 || sizes.length !== fields.length || types.length !== fields.length || counts.length !== fields.length) {
    return { ok: false, code: 'bad-header', message: 'FIELDS, SIZE, TYPE and COUNT must list the same number of entries' };
  }
  if (counts.some((c) => c !== 1)) return { ok: false, code: 'bad-header', message: 'COUNT other than 1 is not supported (as in the devkit)' };
  const width = Number(header.WIDTH?.[0]);
  const height = Number(header.HEIGHT?.[0] ?? 1);
  const declared = Number(header.POINTS?.[0] ?? width * height);
  if (!Number.isInteger(width) || width < 0 || height !== 1 || declared !== width) {
    return { ok: false, code: 'bad-header', message: `WIDTH ${header.WIDTH?.[0]}, HEIGHT ${height}, POINTS ${header.POINTS?.[0]}: expected HEIGHT 1 and POINTS = WIDTH` };
  }
  if (width > NUSCENES_RADAR_MAX_POINTS) return { ok: false, code: 'too-large', message: `${width} points; at most ${NUSCENES_RADAR_MAX_POINTS}` };
  const layout: FieldLayout[] = [];
  let stride = 0;
  for (let i = 0; i < fields.length; i++) {
    layout.push({ name: fields[i], offset: stride, size: sizes[i], type: types[i] });
    stride += sizes[i];
  }
  for (const need of ['x', 'y', 'z', 'rcs', 'vx_comp', 'vy_comp']) {
    if (!layout.some((f) => f.name === need)) return { ok: false, code: 'bad-header', message: `no field ${need}` };
  }
  const body = bytes.subarray(bodyStart);
  if (body.length < width * stride) return { ok: false, code: 'truncated', message: `${width} points of ${stride} bytes need ${width * stride} bytes; the body holds ${body.length}` };
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const readers: [string, (o: number) => number][] = [];
  for (const f of layout) {
    const read = reader(view, f);
    if (!read) return { ok: false, code: 'bad-header', message: `field ${f.name}: TYPE ${f.type} SIZE ${f.size} is not supported` };
    readers.push([f.name, read]);
  }
  const points: NuscenesRadarPoint[] = [];
  for (let i = 0; i < width; i++) {
    const values: Record<string, number> = {};
    for (const [name, read] of readers) values[name] = read(i * stride);
    if (i === 0 && Object.values(values).some(Number.isNaN)) return { ok: true, points: [], total: 0 };
    if (filter) {
      if ('invalid_state' in values && !filter.invalidStates.includes(values.invalid_state)) continue;
      if ('dyn_prop' in values && !filter.dynPropStates.includes(values.dyn_prop)) continue;
      if ('ambig_state' in values && !filter.ambigStates.includes(values.ambig_state)) continue;
    }
    const { x, y, z, vx_comp: vx, vy_comp: vy } = values;
    if (![x, y, z, vx, vy].every(Number.isFinite)) continue;
    const range = Math.hypot(x, y, z);
    points.push({ values, target: { x, y, z, doppler: range > 0 ? (vx * x + vy * y) / range : 0, rcs: values.rcs, snr: Number.NaN } });
  }
  return { ok: true, points, total: width };
}

/** nuScenes names radar files `<log>__RADAR_FRONT__<µs since the epoch>.pcd`. */
export function nuscenesRadarStamp(fileName: string): Nanos | undefined {
  const m = /__(\d{16})\.pcd$/.exec(fileName);
  return m ? BigInt(m[1]) * 1000n : undefined;
}

export const nuscenesRadarDecoderOptionsSchema = z
  .object({
    sensorId: z.string().min(1),
    frameId: z.string().min(1).optional(),
    /** 'devkit': nuscenes-devkit's default filters; 'none': every point. */
    filter: z.enum(['devkit', 'none']).default('devkit'),
  })
  .strict();

export interface NuscenesRadarDecoderOptions extends FrameIdentity {
  filter?: 'devkit' | 'none' | NuscenesRadarFilter;
  onIssue?: OnDecodeIssue;
}

/** File framing: one push holds one whole .pcd file. */
export function createNuscenesRadarDecoder(options: NuscenesRadarDecoderOptions): FrameDecoder<RadarScan> & { pushFile(bytes: Uint8Array, receivedAt: Nanos, stamp?: Nanos): RadarScan[] } {
  if (!options.sensorId) throw new TypeError('createNuscenesRadarDecoder: sensorId is required');
  const f = options.filter ?? 'devkit';
  if (typeof f === 'string' && f !== 'devkit' && f !== 'none') throw new TypeError(`createNuscenesRadarDecoder: filter must be 'devkit', 'none' or a filter object`);
  const filter = f === 'devkit' ? NUSCENES_DEVKIT_FILTER : f === 'none' ? null : f;
  const stats = new DecoderStatsCounter(options.onIssue);
  const sensorId = options.sensorId;
  const frameId = options.frameId ?? sensorId;
  let seq = 0;
  const pushFile = (bytes: Uint8Array, receivedAt: Nanos, stamp?: Nanos): RadarScan[] => {
    const result = parseNuscenesRadarPcd(bytes, filter);
    if (!result.ok) {
      stats.issue(result.code, result.message);
      return [];
    }
    stats.accepted++;
    stats.frames++;
    return [{ modality: 'radar', sensorId, frameId, stamp: stamp ?? receivedAt, receivedAt, seq: seq++, targets: result.points.map((p) => p.target) }];
  };
  return {
    framing: 'file',
    stats,
    push: (bytes, receivedAt) => pushFile(bytes, receivedAt),
    pushFile,
    flush: () => [],
  };
}

/** Writes a radar .pcd in the nuScenes layout (fixtures built from the published field list). */
export function encodeNuscenesRadarPcd(points: readonly Partial<Record<(typeof NUSCENES_RADAR_FIELDS)[number], number>>[]): Uint8Array {
  const header =
    '# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\n' +
    `FIELDS ${NUSCENES_RADAR_FIELDS.join(' ')}\n` +
    'SIZE 4 4 4 1 2 4 4 4 4 4 1 1 1 1 1 1 1 1\nTYPE F F F I I F F F F F I I I I I I I I\nCOUNT 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n' +
    `WIDTH ${points.length}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS ${points.length}\nDATA binary\n`;
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(head.length + points.length * NUSCENES_RADAR_POINT_BYTES);
  out.set(head, 0);
  const view = new DataView(out.buffer);
  points.forEach((p, i) => {
    let o = head.length + i * NUSCENES_RADAR_POINT_BYTES;
    const v = (name: (typeof NUSCENES_RADAR_FIELDS)[number]) => p[name] ?? 0;
    for (const name of ['x', 'y', 'z'] as const) { view.setFloat32(o, v(name), true); o += 4; }
    view.setInt8(o, v('dyn_prop')); o += 1;
    view.setInt16(o, v('id'), true); o += 2;
    for (const name of ['rcs', 'vx', 'vy', 'vx_comp', 'vy_comp'] as const) { view.setFloat32(o, v(name), true); o += 4; }
    for (const name of ['is_quality_valid', 'ambig_state', 'x_rms', 'y_rms', 'invalid_state', 'pdh0', 'vx_rms', 'vy_rms'] as const) { view.setInt8(o, v(name)); o += 1; }
  });
  return out;
}
