import type { FixType, GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import {
  FieldError, fieldText, readAngle, readChar, readDdmmyy, readInteger, readNumber, readTimeOfDay, daysFromCivil, type CalendarDate,
} from './nmea-fields.js';
import { METRES_PER_SECOND_PER_KNOT } from './nmea-encode.js';

/**
 * NMEA 0183 sentences as pure functions of one line: GGA, RMC, GSA, GSV, VTG, GST, GNS, ZDA, HDT
 * and GLL from any talker (GP, GL, GA, GB, BD, GN, GQ...). Bad lines give a coded error that a
 * caller counts; nothing here throws on input. Unknown numeric fields (empty on the wire) are NaN.
 */

/** NMEA allows 82 characters; receivers exceed that (u-blox high precision), so allow some room. */
export const MAX_NMEA_LINE = 256;

export type NmeaErrorCode =
  | 'too-long' | 'no-start' | 'no-checksum' | 'bad-checksum' | 'unsupported' | 'malformed';

export interface NmeaError {
  readonly code: NmeaErrorCode;
  readonly message: string;
}

interface SentenceBase {
  /** Two-letter talker: GP, GL, GA, GB, BD, GN, GQ... */
  readonly talker: string;
}

export interface GgaSentence extends SentenceBase {
  readonly type: 'GGA';
  /** UTC seconds since midnight. */
  readonly timeOfDay: number;
  readonly latitude: number;
  readonly longitude: number;
  /** 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 estimated, 7 manual, 8 simulator. */
  readonly quality: number;
  /** Satellites used; NaN when the field is empty. */
  readonly satellites: number;
  readonly hdop: number;
  readonly altitudeMsl: number;
  readonly geoidSeparation: number;
}

export interface RmcSentence extends SentenceBase {
  readonly type: 'RMC';
  readonly timeOfDay: number;
  /** A: data valid; V: receiver warning. */
  readonly valid: boolean;
  readonly latitude: number;
  readonly longitude: number;
  /** m/s (converted from knots). */
  readonly speed: number;
  /** Degrees clockwise from true north. */
  readonly course: number;
  /** UTC date, or undefined when the field is empty or garbled (then `badDate` is true). */
  readonly date: CalendarDate | undefined;
  readonly badDate: boolean;
  /** NMEA 2.3 mode indicator (A, D, E, F, R, N...), '' when absent. */
  readonly mode: string;
}

export interface GsaSentence extends SentenceBase {
  readonly type: 'GSA';
  /** 1 no fix, 2 2D, 3 3D; NaN when empty. */
  readonly fixMode: number;
  /** Satellites used in the solution. */
  readonly prns: readonly number[];
  readonly pdop: number;
  readonly hdop: number;
  readonly vdop: number;
  /** NMEA 4.10 GNSS system id (1 GPS, 2 GLONASS, 3 Galileo, 4 BeiDou...); NaN when absent. */
  readonly systemId: number;
}

export interface GsvSatellite {
  readonly prn: number;
  /** Degrees; NaN when unknown. */
  readonly elevation: number;
  readonly azimuth: number;
  /** C/N0, dB-Hz; NaN when not tracked. */
  readonly snr: number;
}

export interface GsvSentence extends SentenceBase {
  readonly type: 'GSV';
  readonly messageCount: number;
  readonly messageNumber: number;
  readonly satellitesInView: number;
  readonly satellites: readonly GsvSatellite[];
}

export interface VtgSentence extends SentenceBase {
  readonly type: 'VTG';
  /** Course over ground, degrees from true north. */
  readonly course: number;
  /** m/s, from knots or else km/h. */
  readonly speed: number;
  readonly mode: string;
}

export interface GstSentence extends SentenceBase {
  readonly type: 'GST';
  readonly timeOfDay: number;
  readonly rms: number;
  /** 1σ errors, metres. */
  readonly sigmaLatitude: number;
  readonly sigmaLongitude: number;
  readonly sigmaAltitude: number;
}

export interface GnsSentence extends SentenceBase {
  readonly type: 'GNS';
  readonly timeOfDay: number;
  readonly latitude: number;
  readonly longitude: number;
  /** One mode letter per constellation (GPS, GLONASS, Galileo, BeiDou...): N, A, D, P, R, F, E, M, S. */
  readonly modes: string;
  readonly satellites: number;
  readonly hdop: number;
  readonly altitudeMsl: number;
  readonly geoidSeparation: number;
}

export interface ZdaSentence extends SentenceBase {
  readonly type: 'ZDA';
  readonly timeOfDay: number;
  readonly date: CalendarDate | undefined;
  readonly badDate: boolean;
}

export interface HdtSentence extends SentenceBase {
  readonly type: 'HDT';
  /** True heading, degrees. */
  readonly heading: number;
}

export interface GllSentence extends SentenceBase {
  readonly type: 'GLL';
  readonly timeOfDay: number;
  readonly latitude: number;
  readonly longitude: number;
  readonly valid: boolean;
  readonly mode: string;
}

export type NmeaSentence =
  | GgaSentence | RmcSentence | GsaSentence | GsvSentence | VtgSentence | GstSentence | GnsSentence | ZdaSentence | HdtSentence | GllSentence;
export type NmeaSentenceType = NmeaSentence['type'];
export type NmeaResult = { ok: true; sentence: NmeaSentence } | { ok: false; error: NmeaError };

const DOLLAR = 0x24;
const STAR = 0x2a;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
/** Commas a sentence may have: GSV with 4 satellites and a signal id has 20 fields. */
const MAX_FIELDS = 40;

function fail(code: NmeaErrorCode, message: string): NmeaResult {
  return { ok: false, error: { code, message } };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

function hex2(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}

/** One sentence as a string (with or without its CR LF). */
export function decodeNmeaSentence(line: string, maxLength = MAX_NMEA_LINE): NmeaResult {
  if (line.length > maxLength + 2) return fail('too-long', `line of ${line.length} characters; at most ${maxLength}`);
  const bytes = Buffer.from(line, 'latin1');
  return decodeNmeaBytes(bytes, 0, bytes.length, maxLength);
}

/**
 * One sentence from bytes [start, end) of `b` (a trailing CR LF is ignored). The checksum is
 * checked before any field is read, so a sentence spliced into another never yields values.
 */
export function decodeNmeaBytes(b: Uint8Array, start: number, end: number, maxLength = MAX_NMEA_LINE): NmeaResult {
  while (end > start && (b[end - 1] === LF || b[end - 1] === CR)) end--;
  if (end - start > maxLength) return fail('too-long', `line of ${end - start} characters; at most ${maxLength}`);
  if (b[start] !== DOLLAR) return fail('no-start', 'a sentence starts with $');
  const star = end - 3;
  if (star <= start || b[star] !== STAR) return fail('no-checksum', 'no *hh checksum at the end');
  const hi = hexValue(b[star + 1]);
  const lo = hexValue(b[star + 2]);
  if (hi < 0 || lo < 0) return fail('no-checksum', `checksum "${fieldText(b, star + 1, end)}" is not two hex digits`);
  let sum = 0;
  const commas: number[] = [];
  for (let i = start + 1; i < star; i++) {
    const c = b[i];
    sum ^= c;
    if (c === COMMA) commas.push(i);
  }
  const given = (hi << 4) | lo;
  if (given !== sum) return fail('bad-checksum', `checksum ${hex2(given)}, computed ${hex2(sum)}`);
  if (commas.length > MAX_FIELDS) return fail('malformed', `${commas.length} fields; at most ${MAX_FIELDS}`);
  const addressEnd = commas.length > 0 ? commas[0] : star;
  const a0 = start + 1;
  if (addressEnd - a0 !== 5 || b[a0] === 0x50 /* P: proprietary */ || !upperLetters(b, a0, addressEnd)) {
    return fail('unsupported', `address "${fieldText(b, a0, addressEnd)}" is not a talker and a standard sentence type`);
  }
  const talker = String.fromCharCode(b[a0], b[a0 + 1]);
  const f = new Fields(b, start, commas, star);
  try {
    switch ((b[a0 + 2] << 16) | (b[a0 + 3] << 8) | b[a0 + 4]) {
      case GGA: return ok(parseGga(talker, f));
      case RMC: return ok(parseRmc(talker, f));
      case GSA: return ok(parseGsa(talker, f));
      case GSV: return ok(parseGsv(talker, f));
      case VTG: return ok(parseVtg(talker, f));
      case GST: return ok(parseGst(talker, f));
      case GNS: return ok(parseGns(talker, f));
      case ZDA: return ok(parseZda(talker, f));
      case HDT: return ok(parseHdt(talker, f));
      case GLL: return ok(parseGll(talker, f));
      default: return fail('unsupported', `sentence type ${fieldText(b, a0 + 2, addressEnd)} is not decoded`);
    }
  } catch (err) {
    if (err instanceof FieldError) return fail('malformed', `${fieldText(b, a0, addressEnd)}: ${err.message}`);
    throw err;
  }
}

/** A three-letter sentence type as one integer, for a switch without strings. */
function code3(type: string): number {
  return (type.charCodeAt(0) << 16) | (type.charCodeAt(1) << 8) | type.charCodeAt(2);
}
const GGA = code3('GGA');
const RMC = code3('RMC');
const GSA = code3('GSA');
const GSV = code3('GSV');
const VTG = code3('VTG');
const GST = code3('GST');
const GNS = code3('GNS');
const ZDA = code3('ZDA');
const HDT = code3('HDT');
const GLL = code3('GLL');

function upperLetters(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] < 0x41 || b[i] > 0x5a) return false;
  return true;
}

function ok(sentence: NmeaSentence): NmeaResult {
  return { ok: true, sentence };
}

/** Field k of one sentence (k = 0 the address); fields past the end read as empty. */
class Fields {
  readonly count: number;
  constructor(readonly b: Uint8Array, readonly start: number, readonly commas: number[], readonly star: number) {
    this.count = commas.length;
  }
  #s(k: number): number { return k === 0 ? this.start + 1 : k <= this.count ? this.commas[k - 1] + 1 : 0; }
  #e(k: number): number { return k < this.count ? this.commas[k] : k === this.count ? this.star : 0; }
  need(k: number, type: string): void {
    if (this.count < k) throw new FieldError(`${this.count} fields; ${type} has at least ${k}`);
  }
  number(k: number, name: string): number { return readNumber(this.b, this.#s(k), this.#e(k), name); }
  integer(k: number, name: string, empty: number): number { return readInteger(this.b, this.#s(k), this.#e(k), name, empty); }
  time(k: number): number { return readTimeOfDay(this.b, this.#s(k), this.#e(k)); }
  angle(k: number, kind: 'lat' | 'lon'): number { return readAngle(this.b, this.#s(k), this.#e(k), this.#s(k + 1), this.#e(k + 1), kind); }
  char(k: number): number { return readChar(this.b, this.#s(k), this.#e(k)); }
  text(k: number): string { return fieldText(this.b, this.#s(k), this.#e(k)); }
  empty(k: number): boolean { return this.#s(k) === this.#e(k); }
  ddmmyy(k: number): CalendarDate | undefined | 'invalid' { return readDdmmyy(this.b, this.#s(k), this.#e(k)); }
}

const A = 0x41;
const V = 0x56;

function status(f: Fields, k: number): boolean {
  const c = f.char(k);
  if (c !== A && c !== V) throw new FieldError(`status "${f.text(k)}" is neither A nor V`);
  return c === A;
}

function parseGga(talker: string, f: Fields): GgaSentence {
  f.need(11, 'GGA');
  return {
    type: 'GGA', talker,
    timeOfDay: f.time(1),
    latitude: f.angle(2, 'lat'),
    longitude: f.angle(4, 'lon'),
    quality: f.integer(6, 'fix quality', 0),
    satellites: f.integer(7, 'satellites', NaN),
    hdop: f.number(8, 'hdop'),
    altitudeMsl: f.number(9, 'altitude'),
    geoidSeparation: f.number(11, 'geoid separation'),
  };
}

function parseRmc(talker: string, f: Fields): RmcSentence {
  f.need(11, 'RMC');
  const valid = status(f, 2);
  const date = f.ddmmyy(9);
  return {
    type: 'RMC', talker,
    timeOfDay: f.time(1),
    valid,
    latitude: f.angle(3, 'lat'),
    longitude: f.angle(5, 'lon'),
    speed: f.number(7, 'speed') * METRES_PER_SECOND_PER_KNOT,
    course: f.number(8, 'course'),
    date: date === 'invalid' ? undefined : date,
    badDate: date === 'invalid',
    mode: f.text(12),
  };
}

function parseGsa(talker: string, f: Fields): GsaSentence {
  f.need(6, 'GSA');
  // 12 PRN slots in NMEA; NMEA 4.10 appends a system id; some receivers send more slots.
  const hasSystemId = f.count === 18;
  const last = hasSystemId ? f.count - 1 : f.count;
  const prns: number[] = [];
  for (let k = 3; k <= last - 3; k++) {
    const prn = f.integer(k, 'PRN', -1);
    if (prn >= 0) prns.push(prn);
  }
  const fixMode = f.integer(2, 'fix mode', NaN);
  if (fixMode < 1 || fixMode > 3) throw new FieldError(`fix mode ${fixMode} is not 1, 2 or 3`);
  return {
    type: 'GSA', talker, fixMode, prns,
    pdop: f.number(last - 2, 'pdop'),
    hdop: f.number(last - 1, 'hdop'),
    vdop: f.number(last, 'vdop'),
    systemId: hasSystemId ? f.integer(18, 'system id', NaN) : NaN,
  };
}

function parseGsv(talker: string, f: Fields): GsvSentence {
  f.need(3, 'GSV');
  // Groups of four after the header; a lone trailing field is NMEA 4.10's signal id.
  const groups = Math.floor((f.count - 3) / 4);
  const satellites: GsvSatellite[] = [];
  for (let g = 0; g < groups; g++) {
    const k = 4 + 4 * g;
    if (f.empty(k)) continue;
    satellites.push({
      prn: f.integer(k, 'PRN', NaN),
      elevation: f.number(k + 1, 'elevation'),
      azimuth: f.number(k + 2, 'azimuth'),
      snr: f.number(k + 3, 'snr'),
    });
  }
  return {
    type: 'GSV', talker,
    messageCount: f.integer(1, 'message count', NaN),
    messageNumber: f.integer(2, 'message number', NaN),
    satellitesInView: f.integer(3, 'satellites in view', NaN),
    satellites,
  };
}

function parseVtg(talker: string, f: Fields): VtgSentence {
  f.need(4, 'VTG');
  // NMEA 2+: course,T,course,M,knots,N,km/h,K[,mode]; older receivers leave out the unit letters.
  const unitLetters = f.char(2) === 0x54 /* T */;
  const knots = f.number(unitLetters ? 5 : 3, 'speed (knots)');
  const kmh = f.number(unitLetters ? 7 : 4, 'speed (km/h)');
  return {
    type: 'VTG', talker,
    course: f.number(1, 'course'),
    speed: Number.isFinite(knots) ? knots * METRES_PER_SECOND_PER_KNOT : kmh / 3.6,
    mode: unitLetters ? f.text(9) : '',
  };
}

function parseGst(talker: string, f: Fields): GstSentence {
  f.need(8, 'GST');
  return {
    type: 'GST', talker,
    timeOfDay: f.time(1),
    rms: f.number(2, 'rms'),
    sigmaLatitude: f.number(6, 'latitude sigma'),
    sigmaLongitude: f.number(7, 'longitude sigma'),
    sigmaAltitude: f.number(8, 'altitude sigma'),
  };
}

function parseGns(talker: string, f: Fields): GnsSentence {
  f.need(10, 'GNS');
  const modes = f.text(6);
  if (!/^[NADPRFEMS]*$/.test(modes)) throw new FieldError(`mode "${modes}" has letters other than N A D P R F E M S`);
  return {
    type: 'GNS', talker,
    timeOfDay: f.time(1),
    latitude: f.angle(2, 'lat'),
    longitude: f.angle(4, 'lon'),
    modes,
    satellites: f.integer(7, 'satellites', 0),
    hdop: f.number(8, 'hdop'),
    altitudeMsl: f.number(9, 'altitude'),
    geoidSeparation: f.number(10, 'geoid separation'),
  };
}

function parseZda(talker: string, f: Fields): ZdaSentence {
  f.need(4, 'ZDA');
  const day = f.integer(2, 'day', NaN);
  const month = f.integer(3, 'month', NaN);
  const year = f.integer(4, 'year', NaN);
  const date = { year, month, day };
  const known = !(Number.isNaN(day) && Number.isNaN(month) && Number.isNaN(year));
  const valid = known && year >= 1980 && !Number.isNaN(daysFromCivil(date));
  return { type: 'ZDA', talker, timeOfDay: f.time(1), date: valid ? date : undefined, badDate: known && !valid };
}

function parseHdt(talker: string, f: Fields): HdtSentence {
  f.need(1, 'HDT');
  return { type: 'HDT', talker, heading: f.number(1, 'heading') };
}

function parseGll(talker: string, f: Fields): GllSentence {
  f.need(4, 'GLL');
  // NMEA 1.5 GLL ends after the longitude; then neither time nor status is known.
  return {
    type: 'GLL', talker,
    latitude: f.angle(1, 'lat'),
    longitude: f.angle(3, 'lon'),
    timeOfDay: f.time(5),
    valid: f.count >= 6 ? status(f, 6) : true,
    mode: f.text(7),
  };
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
 * position covariance are not in either sentence, so they are NaN. The scenario generator uses this
 * two-sentence form; live streams go through the epoch assembler (nmea-epoch.ts), which reads all
 * the sentence types.
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
