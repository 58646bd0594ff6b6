import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import type { AudioChunk } from '../../engine/core/frames.js';
import { createWavDecoder } from './wav-decode.js';
import { parseWavHeader } from './wav-header.js';
import { speechSamples, speechWav, writeWav } from './test-support.js';

const START = 1_700_000_000_123_456_789n;

/** Typed-array deep equality in vitest is slow on 10⁵ elements; compare the bytes. */
function sameSamples(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function samplesOf(chunks: AudioChunk[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c.samples, o);
    o += c.samples.length;
  }
  return out;
}

describe('WAV decoder', () => {
  it('cuts the real speech WAV into 32 ms chunks of 512 samples, stamped exactly, samples round-tripping', () => {
    const wav = speechWav();
    expect(parseWavHeader(wav)).toEqual({ ok: true, info: { format: 's16le', sampleRate: 16000, channels: 1, blockAlign: 2, dataOffset: 44, dataBytes: 224000 } });
    const decoder = createWavDecoder({ sensorId: 'mic', start: START });
    const chunks = decoder.push(wav, START + 7_000_000_000n);
    // 112000 samples = 218 chunks of 512 and a last one of 384.
    expect(chunks.length).toBe(219);
    expect(chunks.slice(0, -1).every((c) => c.samples.length === 512)).toBe(true);
    expect(chunks.at(-1)?.samples.length).toBe(384);
    chunks.forEach((c, k) => {
      expect(c.seq).toBe(k);
      expect(c.stamp).toBe(START + BigInt(k) * 32_000_000n);
      expect(c).toMatchObject({ modality: 'audio', sensorId: 'mic', frameId: 'mic', sampleRate: 16000, channels: 1 });
    });
    const original = speechSamples();
    const decoded = samplesOf(chunks);
    expect(decoded.length).toBe(original.length);
    for (let i = 0; i < original.length; i++) if (Math.round(decoded[i] * 32768) !== original[i]) throw new Error(`sample ${i} differs`);
    expect(decoder.stats).toMatchObject({ accepted: 1, frames: 219, errors: {} });
  });

  it('without a stated start, the file ends at its receivedAt', () => {
    const [first] = createWavDecoder({ sensorId: 'mic' }).push(speechWav(), START);
    expect(first.stamp).toBe(START - 7_000_000_000n);
  });

  it('reads float32 and WAVE_FORMAT_EXTENSIBLE stereo with extra chunks, the same samples in stream framing at any slicing', () => {
    const speech = speechSamples().subarray(0, 48_000);
    const stereo = new Float32Array(speech.length * 2);
    speech.forEach((s, i) => {
      stereo[2 * i] = s / 32768;
      stereo[2 * i + 1] = -s / 32768;
    });
    for (const extensible of [false, true]) {
      const wav = writeWav(stereo, { sampleRate: 48000, channels: 2, extensible, extraChunk: true });
      const header = parseWavHeader(wav);
      expect(header).toMatchObject({ ok: true, info: { format: 'f32le', channels: 2, sampleRate: 48000, blockAlign: 8 } });
      const file = createWavDecoder({ sensorId: 'mic', start: START, chunkMs: 10 }).push(wav, START);
      expect(file.length).toBe(100);
      expect(file[1].stamp - file[0].stamp).toBe(10_000_000n);
      expect(sameSamples(samplesOf(file), stereo)).toBe(true);

      const streaming = createWavDecoder({ sensorId: 'mic', start: START, chunkMs: 10, framing: 'stream' });
      const rng = createRng(extensible ? 1 : 2);
      const streamed: AudioChunk[] = [];
      for (let o = 0; o < wav.byteLength; ) {
        const n = rng.int(1, 3000);
        streamed.push(...streaming.push(wav.subarray(o, o + n), START));
        o += n;
      }
      streamed.push(...streaming.flush());
      expect(streamed.map((c) => c.stamp)).toEqual(file.map((c) => c.stamp));
      expect(sameSamples(samplesOf(streamed), stereo)).toBe(true);
    }
  });

  it('counts damaged and unsupported files by code', () => {
    const wav = speechWav();
    const decoder = createWavDecoder({ sensorId: 'mic' });
    decoder.push(wav.subarray(0, 30), START);
    const lying = wav.slice(0, 10_044);
    expect(decoder.push(lying, START).length).toBe(10);
    const eightBit = wav.slice();
    eightBit[34] = 8;
    decoder.push(eightBit, START);
    decoder.push(new TextEncoder().encode('RIFF....WAVEdata\0\0\0\0'), START);
    expect(decoder.stats.errors).toEqual({ truncated: 2, 'unsupported-format': 1, 'no-fmt': 1 });
  });

  it('rejects invalid options naming the option', () => {
    expect(() => createWavDecoder({ sensorId: 'mic', chunkMs: 0 })).toThrow(/wav decoder options: chunkMs/);
    expect(() => createWavDecoder({ sensorId: 'mic', chunkSamples: 1.5 })).toThrow(/chunkSamples/);
  });

  it('never throws on random, truncated or bit-flipped WAVs; chunks stay well formed', () => {
    const real = speechWav().subarray(0, 4000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 700 }), (random, cut, flip, slice) => {
        const damaged = real.slice(0, cut % (real.byteLength + 1));
        if (damaged.byteLength) damaged[flip % damaged.byteLength] ^= 1 << (flip % 8);
        for (const framing of ['file', 'stream'] as const) {
          const decoder = createWavDecoder({ sensorId: 'mic', framing, chunkSamples: 100, maxHeaderBytes: 4096 });
          const chunks: AudioChunk[] = [];
          for (const input of [random, damaged]) {
            if (framing === 'file') chunks.push(...decoder.push(input, START));
            else for (let o = 0; o < input.byteLength; o += slice) chunks.push(...decoder.push(input.subarray(o, o + slice), START));
          }
          chunks.push(...decoder.flush());
          for (const c of chunks) {
            expect(c.samples.length % c.channels).toBe(0);
            expect(c.samples.length).toBeLessThanOrEqual(100 * c.channels);
            for (const s of c.samples) if (!(s >= -1 && s <= 1)) throw new Error(`sample ${s} out of range`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
