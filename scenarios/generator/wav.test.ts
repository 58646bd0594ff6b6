import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { speechAssetPath } from './frame-producer.js';
import { readMonoWav } from './wav.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wav(channels: number, bits: number, dataBytes: number, declaredData = dataBytes): Buffer {
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(16000 * channels * (bits / 8), 28);
  b.writeUInt16LE(channels * (bits / 8), 32);
  b.writeUInt16LE(bits, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(declaredData, 40);
  return b;
}

describe('readMonoWav', () => {
  it('reads the speech asset: 7 s of 16 kHz mono speech', () => {
    const { sampleRate, samples } = readMonoWav(speechAssetPath());
    expect(sampleRate).toBe(16000);
    expect(samples.length).toBe(7 * 16000);
    const rms = Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length);
    expect(rms).toBeGreaterThan(0.02);
  });

  it('decodes s16le to [-1, 1]', () => {
    const b = wav(1, 16, 4);
    b.writeInt16LE(-32768, 44);
    b.writeInt16LE(16384, 46);
    const path = join(dir, 'ok.wav');
    writeFileSync(path, b);
    expect(Array.from(readMonoWav(path).samples)).toEqual([-1, 0.5]);
  });

  it.each([
    ['not RIFF', Buffer.from('hello world, not a wav file at all'), /not a RIFF WAVE/],
    ['stereo', wav(2, 16, 8), /mono/],
    ['8-bit', wav(1, 8, 8), /s16le/],
    ['truncated data', wav(1, 16, 8, 800), /past the end/],
  ])('refuses %s with a clear error', (_name, bytes, message) => {
    const path = join(dir, 'bad.wav');
    writeFileSync(path, bytes);
    expect(() => readMonoWav(path)).toThrow(message);
  });
});
