import { z } from 'zod';
import type { PointCloud, PointField, PointFieldType } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { lzfDecompress } from './lzf.js';

/**
 * PCL's PCD files (v0.7, also the 0.6 headers without COUNT): a text header, then the points as
 * ascii, binary (point-major, packed, little-endian) or binary_compressed (u32 compressed size,
 * u32 size, LZF of the field-major data). Any FIELDS/SIZE/TYPE/COUNT becomes a PointCloud whose
 * declared fields match, packed in the file's order; COUNT > 1 expands to name_0, name_1, ...;
 * PCL's padding fields ("_") keep their bytes but are not declared. 64-bit integers have no
 * PointFieldType and are refused. The file carries no time: the stamp is the push's receivedAt.
 */

export const DEFAULT_MAX_PCD_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_PCD_POINTS = 20_000_000;
const MAX_HEADER_BYTES = 65_536;
const MAX_FIELDS = 1024;

export const pcdDecoderOptionsSchema = z
  .object({
    maxFileBytes: z.number().int().min(1).max(2 ** 31).optional(),
    maxPoints: z.number().int().min(1).max(1e9).optional(),
  })
  .strict();

export interface PcdDecoderOptions extends FrameIdentity {
  maxFileBytes?: number;
  maxPoints?: number;
  onIssue?: OnDecodeIssue;
}

export type PcdEncoding = 'ascii' | 'binary' | 'binary_compressed';

export interface PcdHeader {
  readonly version: string;
  readonly fields: readonly { name: string; size: number; type: 'I' | 'U' | 'F'; count: number }[];
  readonly width: number;
  readonly height: number;
  /** tx ty tz qw qx qy qz */
  readonly viewpoint: readonly number[];
  readonly points: number;
  readonly encoding: PcdEncoding;
  /** Offset of the first data byte. */
  readonly dataOffset: number;
}

export interface PcdPoints {
  readonly header: PcdHeader;
  readonly fields: readonly PointField[];
  readonly stride: number;
  readonly count: number;
  /** Point-major, packed as declared. */
  readonly data: Uint8Array;
  /** Set when fewer points than declared could be read (the rest of the file is missing or bad). */
  readonly shortBy: number;
}

export type PcdResult = { ok: true; value: PcdPoints } | { ok: false; code: string; message: string };

const TYPE_OF: Record<string, PointFieldType> = {
  I1: 'int8',
  I2: 'int16',
  I4: 'int32',
  U1: 'uint8',
  U2: 'uint16',
  U4: 'uint32',
  F4: 'float32',
  F8: 'float64',
};

function fail(code: string, message: string): PcdResult {
  return { ok: false, code, message };
}

function parseHeader(bytes: Uint8Array): PcdHeader | PcdResult {
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, limit));
  const values: Record<string, string[]> = {};
  let pos = 0;
  let dataOffset = -1;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).replace(/\r$/, '').trim();
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    const key = parts[0].toUpperCase();
    values[key] = parts.slice(1);
    if (key === 'DATA') {
      dataOffset = Math.min(pos, bytes.length);
      break;
    }
  }
  if (dataOffset < 0) return fail('bad-header', bytes.length > MAX_HEADER_BYTES ? `no DATA line in the first ${MAX_HEADER_BYTES} bytes` : 'no DATA line');
  const need = (k: string) => values[k] ?? [];
  const names = need('FIELDS');
  const sizes = need('SIZE').map(Number);
  const types = need('TYPE').map((t) => t.toUpperCase());
  const counts = values.COUNT ? values.COUNT.map(Number) : names.map(() => 1);
  if (names.length === 0 || names.length > MAX_FIELDS) return fail('bad-header', `FIELDS lists ${names.length} fields`);
  if (sizes.length !== names.length || types.length !== names.length || counts.length !== names.length) {
    return fail('bad-header', `FIELDS (${names.length}), SIZE (${sizes.length}), TYPE (${types.length}) and COUNT (${counts.length}) differ in length`);
  }
  const fields: { name: string; size: number; type: 'I' | 'U' | 'F'; count: number }[] = [];
  for (let i = 0; i < names.length; i++) {
    const type = types[i];
    if (type !== 'I' && type !== 'U' && type !== 'F') return fail('bad-header', `TYPE ${type} of ${names[i]}`);
    if (!TYPE_OF[`${type}${sizes[i]}`]) return fail('unsupported-type', `${names[i]}: TYPE ${type} SIZE ${sizes[i]} has no point field type`);
    if (!Number.isInteger(counts[i]) || counts[i] < 1 || counts[i] > 65_536) return fail('bad-header', `COUNT ${counts[i]} of ${names[i]}`);
    fields.push({ name: names[i], size: sizes[i], type, count: counts[i] });
  }
  const width = Number(need('WIDTH')[0]);
  const height = values.HEIGHT ? Number(values.HEIGHT[0]) : 1;
  const points = values.POINTS ? Number(values.POINTS[0]) : width * height;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || !Number.isSafeInteger(points) || width < 0 || height < 0 || points < 0) {
    return fail('bad-header', `WIDTH ${values.WIDTH?.[0]}, HEIGHT ${values.HEIGHT?.[0]}, POINTS ${values.POINTS?.[0]}`);
  }
  if (width * height !== points) return fail('bad-header', `WIDTH × HEIGHT = ${width * height} but POINTS ${points}`);
  const encoding = (need('DATA')[0] ?? '').toLowerCase();
  if (encoding !== 'ascii' && encoding !== 'binary' && encoding !== 'binary_compressed') return fail('bad-header', `DATA ${encoding}`);
  const viewpoint = values.VIEWPOINT ? values.VIEWPOINT.map(Number) : [0, 0, 0, 1, 0, 0, 0];
  return { version: need('VERSION')[0] ?? '', fields, width, height, viewpoint, points, encoding, dataOffset };
}

function layout(header: PcdHeader): { fields: PointField[]; stride: number; offsets: number[] } {
  const fields: PointField[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const f of header.fields) {
    offsets.push(offset);
    const type = TYPE_OF[`${f.type}${f.size}`];
    for (let c = 0; c < f.count; c++) {
      if (f.name !== '_') fields.push(Object.freeze({ name: f.count > 1 ? `${f.name}_${c}` : f.name, offset: offset + c * f.size, type }));
    }
    offset += f.size * f.count;
  }
  return { fields, stride: offset, offsets };
}

const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
};

function readAscii(bytes: Uint8Array, header: PcdHeader, stride: number, maxPoints: number): { data: Uint8Array; count: number; error?: string } {
  const text = new TextDecoder('latin1').decode(bytes.subarray(header.dataOffset));
  // Every element of every field, padding included, in file order.
  const elements: { type: PointFieldType; offset: number }[] = [];
  let offset = 0;
  for (const f of header.fields) {
    const type = TYPE_OF[`${f.type}${f.size}`];
    for (let c = 0; c < f.count; c++) elements.push({ type, offset: offset + c * f.size });
    offset += f.size * f.count;
  }
  const points = Math.min(header.points, maxPoints);
  const data = new Uint8Array(points * stride);
  const dv = new DataView(data.buffer);
  let count = 0;
  let pos = 0;
  while (count < points && pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const tokens = line.split(/\s+/);
    if (tokens.length !== elements.length) return { data, count, error: `point ${count}: ${tokens.length} values, ${elements.length} expected` };
    const o = count * stride;
    for (let e = 0; e < elements.length; e++) {
      const { type, offset: at } = elements[e];
      const token = tokens[e];
      if (type === 'float32' || type === 'float64') {
        const v = /^[-+]?nan$/i.test(token) ? NaN : Number(token);
        if (Number.isNaN(v) && !/nan/i.test(token)) return { data, count, error: `point ${count}: "${token}" is not a number` };
        if (type === 'float32') dv.setFloat32(o + at, v, true);
        else dv.setFloat64(o + at, v, true);
      } else {
        const v = Number(token);
        const [lo, hi] = INT_RANGE[type];
        if (!Number.isInteger(v) || v < lo || v > hi) return { data, count, error: `point ${count}: "${token}" is not a ${type}` };
        if (type === 'int8') dv.setInt8(o + at, v);
        else if (type === 'uint8') dv.setUint8(o + at, v);
        else if (type === 'int16') dv.setInt16(o + at, v, true);
        else if (type === 'uint16') dv.setUint16(o + at, v, true);
        else if (type === 'int32') dv.setInt32(o + at, v, true);
        else dv.setUint32(o + at, v, true);
      }
    }
    count++;
  }
  return { data, count };
}

/** A whole PCD file → its points, or a coded error. Never throws on bad bytes. */
export function parsePcd(bytes: Uint8Array, limits: { maxPoints?: number } = {}): PcdResult {
  const maxPoints = limits.maxPoints ?? DEFAULT_MAX_PCD_POINTS;
  const header = parseHeader(bytes);
  if ('ok' in header) return header;
  const { fields, stride, offsets } = layout(header);
  if (header.points > maxPoints) return fail('too-many-points', `${header.points} points; at most ${maxPoints}`);
  if (stride === 0) return fail('bad-header', 'points of 0 bytes');
  const body = bytes.subarray(header.dataOffset);
  const declared = header.points * stride;
  if (header.encoding === 'ascii') {
    const { data, count, error } = readAscii(bytes, header, stride, maxPoints);
    if (error) return fail('bad-value', error);
    return { ok: true, value: { header, fields, stride, count, data: data.subarray(0, count * stride), shortBy: header.points - count } };
  }
  if (header.encoding === 'binary') {
    const count = Math.min(header.points, Math.floor(body.length / stride));
    return { ok: true, value: { header, fields, stride, count, data: body.slice(0, count * stride), shortBy: header.points - count } };
  }
  if (body.length < 8) return fail('truncated', 'binary_compressed data without its two sizes');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const compressedSize = dv.getUint32(0, true);
  const size = dv.getUint32(4, true);
  if (size !== declared) return fail('bad-size', `uncompressed size ${size}, the header declares ${header.points} × ${stride} = ${declared}`);
  if (compressedSize > body.length - 8) return fail('truncated', `compressed size ${compressedSize}, ${body.length - 8} bytes present`);
  const unpacked = lzfDecompress(body.subarray(8, 8 + compressedSize), size);
  if (!unpacked.ok) return fail('bad-compression', unpacked.message);
  // Field-major (all points' values of field 0, then of field 1, ...) → point-major.
  const src = unpacked.data;
  const data = new Uint8Array(declared);
  let block = 0;
  header.fields.forEach((f, i) => {
    const width = f.size * f.count;
    const at = offsets[i];
    for (let p = 0; p < header.points; p++) data.set(src.subarray(block + p * width, block + (p + 1) * width), p * stride + at);
    block += width * header.points;
  });
  return { ok: true, value: { header, fields, stride, count: header.points, data, shortBy: 0 } };
}

export function createPcdDecoder(options: PcdDecoderOptions): FrameDecoder<PointCloud> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_PCD_BYTES;
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_PCD_POINTS;
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1) throw new Error(`maxFileBytes: a positive integer, got ${maxFileBytes}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new Error(`maxPoints: a positive integer, got ${maxPoints}`);
  const stats = new DecoderStatsCounter(options.onIssue);
  const frameId = options.frameId ?? options.sensorId;
  let seq = 0;
  return {
    framing: 'file',
    push(bytes: Uint8Array, receivedAt: Nanos): PointCloud[] {
      if (bytes.length > maxFileBytes) {
        stats.issue('file-too-large', `PCD of ${bytes.length} bytes; at most ${maxFileBytes}`);
        return [];
      }
      const result = parsePcd(bytes, { maxPoints });
      if (!result.ok) {
        stats.issue(result.code, result.message);
        return [];
      }
      const v = result.value;
      if (v.shortBy > 0) stats.issue('truncated', `${v.shortBy} of ${v.header.points} declared points missing`);
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
          fields: v.fields,
          stride: v.stride,
          count: v.count,
          data: v.data,
        }),
      ];
    },
    flush: () => [],
    stats,
  };
}
