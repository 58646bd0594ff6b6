/**
 * Width and height of JPEG and PNG images read from their headers, without decoding pixels.
 * Pure functions of bytes that return a coded error instead of throwing.
 */

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

export type ImageHeaderErrorCode = 'not-jpeg' | 'not-png' | 'truncated' | 'bad-marker' | 'no-frame-header' | 'bad-size' | 'bad-crc';

export type ImageHeaderResult = { ok: true; size: ImageSize } | { ok: false; code: ImageHeaderErrorCode; message: string; offset?: number };

const fail = (code: ImageHeaderErrorCode, message: string, offset?: number): ImageHeaderResult => ({ ok: false, code, message, offset });

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Walks the marker segments from SOI to the first SOFn. */
export function readJpegSize(bytes: Uint8Array): ImageHeaderResult {
  if (bytes.byteLength < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return fail('not-jpeg', 'no SOI marker (FF D8) at the start', 0);
  let p = 2;
  while (p < bytes.byteLength) {
    if (bytes[p] !== 0xff) return fail('bad-marker', `expected a marker, found 0x${bytes[p].toString(16)}`, p);
    // Any number of 0xFF fill bytes may precede a marker.
    while (p < bytes.byteLength && bytes[p] === 0xff) p += 1;
    if (p >= bytes.byteLength) break;
    const marker = bytes[p];
    p += 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd8 || marker === 0xd9 || marker === 0xda || marker === 0x00) return fail('no-frame-header', `marker FF ${marker.toString(16).toUpperCase()} before any SOF`, p - 2);
    if (p + 2 > bytes.byteLength) break;
    const length = (bytes[p] << 8) | bytes[p + 1];
    if (length < 2) return fail('bad-marker', `segment length ${length}`, p);
    if (isStartOfFrame(marker)) {
      if (length < 8 || p + 7 > bytes.byteLength) break;
      const height = (bytes[p + 3] << 8) | bytes[p + 4];
      const width = (bytes[p + 5] << 8) | bytes[p + 6];
      // Height 0 defers it to a DNL marker after the scan: too rare in cameras to chase.
      if (width === 0 || height === 0) return fail('bad-size', `SOF gives ${width}×${height}`, p);
      return { ok: true, size: { width, height } };
    }
    p += length;
  }
  return fail('truncated', 'ended before a SOF segment', bytes.byteLength);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads IHDR, which PNG requires to be the first chunk, and checks its CRC. */
export function readPngSize(bytes: Uint8Array): ImageHeaderResult {
  if (bytes.byteLength < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return fail('not-png', 'no PNG signature at the start', 0);
  if (bytes.byteLength < 33) return fail('truncated', 'ended before the end of IHDR', bytes.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR' || length !== 13) return fail('no-frame-header', `first chunk is ${JSON.stringify(type)} of ${length} bytes, not IHDR of 13`, 8);
  if (crc32(bytes, 12, 29) !== view.getUint32(29)) return fail('bad-crc', 'IHDR CRC does not match', 29);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return fail('bad-size', `IHDR gives ${width}×${height}`, 16);
  return { ok: true, size: { width, height } };
}

/** JPEG data ends with EOI (FF D9); some cameras pad with zeros after it. */
export function jpegHasEndMarker(bytes: Uint8Array): boolean {
  let end = bytes.byteLength;
  while (end > 2 && bytes[end - 1] === 0x00 && bytes.byteLength - end < 1024) end -= 1;
  return end >= 4 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}
