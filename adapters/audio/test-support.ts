import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real speech WAV (silero-vad, MIT; see test/fixtures/audio/NOTICE): 7 s, 16 kHz mono s16le. */
export const speechWav = (): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL('../../test/fixtures/audio/speech.wav', import.meta.url))));

/** The speech samples as s16 integers (the fixture's data chunk starts at byte 44). */
export const speechSamples = (): Int16Array => {
  const wav = speechWav();
  return new Int16Array(wav.slice(44).buffer);
};

/** A WAV file as tests need one: float32 or s16, plain or WAVE_FORMAT_EXTENSIBLE, with extra chunks before data. */
export function writeWav(samples: Float32Array | Int16Array, options: { sampleRate: number; channels: number; extensible?: boolean; extraChunk?: boolean }): Uint8Array {
  const float = samples instanceof Float32Array;
  const bits = float ? 32 : 16;
  const tag = float ? 3 : 1;
  const fmtSize = options.extensible ? 40 : 16;
  const extra = options.extraChunk ? 8 + 5 + 1 : 0;
  const dataBytes = samples.byteLength;
  const out = new Uint8Array(12 + 8 + fmtSize + extra + 8 + dataBytes);
  const v = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, out.byteLength - 8, true);
  text(8, 'WAVE');
  let p = 12;
  if (options.extraChunk) {
    // An odd-sized LIST chunk with its pad byte, before fmt, to exercise chunk scanning.
    text(p, 'LIST');
    v.setUint32(p + 4, 5, true);
    text(p + 8, 'INFOx');
    p += 14;
  }
  text(p, 'fmt ');
  v.setUint32(p + 4, fmtSize, true);
  v.setUint16(p + 8, options.extensible ? 0xfffe : tag, true);
  v.setUint16(p + 10, options.channels, true);
  v.setUint32(p + 12, options.sampleRate, true);
  v.setUint32(p + 16, options.sampleRate * options.channels * (bits / 8), true);
  v.setUint16(p + 20, options.channels * (bits / 8), true);
  v.setUint16(p + 22, bits, true);
  if (options.extensible) {
    v.setUint16(p + 24, 22, true);
    v.setUint16(p + 26, bits, true);
    v.setUint32(p + 28, options.channels === 2 ? 3 : 4, true);
    v.setUint16(p + 32, tag, true);
    out.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], p + 34);
  }
  p += 8 + fmtSize;
  text(p, 'data');
  v.setUint32(p + 4, dataBytes, true);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), p + 8);
  return out;
}
