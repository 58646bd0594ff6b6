/**
 * Reading NMEA fields straight from bytes: the decoder runs at a million sentences a second, so it
 * neither splits strings nor runs regular expressions. Every reader gives NaN for an empty field and
 * throws FieldError for a field that is present but not what the format says; the sentence decoder
 * turns that into a counted 'malformed' error.
 */

export class FieldError extends Error {}

const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const MINUS = 0x2d;
const PLUS = 0x2b;

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Up to 15 digits an integer mantissa stays exact in a float64, so mantissa / 10^k rounds like Number(text). */
const MAX_EXACT_DIGITS = 15;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

export function fieldText(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(b[i]);
  return out;
}

/** A decimal number ([+-]digits[.digits]); NaN when empty. */
export function readNumber(b: Uint8Array, s: number, e: number, name: string): number {
  if (s === e) return NaN;
  let i = s;
  let negative = false;
  if (b[i] === MINUS || b[i] === PLUS) {
    negative = b[i] === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = 0;
  let seenDot = false;
  for (; i < e; i++) {
    const c = b[i];
    if (isDigit(c)) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      if (seenDot) fractionDigits++;
    } else if (c === DOT && !seenDot) {
      seenDot = true;
    } else {
      throw new FieldError(`${name} "${fieldText(b, s, e)}" is not a number`);
    }
  }
  if (digits === 0) throw new FieldError(`${name} "${fieldText(b, s, e)}" is not a number`);
  if (digits > MAX_EXACT_DIGITS || fractionDigits >= POW10.length) return Number(fieldText(b, s, e));
  const value = fractionDigits === 0 ? mantissa : mantissa / POW10[fractionDigits];
  return negative ? -value : value;
}

/** Unsigned decimal integer; `empty` when the field is empty. */
export function readInteger(b: Uint8Array, s: number, e: number, name: string, empty: number): number {
  if (s === e) return empty;
  if (e - s > 9) throw new FieldError(`${name} "${fieldText(b, s, e)}" is too long for an integer`);
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (!isDigit(c)) throw new FieldError(`${name} "${fieldText(b, s, e)}" is not an integer`);
    v = v * 10 + (c - ZERO);
  }
  return v;
}

/** Digits starting at s as an integer, for fixed-width parts (hh, mm); -1 if one is not a digit. */
function fixedDigits(b: Uint8Array, s: number, n: number): number {
  let v = 0;
  for (let i = s; i < s + n; i++) {
    const c = b[i];
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - ZERO);
  }
  return v;
}

/** `dd` or `dd.ddd` starting at s and ending at e, as Number(text) would read it; -1 when not that shape. */
function twoDigitsWithFraction(b: Uint8Array, s: number, e: number): number {
  if (e - s < 2) return -1;
  const whole = fixedDigits(b, s, 2);
  if (whole < 0) return -1;
  if (e === s + 2) return whole;
  if (b[s + 2] !== DOT) return -1;
  let mantissa = whole;
  const k = e - (s + 3);
  if (k === 0) return whole;
  if (k + 2 > MAX_EXACT_DIGITS) return Number(fieldText(b, s, e));
  for (let i = s + 3; i < e; i++) {
    const c = b[i];
    if (!isDigit(c)) return -1;
    mantissa = mantissa * 10 + (c - ZERO);
  }
  return mantissa / POW10[k];
}

/** hhmmss(.sss) → seconds since midnight; NaN when empty. */
export function readTimeOfDay(b: Uint8Array, s: number, e: number): number {
  if (s === e) return NaN;
  const h = e - s >= 6 ? fixedDigits(b, s, 2) : -1;
  const m = h >= 0 ? fixedDigits(b, s + 2, 2) : -1;
  const sec = m >= 0 ? twoDigitsWithFraction(b, s + 4, e) : -1;
  if (h < 0 || m < 0 || sec < 0) throw new FieldError(`time "${fieldText(b, s, e)}" is not hhmmss.ss`);
  if (h > 23 || m > 59 || sec >= 61) throw new FieldError(`time "${fieldText(b, s, e)}" is out of range`);
  return h * 3600 + m * 60 + sec;
}

/**
 * (d)ddmm.mmmm plus a hemisphere letter → signed degrees; NaN when the value is empty (some
 * receivers keep the hemisphere letter while they have no fix).
 */
export function readAngle(b: Uint8Array, s: number, e: number, hs: number, he: number, kind: 'lat' | 'lon'): number {
  if (s === e) return NaN;
  const degreeDigits = kind === 'lat' ? 2 : 3;
  const degrees = e - s >= degreeDigits + 2 ? fixedDigits(b, s, degreeDigits) : -1;
  const minutes = degrees >= 0 ? twoDigitsWithFraction(b, s + degreeDigits, e) : -1;
  const name = kind === 'lat' ? 'latitude' : 'longitude';
  if (degrees < 0 || minutes < 0) throw new FieldError(`${name} "${fieldText(b, s, e)}" is not ${kind === 'lat' ? 'dd' : 'ddd'}mm.mmmm`);
  const deg = degrees + minutes / 60;
  if (minutes >= 60 || deg > (kind === 'lat' ? 90 : 180)) throw new FieldError(`${name} "${fieldText(b, s, e)}" is out of range`);
  const hemisphere = he - hs === 1 ? b[hs] : -1;
  const positive = kind === 'lat' ? 0x4e /* N */ : 0x45; /* E */
  const negative = kind === 'lat' ? 0x53 /* S */ : 0x57; /* W */
  if (hemisphere === negative) return -deg;
  if (hemisphere === positive) return deg;
  throw new FieldError(`hemisphere "${fieldText(b, hs, he)}" is not ${kind === 'lat' ? 'N or S' : 'E or W'}`);
}

/** One character field: its code, 0 when empty, -1 when longer than one character. */
export function readChar(b: Uint8Array, s: number, e: number): number {
  if (s === e) return 0;
  return e - s === 1 ? b[s] : -1;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date; NaN when the date does not exist. */
export function daysFromCivil(d: CalendarDate): number {
  if (d.month < 1 || d.month > 12 || d.day < 1) return NaN;
  const daysInMonth = [31, isLeap(d.year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][d.month - 1];
  if (d.day > daysInMonth) return NaN;
  return Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** ddmmyy → a date, undefined when empty, 'invalid' when garbled (receivers after a week rollover send such). */
export function readDdmmyy(b: Uint8Array, s: number, e: number): CalendarDate | undefined | 'invalid' {
  if (s === e) return undefined;
  if (e - s !== 6) return 'invalid';
  const day = fixedDigits(b, s, 2);
  const month = fixedDigits(b, s + 2, 2);
  const yy = fixedDigits(b, s + 4, 2);
  if (day < 0 || month < 0 || yy < 0) return 'invalid';
  // Two-digit years: NMEA receivers in use were all made after 1980.
  const date = { year: yy >= 80 ? 1900 + yy : 2000 + yy, month, day };
  return Number.isNaN(daysFromCivil(date)) ? 'invalid' : date;
}
