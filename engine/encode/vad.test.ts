import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWavDecoder } from '../../adapters/audio/wav-decode.js';
import type { AudioChunk } from '../core/frames.js';
import { createRng } from '../core/prng.js';
import type { AudioEvent } from '../events/perception-event.js';
import { Resampler } from './preprocess-audio.js';
import { SileroVad, SpeechSegmenter } from './vad.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/audio/${name}`, import.meta.url));
const START = 1_700_000_000_000_000_000n;

function wavChunks(name: string, chunkMs: number): AudioChunk[] {
  const decoder = createWavDecoder({ sensorId: 'mic', chunkMs, start: START });
  return decoder.push(readFileSync(fixture(name)), START);
}

function samplesOf(chunks: readonly AudioChunk[]): Float32Array {
  const out = new Float32Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c.samples, at); at += c.samples.length; }
  return out;
}

function chunked(samples: Float32Array, sampleRate: number, channels: number, frames: number): AudioChunk[] {
  const out: AudioChunk[] = [];
  for (let f = 0, seq = 0; f * channels < samples.length; f += frames, seq++) {
    const stamp = START + (BigInt(f) * 1_000_000_000n) / BigInt(sampleRate);
    out.push({ modality: 'audio', sensorId: 'mic', frameId: 'mic', stamp, receivedAt: stamp, seq, sampleRate, channels, samples: samples.subarray(f * channels, (f + frames) * channels) });
  }
  return out;
}

async function run(vad: SileroVad, chunks: readonly AudioChunk[]): Promise<AudioEvent[]> {
  const events: AudioEvent[] = [];
  for (const c of chunks) events.push(...(await vad.push(c)));
  events.push(...(await vad.flush()));
  return events;
}

const seconds = (e: AudioEvent): [number, number] => [Number(e.start - START) / 1e9, Number(e.end - START) / 1e9];

/** RMS level of each 32 ms window, dB full scale. */
function envelopeDb(samples: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 512 <= samples.length; i += 512) {
    let s = 0;
    for (let j = i; j < i + 512; j++) s += samples[j] * samples[j];
    out.push(10 * Math.log10(s / 512 + 1e-12));
  }
  return out;
}

/** How the segments sit on the energy envelope: share of loud windows inside them, mean level inside and out. */
function energyAgreement(samples: Float32Array, segments: readonly [number, number][]): { loudInside: number; insideDb: number; outsideDb: number } {
  const env = envelopeDb(samples);
  let loud = 0, loudIn = 0, inSum = 0, inN = 0, outSum = 0, outN = 0;
  env.forEach((db, k) => {
    const t = (k * 512 + 256) / 16_000;
    const inside = segments.some(([a, b]) => t >= a && t < b);
    if (db > -35) { loud++; if (inside) loudIn++; }
    if (inside) { inSum += db; inN++; } else { outSum += db; outN++; }
  });
  return { loudInside: loudIn / loud, insideDb: inSum / inN, outsideDb: outSum / outN };
}

describe('SpeechSegmenter (silero-vad get_speech_timestamps rules)', () => {
  const feed = (probabilities: number[]): { start: number; end: number; meanProbability: number }[] => {
    const s = new SpeechSegmenter();
    const out = [];
    probabilities.forEach((p, i) => { const seg = s.push(i * 512, p); if (seg) out.push(seg); });
    const last = s.flush(probabilities.length * 512);
    if (last) out.push(last);
    return out;
  };

  it('opens at 0.5, closes at the first window below 0.35 once 100 ms of it followed, pads 30 ms (480 samples)', () => {
    // Speech windows 2..11 (10 × 32 ms = 320 ms), silence from window 12 on; 0.4 in between does not close.
    const p = [0.1, 0.2, 0.9, 0.8, 0.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const segs = feed(p);
    expect(segs).toHaveLength(1);
    expect(segs[0].start).toBe(2 * 512 - 480);
    expect(segs[0].end).toBe(12 * 512 + 480);
    expect(segs[0].meanProbability).toBeCloseTo((0.9 * 8 + 0.8 + 0.4) / 10, 12);
  });

  it('drops speech of 250 ms or less and bridges silences shorter than 100 ms', () => {
    expect(feed([0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1])).toEqual([]); // 7 × 32 = 224 ms
    const bridged = feed([0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(bridged.map((s) => [s.start, s.end])).toEqual([[0, 12 * 512 + 480]]);
  });

  it('closes an open segment at the end of the stream without padding past it', () => {
    expect(feed([0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]).map((s) => [s.start, s.end])).toEqual([[512 - 480, 10 * 512]]);
  });
});

describe('SileroVad on real speech and on noise', () => {
  let vad: SileroVad;
  beforeAll(async () => {
    vad = await SileroVad.create({ log: () => undefined });
  });
  afterAll(async () => {
    await vad.close();
  });

  it('finds the three utterances of speech.wav (7 s of silero-vad test.wav) where the energy is', async () => {
    const chunks = wavChunks('speech.wav', 100);
    const segments = (await run(vad, chunks)).map(seconds);
    // Measured with this model: onset, offset (s), ±64 ms (two windows).
    const expected = [[0.002, 2.078], [2.658, 4.862], [4.962, 6.846]];
    expect(segments).toHaveLength(expected.length);
    segments.forEach(([a, b], i) => {
      expect(Math.abs(a - expected[i][0])).toBeLessThan(0.064);
      expect(Math.abs(b - expected[i][1])).toBeLessThan(0.064);
    });
    const agreement = energyAgreement(samplesOf(chunks), segments);
    expect(agreement.loudInside).toBeGreaterThan(0.95);
    expect(agreement.insideDb - agreement.outsideDb).toBeGreaterThan(15);
  });

  it('finds the utterances of a 20 s slice after 2 s of silence, scored by mean probability', async () => {
    const chunks = wavChunks('speech-20s.wav', 32);
    const events = await run(vad, chunks);
    const segments = events.map(seconds);
    const expected = [[0.93, 4.99], [5.122, 6.75], [6.914, 7.422], [7.906, 9.534], [9.986, 11.23], [11.938, 20]];
    expect(segments).toHaveLength(expected.length);
    segments.forEach(([a, b], i) => {
      expect(Math.abs(a - expected[i][0])).toBeLessThan(0.064);
      expect(Math.abs(b - expected[i][1])).toBeLessThan(0.064);
    });
    for (const e of events) {
      expect(e).toMatchObject({ sensorId: 'mic', label: 'speech' });
      expect(e.score).toBeGreaterThan(0.5);
      expect(e.score).toBeLessThanOrEqual(1);
    }
    const agreement = energyAgreement(samplesOf(chunks), segments);
    expect(agreement.loudInside).toBeGreaterThan(0.95);
    expect(agreement.insideDb - agreement.outsideDb).toBeGreaterThan(15);
    // Nothing in the first 0.9 s, which is silence in the envelope too.
    expect(Math.max(...envelopeDb(samplesOf(chunks)).slice(0, 25))).toBeLessThan(-40);
  });

  it('gives the same events for 44.1 kHz stereo (resampled) as for the 16 kHz original, within a window', async () => {
    const chunks = wavChunks('speech.wav', 100);
    const original = (await run(vad, chunks)).map(seconds);
    const up = new Resampler(16_000, 44_100);
    const mono = samplesOf(chunks);
    const a = up.push(mono), b = up.flush();
    const stereo = new Float32Array(2 * (a.length + b.length));
    [...a, ...b].forEach((v, i) => { stereo[2 * i] = v; stereo[2 * i + 1] = v; });
    const resampled = (await run(vad, chunked(stereo, 44_100, 2, 1323))).map(seconds);
    expect(resampled).toHaveLength(original.length);
    resampled.forEach(([s, e], i) => {
      expect(Math.abs(s - original[i][0])).toBeLessThanOrEqual(0.033);
      expect(Math.abs(e - original[i][1])).toBeLessThanOrEqual(0.033);
    });
  });

  it('gives identical events whatever the chunk size', async () => {
    const whole = await run(vad, wavChunks('speech.wav', 7000));
    const small = await run(vad, wavChunks('speech.wav', 10));
    expect(small).toEqual(whole);
  });

  it('finds no speech in silence, white noise or pink noise', async () => {
    const rng = createRng(42);
    const n = 16_000 * 5;
    const white = Float32Array.from({ length: n }, () => 0.1 * rng.normal());
    // Pink noise: Paul Kellet's filter of white noise (−3 dB per octave).
    const pink = new Float32Array(n);
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
    for (let i = 0; i < n; i++) {
      const w = rng.normal();
      b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.969 * b2 + w * 0.153852;
      b3 = 0.8665 * b3 + w * 0.3104856; b4 = 0.55 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.016898;
      pink[i] = 0.03 * (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
      b6 = w * 0.115926;
    }
    for (const signal of [new Float32Array(n), white, pink]) {
      expect(await run(vad, chunked(signal, 16_000, 1, 512))).toEqual([]);
    }
  });
});
