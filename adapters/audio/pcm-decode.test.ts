import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import type { AudioChunk } from '../../engine/core/frames.js';
import { arecordCommand } from './arecord-command.js';
import { createPcmDecoder } from './pcm-decode.js';
import { sampleStamp } from './pcm-chunker.js';
import { speechSamples } from './test-support.js';

const T0 = 1_700_000_000_000_000_000n;

describe('PCM stream decoder', () => {
  it('starts the stream at the first push’s receivedAt minus its duration', () => {
    const speech = speechSamples();
    const decoder = createPcmDecoder({ sensorId: 'mic', sampleRate: 16000 });
    const bytes = new Uint8Array(speech.buffer);
    // 500 samples (31.25 ms) arrive at T0: they were recorded from T0 − 31.25 ms.
    expect(decoder.push(bytes.subarray(0, 1000), T0)).toEqual([]);
    const [chunk] = decoder.push(bytes.subarray(1000, 1100), T0 + 5_000_000n);
    expect(chunk).toMatchObject({ stamp: T0 - 31_250_000n, receivedAt: T0 + 5_000_000n, seq: 0, sampleRate: 16000, channels: 1 });
    expect(chunk.samples.length).toBe(512);
    expect(Math.round(chunk.samples[511] * 32768)).toBe(speech[511]);
  });

  it('stamps stay exact to the sample count over 10 minutes of 44.1 kHz stream in odd-sized pushes (no drift)', () => {
    const sampleRate = 44100;
    const decoder = createPcmDecoder({ sensorId: 'mic', sampleRate, chunkMs: 32, start: T0 });
    // 32 ms at 44.1 kHz is 1411 samples = 31 995 464.85… ns: rounding each chunk's duration would drift.
    const chunkFrames = 1411;
    const speech = speechSamples();
    const rng = createRng(3);
    const totalFrames = sampleRate * 600;
    let sent = 0;
    let count = 0;
    let last: AudioChunk | undefined;
    let naive = T0;
    while (sent < totalFrames * 2) {
      const n = Math.min(rng.int(1, 20_000), totalFrames * 2 - sent);
      const offset = sent % (speech.byteLength - 20_000);
      for (const chunk of decoder.push(new Uint8Array(speech.buffer, offset, n), T0)) {
        if (chunk.stamp !== sampleStamp(T0, BigInt(count * chunkFrames), sampleRate) || chunk.seq !== count) throw new Error(`chunk ${count}: stamp ${chunk.stamp}, seq ${chunk.seq}`);
        if (count > 0) naive += BigInt(Math.round((chunkFrames * 1e9) / sampleRate));
        count += 1;
        last = chunk;
      }
      sent += n;
    }
    expect(count).toBe(Math.floor(totalFrames / chunkFrames));
    // The last chunk starts at sample (count−1)·1411: its exact time, to the nanosecond.
    const lastIndex = BigInt((count - 1) * chunkFrames);
    expect(last?.stamp).toBe(T0 + (lastIndex * 1_000_000_000n * 2n + 44100n) / (2n * 44100n));
    expect(last?.stamp).toBe(T0 + 599_946_961_451n);
    // What summing rounded chunk durations would have given instead.
    expect(naive - (last?.stamp ?? 0n)).not.toBe(0n);
    decoder.flush();
  });

  it('decodes f32le stereo datagrams and counts a datagram that is not whole sample frames', () => {
    const decoder = createPcmDecoder({ sensorId: 'mic', sampleRate: 8000, channels: 2, format: 'f32le', framing: 'datagram', chunkSamples: 4, start: T0 });
    const values = new Float32Array([0.5, -0.5, 0.25, -0.25, 1.5, -2, NaN, 0]);
    const chunks = decoder.push(new Uint8Array(values.buffer), T0);
    expect([...chunks[0].samples]).toEqual([0.5, -0.5, 0.25, -0.25, 1, -1, 0, 0]);
    expect(decoder.push(new Uint8Array(7), T0)).toEqual([]);
    expect(decoder.stats.errors).toEqual({ 'non-finite-sample': 1, 'partial-frame': 1 });
  });

  it('rejects invalid options naming the option', () => {
    expect(() => createPcmDecoder({ sensorId: 'mic', sampleRate: 0 })).toThrow(/pcm decoder options: sampleRate/);
    expect(() => createPcmDecoder({ sensorId: 'mic', sampleRate: 16000, channels: 0 })).toThrow(/channels/);
    expect(() => createPcmDecoder({ sensorId: 'mic', sampleRate: 100, chunkMs: 1 })).toThrow(/chunkMs: 1 ms at 100 Hz is less than one sample/);
  });

  it('never throws on random pushes; chunk sizes exact, samples in range, carry below one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 50 }), fc.constantFrom('s16le', 'f32le'), fc.integer({ min: 1, max: 6 }), (pushes, format, channels) => {
        const decoder = createPcmDecoder({ sensorId: 'mic', sampleRate: 16000, channels, format: format as 's16le', chunkSamples: 64 });
        let bytes = 0;
        let samples = 0;
        for (const p of pushes) {
          bytes += p.byteLength;
          for (const c of decoder.push(p, T0)) {
            expect(c.samples.length).toBe(64 * channels);
            for (const s of c.samples) if (!(s >= -1 && s <= 1)) throw new Error(`sample ${s}`);
            samples += c.samples.length;
          }
        }
        for (const c of decoder.flush()) samples += c.samples.length;
        const frameBytes = (format === 's16le' ? 2 : 4) * channels;
        expect(samples).toBe(Math.floor(bytes / frameBytes) * channels);
      }),
      { numRuns: 300 },
    );
  });
});

describe('arecordCommand', () => {
  it('asks ALSA for headerless PCM on stdout', () => {
    expect(arecordCommand({ device: 'plughw:1,0', sampleRate: 16000, channels: 1 })).toEqual({
      command: 'arecord',
      args: ['-q', '-D', 'plughw:1,0', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1', '-'],
    });
    expect(arecordCommand({ format: 'f32le', channels: 2, periodUs: 10_000 }).args).toEqual(['-q', '-D', 'default', '-t', 'raw', '-f', 'FLOAT_LE', '-r', '16000', '-c', '2', '-F', '10000', '-']);
    expect(() => arecordCommand({ sampleRate: 0 })).toThrow(/sampleRate/);
  });
});
