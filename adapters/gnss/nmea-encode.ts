/**
 * NMEA 0183 sentence writer for GGA and RMC: what a receiver would send. Used by the scenario
 * generator so that stored fixes carry NMEA's own quantization, and by tests of the decoder.
 */

export interface NmeaFixFields {
  /** Two-letter talker id: GP (GPS), GN (multi-constellation), GL, GA, BD... */
  talker?: string;
  /** UTC time of the fix, milliseconds since the Unix epoch (GGA uses the time of day only). */
  utcMillis: number;
  /** WGS84 degrees. */
  latitude: number;
  longitude: number;
}

export interface GgaFields extends NmeaFixFields {
  /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning. */
  quality: number;
  satellites: number;
  hdop: number;
  altitudeMsl: number;
  geoidSeparation: number;
}

export interface RmcFields extends NmeaFixFields {
  /** Ground speed, m/s. */
  speed: number;
  /** Course over ground, degrees clockwise from true north. */
  course: number;
  /** Mode indicator (NMEA 2.3+): A autonomous, D differential, R RTK fixed... */
  mode?: string;
}

export interface NmeaFormatOptions {
  /** Decimals of the minutes of latitude and longitude; 4 (ddmm.mmmm) is the classic choice. */
  minuteDecimals?: number;
}

export const METRES_PER_SECOND_PER_KNOT = 1852 / 3600;

/** XOR of the characters between `$` and `*`, as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i) & 0xff;
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

/** `$body*CS` (without the CR LF that ends a sentence on the wire). */
export function nmeaSentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

/** Degrees as NMEA's (d)ddmm.mmmm and a hemisphere letter; rounding never yields 60 minutes. */
export function formatAngle(degrees: number, kind: 'lat' | 'lon', minuteDecimals = 4): [string, string] {
  const hemisphere = kind === 'lat' ? (degrees < 0 ? 'S' : 'N') : degrees < 0 ? 'W' : 'E';
  const scale = 10 ** minuteDecimals;
  // Work in whole units of the last minute digit, so carries from rounding land in the degrees.
  const units = Math.round(Math.abs(degrees) * 60 * scale);
  const wholeDegrees = Math.floor(units / (60 * scale));
  const minuteUnits = units - wholeDegrees * 60 * scale;
  const minutes = (minuteUnits / scale).toFixed(minuteDecimals).padStart(minuteDecimals > 0 ? 3 + minuteDecimals : 2, '0');
  return [String(wholeDegrees).padStart(kind === 'lat' ? 2 : 3, '0') + minutes, hemisphere];
}

interface UtcParts {
  time: string;
  date: string;
}

/** hhmmss.ss and ddmmyy, both from the time rounded to centiseconds. */
function formatUtc(utcMillis: number): UtcParts {
  const centis = Math.round(utcMillis / 10);
  const d = new Date(centis * 10);
  const two = (n: number): string => String(n).padStart(2, '0');
  const cs = centis % 100;
  return {
    time: `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}.${two(cs < 0 ? cs + 100 : cs)}`,
    date: `${two(d.getUTCDate())}${two(d.getUTCMonth() + 1)}${two(d.getUTCFullYear() % 100)}`,
  };
}

export function encodeGga(f: GgaFields, options: NmeaFormatOptions = {}): string {
  const [lat, ns] = formatAngle(f.latitude, 'lat', options.minuteDecimals);
  const [lon, ew] = formatAngle(f.longitude, 'lon', options.minuteDecimals);
  const body = [
    `${f.talker ?? 'GP'}GGA`, formatUtc(f.utcMillis).time, lat, ns, lon, ew, String(f.quality),
    String(f.satellites).padStart(2, '0'), f.hdop.toFixed(1), f.altitudeMsl.toFixed(1), 'M', f.geoidSeparation.toFixed(1), 'M', '', '',
  ].join(',');
  return nmeaSentence(body);
}

export function encodeRmc(f: RmcFields, options: NmeaFormatOptions = {}): string {
  const [lat, ns] = formatAngle(f.latitude, 'lat', options.minuteDecimals);
  const [lon, ew] = formatAngle(f.longitude, 'lon', options.minuteDecimals);
  const utc = formatUtc(f.utcMillis);
  const course = ((f.course % 360) + 360) % 360;
  const body = [
    `${f.talker ?? 'GP'}RMC`, utc.time, 'A', lat, ns, lon, ew, (f.speed / METRES_PER_SECOND_PER_KNOT).toFixed(3),
    course.toFixed(2) === '360.00' ? '0.00' : course.toFixed(2), utc.date, '', '', f.mode ?? 'A',
  ].join(',');
  return nmeaSentence(body);
}
