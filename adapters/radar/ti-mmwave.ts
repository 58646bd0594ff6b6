import { z } from 'zod';
import type { RadarScan, RadarTarget } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';

/**
 * TI mmWave out-of-box demo output on the data UART (mmWave SDK 3.x, xWR16xx/18xx/68xx), as
 * documented in TI's "Understanding the Out of Box Demo Data Output" (mmwave_industrial_toolbox,
 * labs/Out_Of_Box_Demo/docs/understanding_oob_uart_data.html) and the SDK's mmw demo docs. All
 * little-endian:
 *
 *   frame header, 40 bytes: magic word u16 ×4 = 0x0102 0x0304 0x0506 0x0708, version u32,
 *     totalPacketLen u32 (header included), platform u32, frameNumber u32, timeCpuCycles u32,
 *     numDetectedObj u32, numTLVs u32, subFrameNumber u32
 *   then numTLVs × { type u32, length u32 (payload bytes), payload }; padding up to totalPacketLen.
 *   TLV 1 (detected points): numDetectedObj × { x, y, z, doppler } float32 (m, m/s)
 *   TLV 7 (side info):       numDetectedObj × { snr, noise } int16, 0.1 dB
 *
 * TI's axes are x to the right, y along boresight, z up; by default targets are turned into
 * percept's radar frame (x forward = TI y, y left = −TI x, z up); `axes: 'sensor'` keeps TI's.
 * The frame carries no wall-clock time (timeCpuCycles counts CPU cycles since boot), so a scan is
 * stamped with the receivedAt of the push that completed it. Other TLV types are skipped.
 */

export const TI_MAGIC = Uint8Array.from([0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07]);
export const TI_HEADER_BYTES = 40;
export const TI_TLV_DETECTED_POINTS = 1;
export const TI_TLV_SIDE_INFO = 7;
export const TI_DEFAULT_MAX_PACKET = 64 * 1024;

export const tiMmwaveDecoderOptionsSchema = z
  .object({
    sensorId: z.string().min(1),
    frameId: z.string().min(1).optional(),
    axes: z.enum(['forward-left-up', 'sensor']).default('forward-left-up'),
    /** Largest accepted packet (bytes); also bounds the stream buffer. */
    maxPacketBytes: z.number().int().min(TI_HEADER_BYTES).max(16 * 1024 * 1024).default(TI_DEFAULT_MAX_PACKET),
  })
  .strict();

export interface TiMmwaveDecoderOptions extends FrameIdentity {
  axes?: 'forward-left-up' | 'sensor';
  maxPacketBytes?: number;
  onIssue?: OnDecodeIssue;
}

export interface TiFrameHeader {
  version: number;
  totalPacketLen: number;
  platform: number;
  frameNumber: number;
  timeCpuCycles: number;
  numDetectedObj: number;
  numTLVs: number;
  subFrameNumber: number;
}

function indexOfMagic(buf: Uint8Array, from: number, end: number): number {
  outer: for (let i = from; i + TI_MAGIC.length <= end; i++) {
    for (let k = 0; k < TI_MAGIC.length; k++) if (buf[i + k] !== TI_MAGIC[k]) continue outer;
    return i;
  }
  return -1;
}

export function readTiHeader(view: DataView, at: number): TiFrameHeader {
  const u = (k: number) => view.getUint32(at + 8 + 4 * k, true);
  return { version: u(0), totalPacketLen: u(1), platform: u(2), frameNumber: u(3), timeCpuCycles: u(4), numDetectedObj: u(5), numTLVs: u(6), subFrameNumber: u(7) };
}

type PacketResult = { ok: true; targets: RadarTarget[] } | { ok: false; code: string; message: string };

/** Parses one whole packet (header included); pure. */
export function parseTiPacket(packet: Uint8Array, axes: 'forward-left-up' | 'sensor' = 'forward-left-up'): PacketResult {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const h = readTiHeader(view, 0);
  let at = TI_HEADER_BYTES;
  let points: { x: number; y: number; z: number; v: number }[] | undefined;
  let side: { snr: number }[] | undefined;
  for (let t = 0; t < h.numTLVs; t++) {
    if (at + 8 > packet.length) return { ok: false, code: 'bad-tlv', message: `TLV ${t} header runs past the packet (${packet.length} bytes)` };
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    at += 8;
    if (length > packet.length - at) return { ok: false, code: 'bad-tlv', message: `TLV ${t} (type ${type}) of ${length} bytes runs past the packet` };
    if (type === TI_TLV_DETECTED_POINTS) {
      if (length !== h.numDetectedObj * 16) return { ok: false, code: 'count-mismatch', message: `detected-points TLV of ${length} bytes for ${h.numDetectedObj} objects (16 each)` };
      points = [];
      for (let i = 0; i < h.numDetectedObj; i++) {
        const o = at + i * 16;
        points.push({ x: view.getFloat32(o, true), y: view.getFloat32(o + 4, true), z: view.getFloat32(o + 8, true), v: view.getFloat32(o + 12, true) });
      }
    } else if (type === TI_TLV_SIDE_INFO) {
      if (length !== h.numDetectedObj * 4) return { ok: false, code: 'count-mismatch', message: `side-info TLV of ${length} bytes for ${h.numDetectedObj} objects (4 each)` };
      side = [];
      for (let i = 0; i < h.numDetectedObj; i++) side.push({ snr: view.getInt16(at + i * 4, true) * 0.1 });
    }
    at += length;
  }
  if (!points) {
    if (h.numDetectedObj === 0) return { ok: true, targets: [] };
    return { ok: false, code: 'no-points', message: `${h.numDetectedObj} objects announced but no detected-points TLV` };
  }
  const targets: RadarTarget[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (![p.x, p.y, p.z, p.v].every(Number.isFinite)) return { ok: false, code: 'non-finite', message: `point ${i} is not finite` };
    const [x, y] = axes === 'sensor' ? [p.x, p.y] : [p.y, -p.x];
    targets.push({ x, y, z: p.z, doppler: p.v, rcs: Number.NaN, snr: side ? side[i].snr : Number.NaN });
  }
  return { ok: true, targets };
}

/**
 * Stream decoder: finds the magic word, waits for totalPacketLen bytes, parses, and resyncs on
 * the next magic word after anything bad. The buffer never exceeds maxPacketBytes + one push.
 */
export function createTiMmwaveDecoder(options: TiMmwaveDecoderOptions): FrameDecoder<RadarScan> & { readonly buffered: number } {
  if (!options.sensorId) throw new TypeError('createTiMmwaveDecoder: sensorId is required');
  const maxPacket = options.maxPacketBytes ?? TI_DEFAULT_MAX_PACKET;
  if (!Number.isInteger(maxPacket) || maxPacket < TI_HEADER_BYTES) throw new TypeError(`createTiMmwaveDecoder: maxPacketBytes must be an integer ≥ ${TI_HEADER_BYTES}`);
  const axes = options.axes ?? 'forward-left-up';
  if (axes !== 'forward-left-up' && axes !== 'sensor') throw new TypeError(`createTiMmwaveDecoder: axes must be 'forward-left-up' or 'sensor'`);
  const stats = new DecoderStatsCounter(options.onIssue);
  const sensorId = options.sensorId;
  const frameId = options.frameId ?? sensorId;
  let buf = new Uint8Array(0);
  let seq = 0;
  let skipping = false;

  const skip = (bytes: number, why: string) => {
    if (!skipping) stats.issue('resync', why);
    skipping = true;
    buf = buf.subarray(bytes);
  };

  const drain = (receivedAt: Nanos): RadarScan[] => {
    const out: RadarScan[] = [];
    for (;;) {
      const m = indexOfMagic(buf, 0, buf.length);
      if (m < 0) {
        // Keep a tail that may be the start of a magic word split across pushes.
        const keep = Math.min(buf.length, TI_MAGIC.length - 1);
        if (buf.length > keep) skip(buf.length - keep, `${buf.length - keep} bytes without a magic word`);
        return out;
      }
      if (m > 0) skip(m, `${m} bytes before a magic word`);
      if (buf.length < TI_HEADER_BYTES) return out;
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const header = readTiHeader(view, 0);
      if (header.totalPacketLen < TI_HEADER_BYTES || header.totalPacketLen > maxPacket) {
        stats.issue('bad-length', `totalPacketLen ${header.totalPacketLen} is outside ${TI_HEADER_BYTES}..${maxPacket}`);
        buf = buf.subarray(1);
        continue;
      }
      // A magic word inside the announced length means this packet was cut short: resync there.
      const next = indexOfMagic(buf, TI_MAGIC.length, Math.min(buf.length, header.totalPacketLen));
      if (next > 0) {
        stats.issue('truncated-packet', `packet ${header.frameNumber} cut short after ${next} of ${header.totalPacketLen} bytes`);
        buf = buf.subarray(next);
        continue;
      }
      if (buf.length < header.totalPacketLen) return out;
      const packet = buf.subarray(0, header.totalPacketLen);
      buf = buf.subarray(header.totalPacketLen);
      skipping = false;
      const result = parseTiPacket(packet, axes);
      if (!result.ok) {
        stats.issue(result.code, `frame ${header.frameNumber}: ${result.message}`);
        continue;
      }
      stats.accepted++;
      stats.frames++;
      out.push({ modality: 'radar', sensorId, frameId, stamp: receivedAt, receivedAt, seq: seq++, targets: result.targets });
    }
  };

  return {
    framing: 'stream',
    stats,
    /** Bytes held while waiting for the rest of a packet. */
    get buffered() {
      return buf.length;
    },
    push(bytes, receivedAt) {
      const merged = new Uint8Array(buf.length + bytes.length);
      merged.set(buf, 0);
      merged.set(bytes, buf.length);
      buf = merged;
      const out = drain(receivedAt);
      if (buf.length > maxPacket) skip(buf.length - (TI_MAGIC.length - 1), 'buffer over maxPacketBytes');
      return out;
    },
    flush() {
      if (buf.length >= TI_MAGIC.length) stats.issue('truncated-packet', `${buf.length} bytes of an unfinished packet at end of input`);
      buf = new Uint8Array(0);
      return [];
    },
  };
}

/** Builds one packet from the published layout (tests, fixtures, simulators). */
export function encodeTiPacket(frame: {
  frameNumber: number;
  points: readonly { x: number; y: number; z: number; doppler: number; snr?: number; noise?: number }[];
  version?: number;
  platform?: number;
  timeCpuCycles?: number;
  subFrameNumber?: number;
  withSideInfo?: boolean;
  /** Pad the packet to a multiple of this many bytes, as the demo does (32). */
  padTo?: number;
}): Uint8Array {
  const n = frame.points.length;
  const tlvs: Uint8Array[] = [];
  const points = new DataView(new ArrayBuffer(8 + n * 16));
  points.setUint32(0, TI_TLV_DETECTED_POINTS, true);
  points.setUint32(4, n * 16, true);
  frame.points.forEach((p, i) => [p.x, p.y, p.z, p.doppler].forEach((v, k) => points.setFloat32(8 + i * 16 + k * 4, v, true)));
  if (n > 0) tlvs.push(new Uint8Array(points.buffer));
  if (frame.withSideInfo ?? true) {
    const side = new DataView(new ArrayBuffer(8 + n * 4));
    side.setUint32(0, TI_TLV_SIDE_INFO, true);
    side.setUint32(4, n * 4, true);
    frame.points.forEach((p, i) => {
      side.setInt16(8 + i * 4, Math.round((p.snr ?? 0) * 10), true);
      side.setInt16(10 + i * 4, Math.round((p.noise ?? 0) * 10), true);
    });
    if (n > 0) tlvs.push(new Uint8Array(side.buffer));
  }
  const body = tlvs.reduce((a, t) => a + t.length, 0);
  const pad = frame.padTo ?? 32;
  const total = Math.ceil((TI_HEADER_BYTES + body) / pad) * pad;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(TI_MAGIC, 0);
  const fields = [frame.version ?? 0x03050400, total, frame.platform ?? 0xa6843, frame.frameNumber, frame.timeCpuCycles ?? 0, n, tlvs.length, frame.subFrameNumber ?? 0];
  fields.forEach((v, k) => view.setUint32(8 + 4 * k, v >>> 0, true));
  let at = TI_HEADER_BYTES;
  for (const t of tlvs) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}
