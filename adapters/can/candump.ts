import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type OnDecodeIssue } from '../decoder.js';

/**
 * `candump -l` / `candump -L` log lines (SocketCAN can-utils):
 *
 *   (1436509052.249713) can0 60B#0123456789ABCDEF      classic frame, 3 hex digits = 11-bit ID
 *   (1436509052.249713) can0 1234ABCD#0102             8 hex digits = 29-bit extended ID
 *   (1436509052.249713) can0 123##1AABBCC              CAN FD: '##', one flags nibble, then data
 *   (1436509052.249713) can0 123#R  /  123#R5          remote frame (no data)
 *
 * The time is Unix seconds with microseconds; it is parsed digit by digit into nanoseconds, never
 * through a float. A live SocketCAN socket is not reachable from Node without a native module, so
 * percept reads CAN through these logs (or `candump -L can0 | percept …` on a pipe).
 */

export interface CanFrameRecord {
  /** Capture time from the log, Unix nanoseconds. */
  readonly time: Nanos;
  readonly channel: string;
  readonly id: number;
  readonly extended: boolean;
  readonly fd: boolean;
  readonly data: Uint8Array;
}

export type CandumpErrorCode =
  | 'too-long' | 'malformed' | 'bad-timestamp' | 'bad-id' | 'bad-data'
  | 'remote-frame-unsupported' | 'can-fd-unsupported' | 'error-frame-unsupported';

export type CandumpLineResult = { ok: true; frame: CanFrameRecord } | { ok: false; code: CandumpErrorCode; message: string };

/** A CAN FD line with 64 bytes of data is about 170 characters; anything past this is not candump. */
export const MAX_CANDUMP_LINE = 256;
const CAN_ERR_FLAG = 0x20000000;

const LINE_RE = /^\((\d{1,12})\.(\d{1,9})\)\s+(\S{1,32})\s+([0-9A-Fa-f]+)(##?)(\S*)$/;

export interface CandumpParseOptions {
  /** Accept CAN FD lines (default false: counted as can-fd-unsupported, since the radars here are classic CAN). */
  allowFd?: boolean;
}

export function parseCandumpLine(line: string, options: CandumpParseOptions = {}): CandumpLineResult {
  if (line.length > MAX_CANDUMP_LINE) return { ok: false, code: 'too-long', message: `line of ${line.length} characters; at most ${MAX_CANDUMP_LINE}` };
  const text = line.trim();
  const m = LINE_RE.exec(text);
  if (!m) {
    if (/^\([^)]*\)/.test(text) && !/^\(\d{1,12}\.\d{1,9}\)/.test(text)) return { ok: false, code: 'bad-timestamp', message: `cannot read the time in "${text.slice(0, 40)}"` };
    return { ok: false, code: 'malformed', message: `not a candump -l line: "${text.slice(0, 60)}"` };
  }
  const [, secText, fracText, channel, idText, separator, payload] = m;
  const time = BigInt(secText) * 1_000_000_000n + BigInt(fracText.padEnd(9, '0'));
  if (idText.length !== 3 && idText.length !== 8) return { ok: false, code: 'bad-id', message: `CAN ID "${idText}" must have 3 (standard) or 8 (extended) hex digits` };
  const rawId = parseInt(idText, 16);
  const extended = idText.length === 8;
  if (extended && rawId & CAN_ERR_FLAG) return { ok: false, code: 'error-frame-unsupported', message: `error frame ${idText}` };
  if (extended ? rawId > 0x1fffffff : rawId > 0x7ff) return { ok: false, code: 'bad-id', message: `CAN ID 0x${idText} is out of range` };
  const fd = separator === '##';
  let hex = payload;
  if (fd) {
    if (!options.allowFd) return { ok: false, code: 'can-fd-unsupported', message: `CAN FD frame ${idText}` };
    if (!/^[0-9A-Fa-f]/.test(hex)) return { ok: false, code: 'bad-data', message: 'CAN FD frame without its flags nibble' };
    hex = hex.slice(1);
  } else if (/^R\d?$/i.test(hex)) {
    return { ok: false, code: 'remote-frame-unsupported', message: `remote frame ${idText}` };
  }
  // candump -l writes no separators, but cansend-style dots are common in hand-written logs.
  hex = hex.replace(/\./g, '');
  const maxBytes = fd ? 64 : 8;
  if (hex.length % 2 !== 0 || hex.length > maxBytes * 2 || !/^[0-9A-Fa-f]*$/.test(hex)) {
    return { ok: false, code: 'bad-data', message: `payload "${payload.slice(0, 40)}" is not up to ${maxBytes} bytes of hex` };
  }
  const data = new Uint8Array(hex.length / 2);
  for (let i = 0; i < data.length; i++) data[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return { ok: true, frame: { time, channel, id: rawId, extended, fd, data } };
}

function hexByte(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/** The inverse of parseCandumpLine for classic and FD frames (tests and fixture building). */
export function formatCandumpLine(frame: { time: Nanos; channel: string; id: number; extended?: boolean; fd?: boolean; data: Uint8Array }): string {
  const sec = frame.time / 1_000_000_000n;
  const usec = (frame.time % 1_000_000_000n) / 1000n;
  const extended = frame.extended ?? frame.id > 0x7ff;
  const id = frame.id.toString(16).toUpperCase().padStart(extended ? 8 : 3, '0');
  const data = Array.from(frame.data, hexByte).join('');
  return `(${sec}.${usec.toString().padStart(6, '0')}) ${frame.channel} ${id}${frame.fd ? '##0' : '#'}${data}`;
}

/**
 * Splits a byte stream into candump lines and parses them. The line buffer never holds more than
 * MAX_CANDUMP_LINE bytes: an over-long line is dropped up to its newline and counted.
 */
export class CandumpReader {
  readonly stats: DecoderStatsCounter;
  readonly #options: CandumpParseOptions;
  #buffer = '';
  #discarding = false;
  readonly #decoder = new TextDecoder('latin1');

  constructor(options: CandumpParseOptions & { onIssue?: OnDecodeIssue } = {}) {
    this.#options = options;
    this.stats = new DecoderStatsCounter(options.onIssue);
  }

  /** Bytes held while waiting for the end of a line (bounded by MAX_CANDUMP_LINE). */
  get buffered(): number {
    return this.#buffer.length;
  }

  push(bytes: Uint8Array): CanFrameRecord[] {
    const out: CanFrameRecord[] = [];
    const text = this.#decoder.decode(bytes, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.#discarding) {
        this.#discarding = false;
        this.#buffer = '';
        continue;
      }
      const line = this.#buffer + piece;
      this.#buffer = '';
      this.#line(line, out);
    }
    if (!this.#discarding) {
      this.#buffer += text.slice(start);
      if (this.#buffer.length > MAX_CANDUMP_LINE) {
        this.stats.issue('too-long', `line longer than ${MAX_CANDUMP_LINE} characters`);
        this.#buffer = '';
        this.#discarding = true;
      }
    }
    return out;
  }

  /** A last line without a newline still counts. */
  flush(): CanFrameRecord[] {
    const out: CanFrameRecord[] = [];
    const rest = this.#buffer;
    this.#buffer = '';
    this.#discarding = false;
    if (rest.trim() !== '') this.#line(rest, out);
    return out;
  }

  #line(line: string, out: CanFrameRecord[]): void {
    if (line.trim() === '') return;
    const result = parseCandumpLine(line, this.#options);
    if (result.ok) {
      this.stats.accepted++;
      out.push(result.frame);
    } else {
      this.stats.issue(result.code, result.message);
    }
  }
}
