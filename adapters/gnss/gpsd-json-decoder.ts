import { z } from 'zod';
import type { FixType, GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { parseDecoderOptions } from './decoder-options.js';
import { LineFramer } from './line-framer.js';

/**
 * gpsd's JSON protocol (gpsd_json(5)), as a client reads it from TCP port 2947 after sending the
 * WATCH command: one JSON report a line. TPV → GnssFix; SKY gives the satellites used and the DOPs
 * of the following fixes; VERSION, DEVICES, WATCH and the other classes are read and left aside.
 * Counted problems: bad-json, bad-report (not an object with a class), no-time (a TPV without a
 * time: gpsd sends those before its first fix), bad-field, too-long.
 */

export const gpsdJsonDecoderOptionsSchema = z.object({
  sensorId: z.string().min(1),
  frameId: z.string().min(1).optional(),
  /** Longest report accepted; a SKY with 60 satellites is about 6 KB. */
  maxLineLength: z.number().int().min(1024).max(1 << 20).optional(),
}).strict();

export type GpsdJsonDecoderOptions = z.input<typeof gpsdJsonDecoderOptionsSchema> & FrameIdentity & { onIssue?: OnDecodeIssue };

export interface GpsdWatchOptions {
  /** Only this device (its path as gpsd names it, e.g. /dev/ttyUSB0). */
  device?: string;
}

/** The command that makes gpsd stream JSON reports: `?WATCH={"enable":true,"json":true};\n`. */
export function gpsdWatchCommand(options: GpsdWatchOptions = {}): string {
  const watch: Record<string, unknown> = { enable: true, json: true };
  if (options.device !== undefined) watch.device = options.device;
  return `?WATCH=${JSON.stringify(watch)};\n`;
}

const DEFAULT_MAX_LINE = 65_536;
/** gpsd's ep* are 95 % confidence; σ of a normal distribution is that over 1.96. */
const SIGMA_PER_95 = 1 / 1.96;

interface SkySummary {
  satellites: number;
  hdop: number;
  pdop: number;
  vdop: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

/** ISO 8601 UTC as gpsd writes it (2019-04-12T00:39:56.000Z) → Unix ns; undefined when not that. */
export function gpsdTimeToNanos(text: string): Nanos | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!Number.isFinite(ms) || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) return undefined;
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + fraction;
}

/** gpsd mode (0 unknown, 1 no fix, 2 2D, 3 3D) and status (2 DGPS, 3 RTK fixed, 4 RTK float) → fix type. */
function fixTypeOf(mode: number, status: number): FixType {
  if (!(mode >= 2)) return 'none';
  if (status === 2) return 'dgps';
  if (status === 3) return 'rtk-fixed';
  if (status === 4) return 'rtk-float';
  return mode === 2 ? '2d' : '3d';
}

export interface GpsdJsonDecoder extends FrameDecoder<GnssFix> {
  readonly bufferedBytes: number;
}

export function createGpsdJsonDecoder(options: GpsdJsonDecoderOptions): GpsdJsonDecoder {
  const o = parseDecoderOptions(gpsdJsonDecoderOptionsSchema, options, 'gpsd JSON decoder');
  const maxLineLength = o.maxLineLength ?? DEFAULT_MAX_LINE;
  const frameId = o.frameId ?? o.sensorId;
  const stats = new DecoderStatsCounter(options.onIssue);
  const framer = new LineFramer({ maxLineLength });
  const text = new TextDecoder('utf-8');
  let sky: SkySummary = { satellites: 0, hdop: NaN, pdop: NaN, vdop: NaN };
  let seq = 0;
  let receivedAt: Nanos = 0n;
  let out: GnssFix[] = [];

  const onSky = (r: Record<string, unknown>): void => {
    const list = Array.isArray(r.satellites) ? r.satellites : [];
    const used = list.filter((s) => typeof s === 'object' && s !== null && (s as { used?: unknown }).used === true).length;
    sky = { satellites: typeof r.uSat === 'number' ? r.uSat : used, hdop: num(r.hdop), pdop: num(r.pdop), vdop: num(r.vdop) };
  };

  const onTpv = (r: Record<string, unknown>): void => {
    const stamp = typeof r.time === 'string' ? gpsdTimeToNanos(r.time) : undefined;
    if (stamp === undefined) {
      stats.issue('no-time', typeof r.time === 'string' ? `TPV time "${r.time.slice(0, 40)}" is not ISO 8601 UTC` : 'TPV without a time');
      return;
    }
    let fixType = fixTypeOf(num(r.mode), num(r.status));
    const lat = num(r.lat);
    const lon = num(r.lon);
    const positionOk = Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    if (fixType !== 'none' && !positionOk) {
      stats.issue('bad-field', `TPV mode ${String(r.mode)} without a valid lat/lon`);
      fixType = 'none';
    }
    const [epx, epy, epv] = [num(r.epx), num(r.epy), num(r.epv)];
    const covariance = new Array<number>(9).fill(NaN);
    if (Number.isFinite(epx) && Number.isFinite(epy) && Number.isFinite(epv)) {
      covariance.fill(0);
      covariance[0] = (epx * SIGMA_PER_95) ** 2;
      covariance[4] = (epy * SIGMA_PER_95) ** 2;
      covariance[8] = (epv * SIGMA_PER_95) ** 2;
    }
    const geoid = num(r.geoidSep);
    const fix: GnssFix = {
      modality: 'gnss',
      sensorId: o.sensorId,
      frameId,
      stamp,
      receivedAt,
      seq: seq++,
      fixType,
      latitude: positionOk ? lat : NaN,
      longitude: positionOk ? lon : NaN,
      // gpsd ≥ 3.20 says altMSL; older versions call the same value alt.
      altitudeMsl: Number.isFinite(num(r.altMSL)) ? num(r.altMSL) : num(r.alt),
      geoidSeparation: Number.isFinite(geoid) ? geoid : 0,
      satellites: sky.satellites,
      hdop: sky.hdop,
      speed: num(r.speed),
      track: num(r.track),
      heading: NaN,
      covariance,
      ...(Number.isFinite(sky.pdop) ? { pdop: sky.pdop } : {}),
      ...(Number.isFinite(sky.vdop) ? { vdop: sky.vdop } : {}),
    };
    out.push(fix);
  };

  const onLine = (b: Uint8Array, start: number, end: number): void => {
    while (end > start && (b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
    if (end === start) return;
    let report: unknown;
    try {
      report = JSON.parse(text.decode(b.subarray(start, end)));
    } catch (err) {
      stats.issue('bad-json', (err as Error).message.slice(0, 120));
      return;
    }
    if (typeof report !== 'object' || report === null || Array.isArray(report) || typeof (report as { class?: unknown }).class !== 'string') {
      stats.issue('bad-report', 'a gpsd report is a JSON object with a "class"');
      return;
    }
    stats.accepted++;
    const r = report as Record<string, unknown>;
    if (r.class === 'TPV') onTpv(r);
    else if (r.class === 'SKY') onSky(r);
  };

  const onTooLong = (length: number): void => {
    stats.issue('too-long', `report of more than ${length} bytes; at most ${maxLineLength}`);
  };

  const take = (): GnssFix[] => {
    const frames = out;
    out = [];
    stats.frames += frames.length;
    return frames;
  };

  return {
    framing: 'stream',
    stats,
    get bufferedBytes(): number {
      return framer.buffered;
    },
    push(bytes: Uint8Array, at: Nanos): GnssFix[] {
      receivedAt = at;
      framer.push(bytes, onLine, onTooLong);
      return take();
    },
    flush(): GnssFix[] {
      framer.flush(onLine);
      return take();
    },
  };
}
