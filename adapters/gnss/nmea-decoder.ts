import { z } from 'zod';
import type { GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { parseDecoderOptions } from './decoder-options.js';
import { LineFramer } from './line-framer.js';
import { decodeNmeaBytes, MAX_NMEA_LINE, type NmeaSentenceType } from './nmea-decode.js';
import { NmeaEpochAssembler } from './nmea-epoch.js';
import type { CalendarDate } from './nmea-fields.js';

/**
 * NMEA 0183 from a byte stream (serial port, TCP, a log file) → one GnssFix per epoch. Counted
 * problems, by code: no-start, no-checksum, bad-checksum, interrupted (a sentence cut short by the
 * '$' of another one spliced into it), too-long, malformed, unsupported (proprietary $P… and
 * sentence types not decoded), bad-date, late-sentence. Lines starting with '#' (comments in gpsd's
 * test logs) and empty lines are skipped without a count.
 */

const SENTENCE_TYPES = ['GGA', 'RMC', 'GSA', 'GSV', 'VTG', 'GST', 'GNS', 'ZDA', 'HDT', 'GLL'] as const;
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/** Rig options of the NMEA decoder. */
export const nmeaDecoderOptionsSchema = z.object({
  sensorId: z.string().min(1),
  frameId: z.string().min(1).optional(),
  /** Longest sentence accepted, CR LF excluded (NMEA says 82; u-blox high-precision output is longer). */
  maxLineLength: z.number().int().min(82).max(4096).optional(),
  /** Sentence types that end the receiver's cycle, so that a fix goes out without waiting for the next epoch. */
  cycleEndTypes: z.array(z.enum(SENTENCE_TYPES)).optional(),
  /** UTC date assumed until the receiver sends one (RMC or ZDA); default: the host clock's date. */
  assumeDate: isoDate.optional(),
  /** Dates before this one are moved on by 1024 GPS weeks (week-number rollover); default 2000-01-01. */
  weekRolloverFloor: isoDate.optional(),
}).strict();

export type NmeaDecoderOptions = z.input<typeof nmeaDecoderOptionsSchema> & FrameIdentity & { onIssue?: OnDecodeIssue };

const DOLLAR = 0x24;
const HASH = 0x23;

function parseIsoDate(text: string | undefined): CalendarDate | undefined {
  if (text === undefined) return undefined;
  const [year, month, day] = text.split('-').map(Number);
  return { year, month, day };
}

export interface NmeaDecoder extends FrameDecoder<GnssFix> {
  /** Bytes held for an unfinished line: at most maxLineLength + 2, whatever was pushed. */
  readonly bufferedBytes: number;
}

export function createNmeaDecoder(options: NmeaDecoderOptions): NmeaDecoder {
  const o = parseDecoderOptions(nmeaDecoderOptionsSchema, options, 'nmea decoder');
  const maxLineLength = o.maxLineLength ?? MAX_NMEA_LINE;
  const stats = new DecoderStatsCounter(options.onIssue);
  const assembler = new NmeaEpochAssembler({
    sensorId: o.sensorId,
    frameId: o.frameId ?? o.sensorId,
    cycleEndTypes: o.cycleEndTypes as NmeaSentenceType[] | undefined,
    assumeDate: parseIsoDate(o.assumeDate),
    weekRolloverFloor: parseIsoDate(o.weekRolloverFloor),
  }, stats);
  const framer = new LineFramer({ maxLineLength: maxLineLength + 1, resyncByte: DOLLAR });
  let out: GnssFix[] = [];
  let receivedAt: Nanos = 0n;

  const onSentence = (b: Uint8Array, start: number, end: number, cutShort: boolean): void => {
    const r = decodeNmeaBytes(b, start, end, maxLineLength);
    if (!r.ok) {
      // A fragment followed by the '$' of another sentence on the same line: a collision.
      const code = cutShort && r.error.code === 'no-checksum' ? 'interrupted' : r.error.code;
      stats.issue(code, code === 'interrupted' ? 'sentence cut short by the start of another' : r.error.message);
      return;
    }
    const s = r.sentence;
    if ((s.type === 'RMC' || s.type === 'ZDA') && s.badDate) stats.issue('bad-date', `${s.talker}${s.type} date is not a calendar date; the rest of the sentence is used`);
    stats.accepted++;
    assembler.add(s, receivedAt, out);
  };

  const onLine = (b: Uint8Array, start: number, end: number): void => {
    if (end === start || b[start] === HASH) return;
    // Every '$' starts a sentence: one injected into another splits the line in two or three.
    let s = start;
    for (let d = b.indexOf(DOLLAR, s + 1); d >= 0 && d < end; d = b.indexOf(DOLLAR, s + 1)) {
      onSentence(b, s, d, true);
      s = d;
    }
    onSentence(b, s, end, false);
  };

  const onTooLong = (length: number): void => {
    stats.issue('too-long', `line of more than ${length - 1} characters; at most ${maxLineLength}`);
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
      assembler.flush(receivedAt, out);
      return take();
    },
  };
}
