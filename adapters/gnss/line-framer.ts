/**
 * Splits a byte stream, pushed in arbitrary chunks, into lines (LF or CR LF) with a bounded buffer.
 * A line that would outgrow the buffer is dropped and reported once; the framer then skips to the
 * next line end, or to the next `resyncByte` (NMEA's '$'), where it starts over. Lines wholly
 * inside one chunk are handed over in place, without a copy.
 */

export interface LineFramerOptions {
  maxLineLength: number;
  /** A byte that always starts a new record (NMEA '$'); undefined for none. */
  resyncByte?: number;
}

/** [start, end) of `bytes`, without the line ending; valid only during the call. */
export type OnLine = (bytes: Uint8Array, start: number, end: number) => void;

const LF = 0x0a;
const CR = 0x0d;

export class LineFramer {
  readonly #max: number;
  readonly #resync: number | undefined;
  readonly #carry: Uint8Array;
  #carryLength = 0;
  #discarding = false;

  constructor(options: LineFramerOptions) {
    this.#max = options.maxLineLength;
    this.#resync = options.resyncByte;
    // +1: a line of exactly the maximum may still hold its CR.
    this.#carry = new Uint8Array(this.#max + 1);
  }

  /** Bytes held for an unfinished line (never more than maxLineLength + 1). */
  get buffered(): number {
    return this.#carryLength;
  }

  push(chunk: Uint8Array, onLine: OnLine, onTooLong: (length: number) => void): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const nl = chunk.indexOf(LF, i);
      const end = nl < 0 ? n : nl;
      if (this.#discarding) {
        const restart = this.#resync === undefined ? -1 : indexIn(chunk, this.#resync, i, end);
        if (restart < 0) {
          if (nl < 0) return;
          this.#discarding = false;
          i = nl + 1;
          continue;
        }
        this.#discarding = false;
        i = restart;
        continue;
      }
      if (this.#carryLength === 0 && nl >= 0) {
        emit(chunk, i, nl, onLine);
        i = nl + 1;
        continue;
      }
      // A line that began in an earlier chunk, or one that runs past this chunk's end.
      const length = end - i;
      if (this.#carryLength + length > this.#carry.length) {
        onTooLong(this.#carryLength + length);
        // Resynchronise at once if a record starts inside the dropped part (past its own first byte).
        const from = this.#carryLength === 0 ? i + 1 : i;
        this.#carryLength = 0;
        const restart = this.#resync === undefined ? -1 : indexIn(chunk, this.#resync, from, end);
        if (restart >= 0) {
          i = restart;
          continue;
        }
        if (nl < 0) {
          this.#discarding = true;
          return;
        }
        i = nl + 1;
        continue;
      }
      this.#carry.set(chunk.subarray(i, end), this.#carryLength);
      this.#carryLength += length;
      if (nl < 0) return;
      const held = this.#carryLength;
      this.#carryLength = 0;
      emit(this.#carry, 0, held, onLine);
      i = nl + 1;
    }
  }

  /** End of input: an unterminated last line counts as a line. */
  flush(onLine: OnLine): void {
    const held = this.#carryLength;
    this.#carryLength = 0;
    this.#discarding = false;
    if (held > 0) emit(this.#carry, 0, held, onLine);
  }
}

function emit(bytes: Uint8Array, start: number, end: number, onLine: OnLine): void {
  if (end > start && bytes[end - 1] === CR) end--;
  onLine(bytes, start, end);
}

function indexIn(bytes: Uint8Array, value: number, start: number, end: number): number {
  const at = bytes.indexOf(value, start);
  return at >= 0 && at < end ? at : -1;
}
