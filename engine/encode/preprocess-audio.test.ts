import { describe, expect, it } from 'vitest';
import type { AudioChunk } from '../core/frames.js';
import { createRng } from '../core/prng.js';
import { AudioWindower, Resampler, downmix } from './preprocess-audio.js';

function sine(rate: number, seconds: number, hz: number, amplitude = 0.5, phase = 0): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, n) => amplitude * Math.sin((2 * Math.PI * hz * n) / rate + phase));
}

/** Largest |a − b| over [from, to). */
function maxError(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let worst = 0;
  for (let i = from; i < to; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function rms(a: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] * a[i];
  return Math.sqrt(s / (to - from));
}

function resampleAll(input: Float32Array, inRate: number, outRate: number): Float32Array {
  const r = new Resampler(inRate, outRate);
  const a = r.push(input), b = r.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('Resampler', () => {
  for (const [inRate, hz] of [[44_100, 1000], [48_000, 3000], [8_000, 440], [22_050, 6000], [11_025, 2500]] as const) {
    it(`turns a ${hz} Hz sine at ${inRate} Hz into the same sine at 16 kHz, in time, with one sample per 1/16000 s`, () => {
      const out = resampleAll(sine(inRate, 1, hz), inRate, 16_000);
      expect(out.length).toBe(16_000);
      const expected = sine(16_000, 1, hz);
      // Away from the ends (where the signal starts and stops abruptly), within −60 dB.
      expect(maxError(out, expected, 200, 15_800)).toBeLessThan(1e-3);
    });
  }

  it('removes what lies above the new Nyquist frequency (48 kHz → 16 kHz, a 12 kHz tone: below −60 dB)', () => {
    const out = resampleAll(sine(48_000, 1, 12_000), 48_000, 16_000);
    expect(rms(out, 200, 15_800) / (0.5 / Math.SQRT2)).toBeLessThan(1e-3);
  });

  it('keeps a constant exactly constant (unit gain at DC in every phase)', () => {
    const out = resampleAll(new Float32Array(44_100).fill(0.25), 44_100, 16_000);
    expect(maxError(out, new Float32Array(out.length).fill(0.25), 100, out.length - 100)).toBeLessThan(1e-6);
  });

  it('gives the same samples whatever the sizes of the pieces it is fed', () => {
    const rng = createRng(5);
    const input = Float32Array.from({ length: 8_000 }, () => rng.uniform(-1, 1));
    for (const inRate of [44_100, 8_000, 16_001]) {
      const whole = resampleAll(input, inRate, 16_000);
      const r = new Resampler(inRate, 16_000);
      const parts: number[] = [];
      for (let at = 0; at < input.length; ) {
        const n = rng.int(0, 1500);
        parts.push(...r.push(input.subarray(at, at + n)));
        at += n;
      }
      parts.push(...r.flush());
      expect(Float32Array.from(parts)).toEqual(whole);
    }
  });

  it('passes 16 kHz through unchanged and refuses impossible rates', () => {
    const input = Float32Array.from([0.1, -0.2, 0.3]);
    expect(new Resampler(16_000, 16_000).push(input)).toEqual(input);
    expect(() => new Resampler(0, 16_000)).toThrow(/inRate/);
    expect(() => new Resampler(44_100.5, 16_000)).toThrow(/inRate/);
  });
});

describe('AudioWindower', () => {
  const chunk = (samples: Float32Array, stamp: bigint, sampleRate: number, channels: number, seq = 0): AudioChunk => ({
    modality: 'audio', sensorId: 'mic', frameId: 'mic', stamp, receivedAt: stamp, seq, sampleRate, channels, samples,
  });

  it('averages channels and cuts 48 kHz stereo into 512-sample windows at 16 kHz stamped by sample count', () => {
    const start = 1_700_000_000_000_000_000n;
    const left = sine(48_000, 1, 500), stereo = new Float32Array(left.length * 2);
    left.forEach((v, i) => { stereo[2 * i] = v; stereo[2 * i + 1] = v; });
    const w = new AudioWindower('mic');
    const windows = [];
    const perChunk = 1440; // 30 ms
    for (let f = 0, seq = 0; f < left.length; f += perChunk, seq++) {
      const stamp = start + (BigInt(f) * 1_000_000_000n) / 48_000n;
      windows.push(...w.push(chunk(stereo.subarray(2 * f, 2 * (f + perChunk)), stamp, 48_000, 2, seq)));
    }
    windows.push(...w.flush());
    expect(windows.length).toBe(Math.ceil(16_000 / 512));
    windows.forEach((win, k) => {
      expect(win.index).toBe(512 * k);
      expect(win.stamp).toBe(start + BigInt(k) * 512n * 62_500n);
      expect(win.restart).toBe(false);
    });
    expect(windows.at(-1)!.valid).toBe(16_000 % 512);
    const joined = new Float32Array(16_000);
    windows.forEach((win) => joined.set(win.samples.subarray(0, win.valid), win.index));
    expect(maxError(joined, sine(16_000, 1, 500), 200, 15_800)).toBeLessThan(1e-3);
  });

  it('restarts the count at the stamp of a chunk that does not continue the stream', () => {
    const w = new AudioWindower('mic');
    const a = w.push(chunk(new Float32Array(1024), 0n, 16_000, 1));
    expect(a.map((x) => x.index)).toEqual([0, 512]);
    const gapStamp = 1_000_000_000n; // 936 ms later than the 64 ms the first chunk covered
    const b = w.push(chunk(new Float32Array(600), gapStamp, 16_000, 1));
    expect(b.map((x) => [x.index, x.stamp, x.restart])).toEqual([[0, gapStamp, true]]);
    expect(w.flush().map((x) => [x.index, x.valid])).toEqual([[512, 88]]);
  });

  it('replaces non-finite samples by zero when it downmixes', () => {
    expect([...downmix(Float32Array.from([1, NaN, 0.5, 0.25]), 2)]).toEqual([0, 0.375]);
  });
});
