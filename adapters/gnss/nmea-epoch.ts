import type { FixType, GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import type { DecoderStatsCounter } from '../decoder.js';
import { daysFromCivil, type CalendarDate } from './nmea-fields.js';
import type {
  GgaSentence, GllSentence, GnsSentence, GsaSentence, GstSentence, HdtSentence, NmeaSentence, NmeaSentenceType, RmcSentence, VtgSentence, ZdaSentence,
} from './nmea-decode.js';

/**
 * Epoch assembly: a receiver reports one navigation solution as several sentences that share a UTC
 * time of day. Sentences with a time (GGA, RMC, GNS, GLL, GST, ZDA) open or join the epoch of that
 * time; sentences without one (GSA, GSV, VTG, HDT) join the epoch that is open when they arrive
 * (before the first timed sentence of a stream they wait for it). An epoch is complete when a
 * sentence of another time arrives, when a sentence of a configured cycle-ending type joins it,
 * or on flush; then it becomes one GnssFix.
 */

export interface NmeaEpochOptions {
  sensorId: string;
  frameId: string;
  /**
   * Sentence types that end a receiver's cycle (e.g. ['RMC'] for a SiRF that sends GGA GSA [GSV] RMC):
   * the fix goes out when that sentence arrives instead of one cycle later. Leave empty when the
   * pattern is unknown or varies: then an epoch ends when the next one begins.
   */
  cycleEndTypes?: readonly NmeaSentenceType[];
  /** UTC date assumed until a sentence gives one (RMC, ZDA); else the host's date (see dayFor). */
  assumeDate?: CalendarDate;
  /**
   * Dates before this are taken as a GPS week-number rollover victim and moved 1024 weeks later
   * (a receiver after the 2019 rollover says 1999). Default 2000-01-01.
   */
  weekRolloverFloor?: CalendarDate;
}

const NS_PER_DAY = 86_400_000_000_000n;
const DAYS_PER_ROLLOVER = 1024 * 7;
/** Most GSA sentences one epoch keeps (one per constellation in NMEA 4.10). */
const MAX_GSA_PER_EPOCH = 8;

interface Epoch {
  /** Time of day in microseconds, the epoch's key; NaN while only untimed sentences are held. */
  key: number;
  timeOfDay: number;
  gga?: GgaSentence;
  rmc?: RmcSentence;
  gns?: GnsSentence;
  gll?: GllSentence;
  gst?: GstSentence;
  zda?: ZdaSentence;
  vtg?: VtgSentence;
  hdt?: HdtSentence;
  gsa: GsaSentence[];
}

function emptyEpoch(): Epoch {
  return { key: NaN, timeOfDay: NaN, gsa: [] };
}

function timeOf(s: NmeaSentence): number {
  switch (s.type) {
    case 'GGA': case 'RMC': case 'GNS': case 'GLL': case 'GST': case 'ZDA':
      return s.timeOfDay;
    default:
      return NaN;
  }
}

export class NmeaEpochAssembler {
  readonly #options: NmeaEpochOptions;
  readonly #stats: DecoderStatsCounter;
  readonly #cycleEnd: ReadonlySet<string>;
  readonly #floorDay: number;
  #open: Epoch = emptyEpoch();
  /** Key of the epoch emitted by a cycle-ending sentence; later sentences of that time are late. */
  #closedKey = NaN;
  #seq = 0;
  /** Day number (since 1970-01-01) of the last stamped epoch and its time of day. */
  #day = NaN;
  #lastTimeOfDay = NaN;

  constructor(options: NmeaEpochOptions, stats: DecoderStatsCounter) {
    this.#options = options;
    this.#stats = stats;
    this.#cycleEnd = new Set(options.cycleEndTypes ?? []);
    this.#floorDay = daysFromCivil(options.weekRolloverFloor ?? { year: 2000, month: 1, day: 1 });
  }

  /** Adds one decoded sentence; the fixes of the epochs it completed go to `out` (at most two). */
  add(sentence: NmeaSentence, receivedAt: Nanos, out: GnssFix[]): void {
    const t = timeOf(sentence);
    if (Number.isFinite(t)) {
      const key = Math.round(t * 1e6);
      if (key === this.#closedKey && Number.isNaN(this.#open.key)) {
        this.#stats.issue('late-sentence', `${sentence.talker}${sentence.type} at ${t} s arrived after its epoch was complete`);
        return;
      }
      if (!Number.isNaN(this.#open.key) && key !== this.#open.key) this.#emit(receivedAt, out);
      if (Number.isNaN(this.#open.key)) {
        this.#open.key = key;
        this.#open.timeOfDay = t;
        this.#closedKey = NaN;
      }
    } else if (sentence.type !== 'GSA' && sentence.type !== 'GSV' && sentence.type !== 'VTG' && sentence.type !== 'HDT') {
      // A timed type (GGA, RMC...) with an empty time: a receiver without a fix; no epoch to join.
      return;
    }
    this.#store(sentence);
    if (this.#cycleEnd.has(sentence.type) && !Number.isNaN(this.#open.key)) {
      this.#closedKey = this.#open.key;
      this.#emit(receivedAt, out);
    }
  }

  /** End of input: the open epoch, if it has a time. */
  flush(receivedAt: Nanos, out: GnssFix[]): void {
    this.#emit(receivedAt, out);
  }

  #store(s: NmeaSentence): void {
    const e = this.#open;
    // The first sentence of a type in an epoch wins (a receiver may repeat one from another talker).
    switch (s.type) {
      case 'GGA': e.gga ??= s; break;
      case 'RMC': e.rmc ??= s; break;
      case 'GNS': e.gns ??= s; break;
      case 'GLL': e.gll ??= s; break;
      case 'GST': e.gst ??= s; break;
      case 'ZDA': e.zda ??= s; break;
      case 'VTG': e.vtg ??= s; break;
      case 'HDT': e.hdt ??= s; break;
      case 'GSA': if (e.gsa.length < MAX_GSA_PER_EPOCH) e.gsa.push(s); break;
      case 'GSV': break; // satellites in view: no field of GnssFix
    }
  }

  #emit(receivedAt: Nanos, out: GnssFix[]): void {
    const e = this.#open;
    this.#open = emptyEpoch();
    if (Number.isNaN(e.key)) return;
    const stamp = this.#stampOf(e, receivedAt);
    out.push(fixOfEpoch(e, {
      sensorId: this.#options.sensorId, frameId: this.#options.frameId, stamp, receivedAt, seq: this.#seq++,
    }));
  }

  /**
   * Date + time of day. The date comes from the epoch's RMC or ZDA; else the last known date,
   * moved a day on when the time of day wraps past midnight; before any date is known, the
   * `assumeDate` option, else the UTC day that puts the stamp nearest the host's receivedAt.
   */
  #stampOf(e: Epoch, receivedAt: Nanos): Nanos {
    const tod = e.timeOfDay;
    const todNs = BigInt(Math.round(tod * 1e9));
    const given = e.rmc?.date ?? e.zda?.date;
    let day = NaN;
    if (given) {
      day = daysFromCivil(given);
      while (day < this.#floorDay) day += DAYS_PER_ROLLOVER;
    } else if (!Number.isNaN(this.#day)) {
      day = this.#day;
      if (tod < this.#lastTimeOfDay - 43_200) day += 1;
      else if (tod > this.#lastTimeOfDay + 43_200) day -= 1;
    } else if (this.#options.assumeDate) {
      day = daysFromCivil(this.#options.assumeDate);
    } else {
      day = Number(floorDiv(receivedAt - todNs + NS_PER_DAY / 2n, NS_PER_DAY));
    }
    this.#day = day;
    this.#lastTimeOfDay = tod;
    return BigInt(day) * NS_PER_DAY + todNs;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

const RANK: Record<FixType, number> = { none: 0, '2d': 1, '3d': 1, dgps: 2, 'rtk-float': 3, 'rtk-fixed': 4 };

/** A GGA quality → fix type; '3d' stands for "a fix" until GSA or the altitude says how many dimensions. */
function fixOfQuality(q: number): FixType {
  switch (q) {
    case 0: case 7: return 'none'; // 7: position entered by hand
    case 2: case 9: return 'dgps'; // 9: SBAS (NMEA 4.11)
    case 4: return 'rtk-fixed';
    case 5: return 'rtk-float';
    default: return '3d'; // 1 GPS, 3 PPS, 6 dead reckoning, 8 simulator
  }
}

/** An RMC/GLL/GNS mode letter → fix type, as fixOfQuality. */
function fixOfModeLetter(c: string): FixType {
  switch (c) {
    case 'N': case 'M': return 'none';
    case 'D': return 'dgps';
    case 'R': return 'rtk-fixed';
    case 'F': return 'rtk-float';
    default: return '3d'; // A autonomous, P precise, E estimated, S simulator, '' (NMEA < 2.3)
  }
}

function bestOfModes(modes: string): FixType {
  let best: FixType = 'none';
  for (const c of modes) {
    const f = fixOfModeLetter(c);
    if (RANK[f] > RANK[best]) best = f;
  }
  return best;
}

function finite(...values: number[]): number {
  for (const v of values) if (Number.isFinite(v)) return v;
  return NaN;
}

/** Position from GGA, else GNS, else RMC, else GLL: the first that holds one. */
function positionOf(e: Epoch): { latitude: number; longitude: number } | undefined {
  for (const s of [e.gga, e.gns, e.rmc, e.gll]) {
    if (s && Number.isFinite(s.latitude) && Number.isFinite(s.longitude)) return s;
  }
  return undefined;
}

function fixTypeOf(e: Epoch, hasPosition: boolean, altitude: number): FixType {
  if (!hasPosition) return 'none';
  // The receiver's own warning (RMC or GLL status V) overrides what GGA claims.
  if (e.rmc?.valid === false || e.gll?.valid === false) return 'none';
  let fix: FixType;
  // A GGA "fix" from zero satellites is dead reckoning on nothing (gpsd reads it as no fix too).
  if (e.gga && e.gga.quality > 0 && e.gga.satellites === 0) fix = 'none';
  else if (e.gga) fix = fixOfQuality(e.gga.quality);
  else if (e.gns) fix = bestOfModes(e.gns.modes);
  else if (e.rmc) fix = e.rmc.valid ? fixOfModeLetter(e.rmc.mode) : 'none';
  else if (e.gll) fix = e.gll.valid ? fixOfModeLetter(e.gll.mode) : 'none';
  else fix = 'none';
  if (fix !== '3d') return fix;
  // A plain fix: GSA says 2D or 3D; without a GSA, an altitude means 3D.
  const gsaMode = Math.max(...e.gsa.map((g) => (Number.isFinite(g.fixMode) ? g.fixMode : 0)), 0);
  if (gsaMode === 2) return '2d';
  if (gsaMode === 3) return '3d';
  return Number.isFinite(altitude) ? '3d' : '2d';
}

/** Satellites used: GGA's count, else GNS's, else the PRNs listed by the GSAs (one per constellation). */
function satellitesOf(e: Epoch): number {
  if (e.gga && Number.isFinite(e.gga.satellites) && (e.gga.satellites > 0 || !e.gns)) return e.gga.satellites;
  if (e.gns && e.gns.satellites > 0) return e.gns.satellites;
  return e.gsa.reduce((n, g) => n + g.prns.length, 0) || (e.gns ? e.gns.satellites : 0);
}

/** One complete epoch → a GnssFix (fixType 'none' with NaN position when the receiver had none). */
function fixOfEpoch(e: Epoch, meta: { sensorId: string; frameId: string; stamp: Nanos; receivedAt: Nanos; seq: number }): GnssFix {
  const position = positionOf(e);
  const altitudeMsl = finite(e.gga?.altitudeMsl ?? NaN, e.gns?.altitudeMsl ?? NaN);
  const geoid = finite(e.gga?.geoidSeparation ?? NaN, e.gns?.geoidSeparation ?? NaN);
  const gsa = e.gsa.find((g) => Number.isFinite(g.pdop) || Number.isFinite(g.vdop));
  const covariance = new Array<number>(9).fill(NaN);
  if (e.gst) {
    const { sigmaLatitude: n, sigmaLongitude: east, sigmaAltitude: up } = e.gst;
    if (Number.isFinite(n) && Number.isFinite(east) && Number.isFinite(up)) {
      covariance.fill(0);
      covariance[0] = east * east;
      covariance[4] = n * n;
      covariance[8] = up * up;
    }
  }
  const fix: GnssFix = {
    modality: 'gnss',
    sensorId: meta.sensorId,
    frameId: meta.frameId,
    stamp: meta.stamp,
    receivedAt: meta.receivedAt,
    seq: meta.seq,
    fixType: fixTypeOf(e, position !== undefined, altitudeMsl),
    latitude: position ? position.latitude : NaN,
    longitude: position ? position.longitude : NaN,
    altitudeMsl,
    // GnssFix has no "unknown" for it; 0 keeps altitudeMsl + geoidSeparation usable, as in assembleFix.
    geoidSeparation: Number.isFinite(geoid) ? geoid : 0,
    satellites: satellitesOf(e),
    hdop: finite(e.gga?.hdop ?? NaN, e.gns?.hdop ?? NaN, ...e.gsa.map((g) => g.hdop)),
    speed: finite(e.rmc?.speed ?? NaN, e.vtg?.speed ?? NaN),
    track: finite(e.rmc?.course ?? NaN, e.vtg?.course ?? NaN),
    heading: e.hdt ? e.hdt.heading : NaN,
    covariance,
    ...(gsa && Number.isFinite(gsa.pdop) ? { pdop: gsa.pdop } : {}),
    ...(gsa && Number.isFinite(gsa.vdop) ? { vdop: gsa.vdop } : {}),
  };
  return fix;
}
