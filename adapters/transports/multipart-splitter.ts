/**
 * Splits a multipart/x-mixed-replace body (MJPEG over HTTP) into parts, as a pure function of the
 * bytes pushed. A part with a Content-Length is cut by length; one without is cut at the next
 * boundary. Everything is bounded: a part longer than maxPartBytes is skipped and counted, and the
 * splitter resynchronizes on the next boundary.
 */

export interface MultipartPart {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface MultipartLimits {
  maxPartBytes: number;
  maxHeaderBytes: number;
}

export type MultipartIssueCode = 'part-too-large' | 'header-too-long' | 'bad-content-length' | 'garbage';

export interface MultipartSplitterStats {
  parts: number;
  readonly errors: Partial<Record<MultipartIssueCode, number>>;
}

/** The boundary parameter of a Content-Type, unquoted; undefined when there is none. */
export function boundaryFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;,]{1,200}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  return boundary ? boundary : undefined;
}

type State =
  | { kind: 'seek' }
  | { kind: 'headers' }
  | { kind: 'body'; headers: Record<string, string>; length: number | undefined }
  | { kind: 'skip'; remaining: number }
  | { kind: 'discard' };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

export class MultipartSplitter {
  readonly #delimiter: Buffer;
  readonly #limits: MultipartLimits;
  readonly #onIssue: ((code: MultipartIssueCode, message: string) => void) | undefined;
  /** Held bytes are #store[#start, #end): consuming moves #start, so a long part is not copied per push. */
  #store: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #state: State = { kind: 'seek' };
  /** Where the next delimiter search starts, so that a long body is scanned once, not per push. */
  #scanFrom = 0;
  readonly stats: MultipartSplitterStats = { parts: 0, errors: {} };

  constructor(boundary: string, limits: MultipartLimits, onIssue?: (code: MultipartIssueCode, message: string) => void) {
    if (!boundary || boundary.length > 200) throw new RangeError(`boundary: 1 to 200 characters, got ${boundary.length}`);
    // RFC 2046 puts "--" before the boundary; cameras that declare "boundary=--x" usually write "--x".
    this.#delimiter = Buffer.from(boundary.startsWith('--') ? boundary : `--${boundary}`, 'latin1');
    this.#limits = limits;
    this.#onIssue = onIssue;
  }

  /** Bytes held between pushes; never more than maxPartBytes + maxHeaderBytes + the delimiter. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(bytes: Uint8Array): MultipartPart[] {
    const out: MultipartPart[] = [];
    this.#append(bytes);
    while (this.#step(out));
    return out;
  }

  /**
   * End of the body: a part without Content-Length that was still open is complete (the server
   * closed after it); anything else held is incomplete and dropped.
   */
  end(): MultipartPart[] {
    const out: MultipartPart[] = [];
    const state = this.#state;
    if (state.kind === 'body' && state.length === undefined && this.bufferedBytes > 0) {
      let body = this.#buffer;
      if (body.at(-1) === 0x0a) body = body.subarray(0, -1);
      if (body.at(-1) === 0x0d) body = body.subarray(0, -1);
      out.push({ headers: state.headers, body: new Uint8Array(body) });
      this.stats.parts += 1;
    }
    this.#start = this.#end = 0;
    this.#state = { kind: 'seek' };
    return out;
  }

  get #buffer(): Buffer {
    return this.#store.subarray(this.#start, this.#end);
  }

  #append(bytes: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#end + bytes.byteLength > this.#store.byteLength) {
      const size = held + bytes.byteLength;
      const target = size > this.#store.byteLength / 2 ? Buffer.allocUnsafe(Math.max(size * 2, 64 * 1024)) : this.#store;
      this.#store.copy(target, 0, this.#start, this.#end);
      this.#store = target;
      this.#start = 0;
      this.#end = held;
    }
    this.#store.set(bytes, this.#end);
    this.#end += bytes.byteLength;
  }

  #issue(code: MultipartIssueCode, message: string): void {
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    this.#onIssue?.(code, message);
  }

  #consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    this.#scanFrom = 0;
  }

  /** Keeps only a tail that may hold the start of a delimiter. */
  #keepTail(): void {
    const keep = this.#delimiter.byteLength - 1;
    if (this.#end - this.#start > keep) this.#consume(this.#end - this.#start - keep);
    this.#scanFrom = 0;
  }

  /** One state transition; false when more bytes are needed. */
  #step(out: MultipartPart[]): boolean {
    const state = this.#state;
    const buf = this.#buffer;
    switch (state.kind) {
      case 'seek':
      case 'discard': {
        const at = buf.indexOf(this.#delimiter, this.#scanFrom);
        if (at < 0) {
          // Bytes between parts other than line breaks are not a camera's; report once per run.
          if (state.kind === 'seek' && /[^\r\n\s]/.test(buf.subarray(0, Math.max(0, buf.byteLength - this.#delimiter.byteLength + 1)).toString('latin1'))) {
            this.#issue('garbage', 'bytes outside any part');
            this.#state = { kind: 'discard' };
          }
          this.#keepTail();
          return false;
        }
        const lineEnd = buf.indexOf(0x0a, at + this.#delimiter.byteLength);
        if (lineEnd < 0) {
          if (buf.byteLength - at > this.#delimiter.byteLength + 64) {
            this.#consume(at + this.#delimiter.byteLength);
            return true;
          }
          if (at > 0) this.#consume(at);
          return false;
        }
        // "--boundary--" closes the body; a server may start another after it, so seek on.
        const closing = buf[at + this.#delimiter.byteLength] === 0x2d && buf[at + this.#delimiter.byteLength + 1] === 0x2d;
        this.#consume(lineEnd + 1);
        this.#state = closing ? { kind: 'seek' } : { kind: 'headers' };
        return true;
      }
      case 'headers': {
        let headerEnd: number;
        let sepLength: number;
        if (buf[0] === 0x0d && buf[1] === 0x0a) [headerEnd, sepLength] = [0, 2];
        else if (buf[0] === 0x0a) [headerEnd, sepLength] = [0, 1];
        else {
          const crlf = buf.indexOf(CRLFCRLF);
          const lf = buf.indexOf(LFLF);
          [headerEnd, sepLength] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
        }
        if (headerEnd < 0 || headerEnd > this.#limits.maxHeaderBytes) {
          if (buf.byteLength > this.#limits.maxHeaderBytes || headerEnd > this.#limits.maxHeaderBytes) {
            this.#issue('header-too-long', `part headers longer than ${this.#limits.maxHeaderBytes} bytes`);
            this.#state = { kind: 'discard' };
            return true;
          }
          return false;
        }
        const headers: Record<string, string> = {};
        for (const line of buf.subarray(0, headerEnd).toString('latin1').split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        this.#consume(headerEnd + sepLength);
        let length: number | undefined;
        const declared = headers['content-length'];
        if (declared !== undefined) {
          if (/^\d{1,12}$/.test(declared)) length = Number(declared);
          else this.#issue('bad-content-length', `Content-Length "${declared.slice(0, 40)}" is not a number; cutting at the boundary`);
        }
        if (length !== undefined && length > this.#limits.maxPartBytes) {
          this.#issue('part-too-large', `part of ${length} bytes; at most ${this.#limits.maxPartBytes}`);
          this.#state = { kind: 'skip', remaining: length };
          return true;
        }
        this.#state = { kind: 'body', headers, length };
        return true;
      }
      case 'skip': {
        const n = Math.min(state.remaining, buf.byteLength);
        this.#consume(n);
        state.remaining -= n;
        if (state.remaining > 0) return false;
        this.#state = { kind: 'seek' };
        return true;
      }
      case 'body': {
        if (state.length !== undefined) {
          if (buf.byteLength < state.length) return false;
          out.push({ headers: state.headers, body: new Uint8Array(buf.subarray(0, state.length)) });
          this.stats.parts += 1;
          this.#consume(state.length);
          this.#state = { kind: 'seek' };
          return true;
        }
        const at = buf.indexOf(this.#delimiter, this.#scanFrom);
        if (at < 0) {
          if (buf.byteLength > this.#limits.maxPartBytes + this.#delimiter.byteLength) {
            this.#issue('part-too-large', `part without Content-Length longer than ${this.#limits.maxPartBytes} bytes`);
            this.#state = { kind: 'discard' };
            this.#keepTail();
            return false;
          }
          this.#scanFrom = Math.max(0, buf.byteLength - this.#delimiter.byteLength + 1);
          return false;
        }
        let end = at;
        if (end > 0 && buf[end - 1] === 0x0a) end -= 1;
        if (end > 0 && buf[end - 1] === 0x0d) end -= 1;
        if (end > this.#limits.maxPartBytes) this.#issue('part-too-large', `part of ${end} bytes; at most ${this.#limits.maxPartBytes}`);
        else {
          out.push({ headers: state.headers, body: new Uint8Array(buf.subarray(0, end)) });
          this.stats.parts += 1;
        }
        this.#consume(at);
        this.#state = { kind: 'seek' };
        return true;
      }
    }
  }
}
