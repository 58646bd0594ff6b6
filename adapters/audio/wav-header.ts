import type { PcmSampleFormat } from './pcm-chunker.js';

/**
 * The RIFF/WAVE header as a pure function of bytes: chunks are walked with bounds checks up to the
 * `data` chunk. PCM s16le (format 1), IEEE float32 (format 3) and WAVE_FORMAT_EXTENSIBLE (0xFFFE)
 * with either subformat; any channel count up to 64.
 */

export interface WavInfo {
  readonly format: PcmSampleFormat;
  readonly sampleRate: number;
  readonly channels: number;
  /** Bytes of one sample frame (all channels). */
  readonly blockAlign: number;
  /** Offset of the first sample byte. */
  readonly dataOffset: number;
  /** The data chunk's declared length, or undefined when it is unknown (0 or ~4 GiB, as streaming writers leave it). */
  readonly dataBytes: number | undefined;
}

export type WavHeaderErrorCode = 'not-wav' | 'bad-fmt' | 'unsupported-format' | 'no-fmt' | 'header-too-long' | 'bad-chunk';

export type WavHeaderResult =
  | { ok: true; info: WavInfo }
  | { ok: false; code: WavHeaderErrorCode; message: string; offset?: number }
  /** The bytes end before the data chunk starts: push more. */
  | { ok: false; code: 'need-more'; message: string };

export const MAX_WAV_CHANNELS = 64;
export const MAX_WAV_SAMPLE_RATE = 768_000;
const MAX_CHUNKS = 1024;

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The KSDATAFORMAT_SUBTYPE GUID after its leading format tag: xxxxxxxx-0000-0010-8000-00aa00389b71. */
const SUBFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

export function parseWavHeader(bytes: Uint8Array, maxHeaderBytes = 1024 * 1024): WavHeaderResult {
  if (bytes.byteLength < 12) return { ok: false, code: 'need-more', message: 'fewer than 12 bytes' };
  if (fourCc(bytes, 0) !== 'RIFF' || fourCc(bytes, 8) !== 'WAVE') return { ok: false, code: 'not-wav', message: 'no RIFF…WAVE header', offset: 0 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes'> | undefined;
  let p = 12;
  for (let count = 0; count < MAX_CHUNKS; count++) {
    if (p > maxHeaderBytes) return { ok: false, code: 'header-too-long', message: `no data chunk in the first ${maxHeaderBytes} bytes`, offset: p };
    if (p + 8 > bytes.byteLength) return { ok: false, code: 'need-more', message: 'ended inside the chunk list' };
    const id = fourCc(bytes, p);
    const size = view.getUint32(p + 4, true);
    if (id === 'data') {
      if (!fmt) return { ok: false, code: 'no-fmt', message: 'data chunk before any fmt chunk', offset: p };
      const unknown = size === 0 || size >= 0x7fff_f000;
      return { ok: true, info: { ...fmt, dataOffset: p + 8, dataBytes: unknown ? undefined : size } };
    }
    if (id === 'fmt ') {
      if (size < 16 || size > 1024) return { ok: false, code: 'bad-fmt', message: `fmt chunk of ${size} bytes`, offset: p };
      if (p + 8 + size > bytes.byteLength) return { ok: false, code: 'need-more', message: 'ended inside the fmt chunk' };
      const parsed = parseFmt(bytes, view, p + 8, size);
      if (!parsed.ok) return { ...parsed, offset: p };
      fmt = parsed.fmt;
    } else if (!/^[\x20-\x7e]{4}$/.test(id)) {
      return { ok: false, code: 'bad-chunk', message: `chunk id ${JSON.stringify(id)} is not text`, offset: p };
    }
    // Chunks are padded to an even length.
    p += 8 + size + (size & 1);
  }
  return { ok: false, code: 'header-too-long', message: `more than ${MAX_CHUNKS} chunks before data` };
}

type FmtResult = { ok: true; fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes'> } | { ok: false; code: WavHeaderErrorCode; message: string };

function parseFmt(bytes: Uint8Array, view: DataView, at: number, size: number): FmtResult {
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) return { ok: false, code: 'bad-fmt', message: `WAVE_FORMAT_EXTENSIBLE fmt of ${size} bytes; it has 40` };
    const validBits = view.getUint16(at + 18, true);
    if (validBits > bits) return { ok: false, code: 'bad-fmt', message: `${validBits} valid bits in ${bits}-bit containers` };
    if (SUBFORMAT_TAIL.some((b, i) => bytes[at + 26 + i] !== b)) return { ok: false, code: 'unsupported-format', message: 'extensible subformat is not a standard KSDATAFORMAT GUID' };
    tag = view.getUint16(at + 24, true);
  }
  if (channels < 1 || channels > MAX_WAV_CHANNELS) return { ok: false, code: 'bad-fmt', message: `${channels} channels; 1 to ${MAX_WAV_CHANNELS}` };
  if (sampleRate < 1 || sampleRate > MAX_WAV_SAMPLE_RATE) return { ok: false, code: 'bad-fmt', message: `sample rate ${sampleRate} Hz; 1 to ${MAX_WAV_SAMPLE_RATE}` };
  let format: PcmSampleFormat;
  if (tag === WAVE_FORMAT_PCM && bits === 16) format = 's16le';
  else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) format = 'f32le';
  else return { ok: false, code: 'unsupported-format', message: `format ${tag} with ${bits} bits; supported: PCM 16-bit, float 32-bit` };
  if (blockAlign !== channels * (bits / 8)) return { ok: false, code: 'bad-fmt', message: `block align ${blockAlign}; ${channels} channels of ${bits} bits need ${channels * (bits / 8)}` };
  return { ok: true, fmt: { format, sampleRate, channels, blockAlign } };
}
