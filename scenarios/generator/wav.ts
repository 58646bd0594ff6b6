import { readFileSync } from 'node:fs';

/** Speech assets are small; anything larger is not one of ours. */
const MAX_WAV_BYTES = 8 * 1024 * 1024;

/** Reads a PCM s16le mono WAV into samples normalized to [-1, 1]. */
export function readMonoWav(path: string): { sampleRate: number; samples: Float32Array } {
  const bytes = readFileSync(path);
  if (bytes.length > MAX_WAV_BYTES) throw new Error(`${path}: ${bytes.length} bytes; at most ${MAX_WAV_BYTES}`);
  if (bytes.length < 12 || bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF WAVE file`);
  }
  let offset = 12;
  let sampleRate = 0;
  let format: { tag: number; channels: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (body + size > bytes.length) throw new Error(`${path}: chunk ${id} runs past the end of the file`);
    if (id === 'fmt ') {
      if (size < 16) throw new Error(`${path}: fmt chunk of ${size} bytes`);
      format = { tag: bytes.readUInt16LE(body), channels: bytes.readUInt16LE(body + 2), bits: bytes.readUInt16LE(body + 14) };
      sampleRate = bytes.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (!format || format.tag !== 1 || format.channels !== 1 || format.bits !== 16) {
        throw new Error(`${path}: only PCM s16le mono is supported`);
      }
      const samples = new Float32Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(body + 2 * i) / 32768;
      return { sampleRate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}
