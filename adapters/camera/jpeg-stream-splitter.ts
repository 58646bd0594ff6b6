/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg `-f mjpeg`, a camera's serial or TCP output)
 * into whole images. It follows the JPEG structure instead of searching for FF D9 blindly: marker
 * segments are skipped by their length (an EXIF thumbnail in APP1 holds its own SOI/EOI), and in
 * entropy-coded data FF 00 (stuffing), FF D0–D7 (restart) and FF FF (fill) are not markers.
 * Memory is bounded: at most maxImageBytes plus one slice of input is held.
 */

export type JpegSplitIssueCode = 'garbage' | 'image-too-large' | 'truncated' | 'bad-marker';

/** Input is processed in slices of this size so that one huge push cannot grow the buffer past the bound. */
const SLICE_BYTES = 64 * 1024;

type State = 'seek' | 'segments' | 'entropy';

export class JpegStreamSplitter {
  readonly #maxImageBytes: number;
  readonly #onIssue: (code: JpegSplitIssueCode, message: string) => void;
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  #pos = 0;
  #state: State = 'seek';
  /** After an error, bytes up to the next SOI are expected junk: count them once. */
  #skipping = false;

  constructor(maxImageBytes: number, onIssue: (code: JpegSplitIssueCode, message: string) => void = () => undefined) {
    this.#maxImageBytes = maxImageBytes;
    this.#onIssue = onIssue;
  }

  get bufferedBytes(): number {
    return this.#len;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let start = 0; start < bytes.byteLength; start += SLICE_BYTES) {
      this.#append(bytes.subarray(start, Math.min(bytes.byteLength, start + SLICE_BYTES)));
      this.#run(out);
    }
    return out;
  }

  /** End of input: an image in progress is truncated. */
  flush(): void {
    if (this.#state !== 'seek' && this.#len > 0) this.#onIssue('truncated', `stream ended inside an image after ${this.#len} bytes`);
    this.#len = 0;
    this.#pos = 0;
    this.#state = 'seek';
    this.#skipping = false;
  }

  #append(bytes: Uint8Array): void {
    const need = this.#len + bytes.byteLength;
    if (need > this.#buf.byteLength) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.#maxImageBytes + SLICE_BYTES, Math.max(64 * 1024, this.#buf.byteLength * 2))));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = need;
  }

  #consume(n: number): void {
    this.#buf.copyWithin(0, n, this.#len);
    this.#len -= n;
    this.#pos = Math.max(0, this.#pos - n);
  }

  #lostSync(code: JpegSplitIssueCode, message: string): void {
    this.#onIssue(code, message);
    this.#skipping = true;
    this.#state = 'seek';
    // Drop this image's SOI so that the search finds the next one.
    this.#consume(Math.min(2, this.#len));
    this.#pos = 0;
  }

  #run(out: Uint8Array[]): void {
    const buf = this.#buf;
    for (;;) {
      // The scan position, not the buffer length: the buffer may already hold the next image's start.
      if (this.#state !== 'seek' && Math.min(this.#pos, this.#len) > this.#maxImageBytes) {
        this.#onIssue('image-too-large', `image longer than ${this.#maxImageBytes} bytes`);
        this.#consume(this.#len);
        this.#state = 'seek';
        this.#skipping = true;
        return;
      }
      const len = this.#len;
      if (this.#state === 'seek') {
        const at = findSoi(buf, this.#pos, len);
        if (at < 0) {
          // Keep two bytes: they may be the start of the next SOI.
          const drop = Math.max(0, len - 2);
          if (drop > 0 && !this.#skipping) {
            this.#onIssue('garbage', `${drop} bytes outside any JPEG`);
            this.#skipping = true;
          }
          this.#consume(drop);
          this.#pos = 0;
          return;
        }
        if (at > 0 && !this.#skipping) this.#onIssue('garbage', `${at} bytes before a JPEG`);
        this.#skipping = false;
        this.#consume(at);
        this.#pos = 2;
        this.#state = 'segments';
        continue;
      }
      if (this.#state === 'segments') {
        let p = this.#pos;
        if (p + 1 >= len) return;
        if (buf[p] !== 0xff) {
          this.#lostSync('bad-marker', `expected a marker at byte ${p} of an image, found 0x${buf[p].toString(16)}`);
          continue;
        }
        while (p + 1 < len && buf[p + 1] === 0xff) p += 1;
        this.#pos = p;
        if (p + 1 >= len) return;
        const marker = buf[p + 1];
        if (marker === 0xd9) {
          out.push(buf.slice(0, p + 2));
          this.#consume(p + 2);
          this.#pos = 0;
          this.#state = 'seek';
          continue;
        }
        if (marker === 0xd8) {
          this.#onIssue('truncated', `a new SOI at byte ${p} before the image's EOI`);
          this.#consume(p);
          this.#pos = 2;
          continue;
        }
        if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
          this.#pos = p + 2;
          continue;
        }
        if (marker === 0x00) {
          this.#lostSync('bad-marker', `FF 00 at byte ${p} outside entropy-coded data`);
          continue;
        }
        if (p + 4 > len) return;
        const length = (buf[p + 2] << 8) | buf[p + 3];
        if (length < 2) {
          this.#lostSync('bad-marker', `segment length ${length} at byte ${p}`);
          continue;
        }
        const end = p + 2 + length;
        if (marker === 0xda) {
          if (end > len) return;
          this.#state = 'entropy';
        }
        this.#pos = end;
        continue;
      }
      // Entropy-coded data: only FF followed by something other than 00, D0–D7 or FF is a marker.
      const i = indexOfFf(buf, this.#pos, len);
      if (i < 0) {
        this.#pos = len;
        return;
      }
      if (i + 1 >= len) {
        this.#pos = i;
        return;
      }
      const next = buf[i + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) this.#pos = i + 2;
      else if (next === 0xff) this.#pos = i + 1;
      else {
        this.#pos = i;
        this.#state = 'segments';
      }
    }
  }
}

function indexOfFf(buf: Uint8Array, from: number, len: number): number {
  const i = buf.indexOf(0xff, from);
  return i >= 0 && i < len ? i : -1;
}

/** SOI is always followed by another marker, so FF D8 FF is a firmer anchor than FF D8. */
function findSoi(buf: Uint8Array, from: number, len: number): number {
  for (let i = indexOfFf(buf, from, len); i >= 0 && i + 2 < len; i = indexOfFf(buf, i + 1, len)) {
    if (buf[i + 1] === 0xd8 && buf[i + 2] === 0xff) return i;
  }
  return -1;
}
