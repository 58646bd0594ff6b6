import type { FixType, GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { METRES_PER_SECOND_PER_KNOT, nmeaChecksum } from './nmea-encode.js';

/**
 * NMEA 0183 GGA and RMC decoding as pure functions of one line. Bad lines give a coded error that a
 * caller counts; nothing here throws on input. Unknown numeric fields (empty on the wire) are NaN.
 */

/** NMEA allows 82 characters; receivers exceed that (u-blox high precision), so allow some room. */
export const MAX_NMEA_LINE = 256;

export type NmeaErrorCode = 'too-long' | 'no-start' | 'no-checksum' | 'bad-checksum' | 'unsupported' | 'malformed';

export interface NmeaError {
  readonly code: NmeaErrorCode;
  readonly message: string;
}

export interface GgaSentence {
  readonly type: 'GGA';
  readonly talker: string;
  /** UTC seconds since midnight. */
  readonly timeOfDay: number;
  readonly latitude: number;
  readonly longitude: number;
  /** 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulator. */
  readonly quality: number;
  readonly satellites: number;
  readonly hdop: number;
  readonly altitudeMsl: number;
  readonly geoidSeparation: number;
}

export interface RmcSentence {
  readonly type: 'RMC';
  readonly talker: string;
  readonly timeOfDay: number;
  /** A: data valid; V: receiver warning. */
  readonly valid: boolean;
  readonly latitude: number;
  readonly longitude: number;
  /** m/s (converted from knots). */
  readonly speed: number;
  /** Degrees clockwise from true north. */
  readonly course: number;
  /** UTC date, or undefined when the field is empty. */
  readonly date: { year: number; month: number; day: number } | undefined;
  /** NMEA 2.3 mode indicator (A, D, E, F, R, N...), '' when absent. */
  readonly mode: string;
}

export type NmeaSentence = GgaSentence | RmcSentence;
export type NmeaResult = { ok: true; sentence: NmeaSentence } | { ok: false; error: NmeaError };

class FieldError extends Error {}

function fail(code: NmeaErrorCode, message: string): NmeaResult {
  return { ok: false, error: { code, message } };
}

export function decodeNmeaSentence(line: string): NmeaResult {
  if (line.length > MAX_NMEA_LINE) return fail('too-long', `line of ${line.length} characters; at most ${MAX_NMEA_LINE}`);
  const text = line.replace(/[\r\n]+$/, '');
  if (text[0] !== '$') return fail('no-start', 'a sentence starts with $');
  const star = text.lastIndexOf('*');
  if (star < 0 || star !== text.length - 3) return fail('no-checksum', 'no *hh checksum at the end');
  const body = text.slice(1, star);
  const given = text.slice(star + 1).toUpperCase();
  if (!/^[0-9A-F]{2}$/.test(given)) return fail('no-checksum', `checksum "${text.slice(star + 1)}" is not two hex digits`);
  const expected = nmeaChecksum(body);
  if (given !== expected) return fail('bad-checksum', `checksum ${given}, computed ${expected}`);
  const fields = body.split(',');
  const address = fields[0];
  if (!/^[A-Z]{2}[A-Z]{3}$/.test(address)) return fail('unsupported', `address "${address}" is not a talker and a sentence type`);
  const talker = address.slice(0, 2);
  const type = address.slice(2);
  try {
    if (type === 'GGA') return { ok: true, sentence: parseGga(talker, fields) };
    if (type === 'RMC') return { ok: true, sentence: parseRmc(talker, fields) };
  } catch (err) {
    if (err instanceof FieldError) return fail('malformed', `${address}: ${err.message}`);
    throw err;
  }
  return fail('unsupported', `sentence type ${type} is not decoded`);
}

function parseGga(talker: string, f: string[]): GgaSentence {
  if (f.length < 15) throw new FieldError(`${f.length - 1} fields; GGA has 14`);
  return {
    type: 'GGA',
    talker,
    timeOfDay: parseTime(f[1]),
    latitude: parseAngle(f[2], f[3], 'lat'),
    longitude: parseAngle(f[4], f[5], 'lon'),
    quality: parseInteger(f[6], 'fix quality', 0),
    satellites: parseInteger(f[7], 'satellites', 0),
    hdop: parseNumber(f[8], 'hdop'),
    altitudeMsl: parseNumber(f[9], 'altitude'),
    geoidSeparation: parseNumber(f[11], 'geoid separation'),
  };
}

function parseRmc(talker: string, f: string[]): RmcSentence {
  if (f.length < 12) throw new FieldError(`${f.length - 1} fields; RMC has at least 11`);
  if (f[2] !== 'A' && f[2] !== 'V') throw new FieldError(`status "${f[2]}" is neither A nor V`);
  const knots = parseNumber(f[7], 'speed');
  return {
    type: 'RMC',
    talker,
    timeOfDay: parseTime(f[1]),
    valid: f[2] === 'A',
    latitude: parseAngle(f[3], f[4], 'lat'),
    longitude: parseAngle(f[5], f[6], 'lon'),
    speed: knots * METRES_PER_SECOND_PER_KNOT,
    course: parseNumber(f[8], 'course'),
    date: parseDate(f[9]),
    mode: f[12] ?? '',
  };
}

function parseNumber(field: string, name: string): number {
  if (field === '') return NaN;
  if (!/^[-+]?\d*\.?\d+$|^[-+]?\d+\.$/.test(field)) throw new FieldError(`${name} "${field}" is not a number`);
  return Number(field);
}

function parseInteger(field: string, name: string, empty: number): number {
  if (field === '') return empty;
  if (!/^\d+$/.test(field)) throw new FieldError(`${name} "${field}" is not an integer`);
  return Number(field);
}

/** hhmmss(.sss) → seconds since midnight; NaN when empty. */
function parseTime(field: string): number {
  if (field === '') return NaN;
  const m = /^(\d\d)(\d\d)(\d\d(?:\.\d+)?)$/.exec(field);
  if (!m) throw new FieldError(`time "${field}" is not hhmmss.ss`);
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s >= 61) throw new FieldError(`time "${field}" is out of range`);
  return h * 3600 + min * 60 + s;
}

/** (d)ddmm.mmmm plus hemisphere → signed degrees; NaN when both are empty. */
function parseAngle(value: string, hemisphere: string, kind: 'lat' | 'lon'): number {
  if (value === '' && hemisphere === '') return NaN;
  const degreeDigits = kind === 'lat' ? 2 : 3;
  const m = new RegExp(`^(\\d{${degreeDigits}})(\\d\\d(?:\\.\\d*)?)$`).exec(value);
  if (!m) throw new FieldError(`${kind === 'lat' ? 'latitude' : 'longitude'} "${value}" is not ${kind === 'lat' ? 'dd' : 'ddd'}mm.mmmm`);
  const degrees = Number(m[1]);
  const minutes = Number(m[2]);
  const limit = kind === 'lat' ? 90 : 180;
  if (minutes >= 60 || degrees + minutes / 60 > limit) throw new FieldError(`${kind} "${value}" is out of range`);
  const positive = kind === 'lat' ? 'N' : 'E';
  const negative = kind === 'lat' ? 'S' : 'W';
  if (hemisphere !== positive && hemisphere !== negative) throw new FieldError(`hemisphere "${hemisphere}" is not ${positive} or ${negative}`);
  const deg = degrees + minutes / 60;
  return hemisphere === negative ? -deg : deg;
}

function parseDate(field: string): RmcSentence['date'] {
  if (field === '') return undefined;
  const m = /^(\d\d)(\d\d)(\d\d)$/.exec(field);
  if (!m) throw new FieldError(`date "${field}" is not ddmmyy`);
  const [day, month, yy] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (day < 1 || day > 31 || month < 1 || month > 12) throw new FieldError(`date "${field}" is out of range`);
  // Two-digit years: NMEA receivers in use were all made after 1980.
  return { year: yy >= 80 ? 1900 + yy : 2000 + yy, month, day };
}

const FIX_TYPE_OF_QUALITY: Record<number, FixType> = { 0: 'none', 1: '3d', 2: 'dgps', 3: '3d', 4: 'rtk-fixed', 5: 'rtk-float' };

export interface FixMeta {
  sensorId: string;
  frameId: string;
  stamp: Nanos;
  receivedAt: Nanos;
  seq: number;
}

export type AssembleError = 'empty-epoch' | 'epoch-mismatch';
export type AssembleResult = { ok: true; fix: GnssFix } | { ok: false; error: { code: AssembleError; message: string } };

/**
 * One epoch's GGA and RMC (either may be missing) → a GnssFix. GGA gives position, altitude and
 * quality; RMC gives speed and course (and the position when there is no GGA). Heading and the
 * position covariance are not in either sentence, so they are NaN.
 */
export function assembleFix(epoch: { gga?: GgaSentence; rmc?: RmcSentence }, meta: FixMeta): AssembleResult {
  const { gga, rmc } = epoch;
  if (!gga && !rmc) return { ok: false, error: { code: 'empty-epoch', message: 'neither GGA nor RMC' } };
  if (gga && rmc && Number.isFinite(gga.timeOfDay) && Number.isFinite(rmc.timeOfDay) && Math.abs(gga.timeOfDay - rmc.timeOfDay) > 0.0005) {
    return { ok: false, error: { code: 'epoch-mismatch', message: `GGA at ${gga.timeOfDay} s, RMC at ${rmc.timeOfDay} s` } };
  }
  let fixType: FixType;
  if (gga) fixType = FIX_TYPE_OF_QUALITY[gga.quality] ?? 'none';
  else fixType = rmc!.valid ? (rmc!.mode === 'D' ? 'dgps' : '2d') : 'none';
  const position = gga ?? rmc!;
  const fix: GnssFix = {
    modality: 'gnss',
    sensorId: meta.sensorId,
    frameId: meta.frameId,
    stamp: meta.stamp,
    receivedAt: meta.receivedAt,
    seq: meta.seq,
    fixType,
    latitude: position.latitude,
    longitude: position.longitude,
    altitudeMsl: gga ? gga.altitudeMsl : NaN,
    geoidSeparation: gga && Number.isFinite(gga.geoidSeparation) ? gga.geoidSeparation : 0,
    satellites: gga ? gga.satellites : 0,
    hdop: gga ? gga.hdop : NaN,
    speed: rmc ? rmc.speed : NaN,
    track: rmc ? rmc.course : NaN,
    heading: NaN,
    covariance: new Array<number>(9).fill(NaN),
  };
  return { ok: true, fix };
}
