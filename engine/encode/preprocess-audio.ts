/**
 * Audio for the encoders: any sample rate and channel count into 16 kHz mono, cut into fixed
 * windows (512 samples for Silero VAD) that carry their absolute sample index, hence their stamp.
 *
 * The resampler is a polyphase windowed-sinc filter (Kaiser window, β = 8.6, ±16 zero crossings,
 * passband to 95 % of the lower Nyquist frequency): about 80 dB of alias rejection, and exact
 * timing, because the filter is symmetric around each output instant. It runs in TypeScript on
 * purpose: 16 000 outputs per audio second × ~100 taps is ~1.6 M multiply-adds, a millisecond or
 * two per second of audio, far below the VAD model itself and not worth a trip to the addon.
 */
import type { AudioChunk } from '../core/frames.js';
import type { Nanos } from '../core/time.js';

export const VAD_SAMPLE_RATE = 16_000;
export const VAD_WINDOW = 512;

const ZERO_CROSSINGS = 16;
const PASSBAND = 0.95;
const KAISER_BETA = 8.6;
/** Rates whose reduced ratio needs more phases than this share one interpolated table. */
const MAX_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1, term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Streaming sample-rate converter for one mono signal. Output sample n is the band-limited
 * interpolation of the input at input time n · inRate / outRate, so output n sits exactly at
 * n / outRate seconds from the first input sample; it comes out once the input reaches K samples
 * past that instant (K ≈ 16 zero crossings of the filter, ~1 ms at 44.1 kHz → 16 kHz).
 */
export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  readonly #up: number;   // L: outRate / gcd
  readonly #down: number; // M: inRate / gcd
  readonly #half: number; // K: taps on each side of the output instant
  readonly #phases: number;
  readonly #table: Float32Array; // (phases + 1) rows × 2K taps
  #buffer = new Float32Array(4096);
  #bufferStart = 0; // input index of #buffer[0]
  #bufferLength = 0;
  #inputCount = 0;
  #nextIndex = 0;   // input index i of the next output (floor of its input time)
  #nextPhase = 0;   // its fractional part, in units of 1 / L
  #outputCount = 0;

  constructor(inRate: number, outRate: number) {
    for (const [name, rate] of [['inRate', inRate], ['outRate', outRate]] as const) {
      if (!Number.isInteger(rate) || rate < 1 || rate > 1_536_000) throw new RangeError(`${name} must be an integer in [1, 1536000] Hz, got ${rate}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.#up = outRate / g;
    this.#down = inRate / g;
    // Cut-off in cycles per input sample: below both Nyquist frequencies.
    const cutoff = 0.5 * Math.min(1, outRate / inRate) * PASSBAND;
    const halfWidth = ZERO_CROSSINGS / (2 * cutoff);
    const K = Math.ceil(halfWidth);
    this.#half = K;
    this.#phases = Math.min(this.#up, MAX_PHASES);
    const taps = 2 * K;
    this.#table = new Float32Array((this.#phases + 1) * taps);
    const i0Beta = besselI0(KAISER_BETA);
    for (let r = 0; r <= this.#phases; r++) {
      const frac = r / this.#phases;
      let sum = 0;
      const row = r * taps;
      for (let j = 0; j < taps; j++) {
        // Tap j reads input i + j − K + 1; its distance from the output instant i + frac:
        const t = frac - (j - K + 1);
        const x = 2 * cutoff * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const u = t / halfWidth;
        const w = Math.abs(u) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0Beta;
        const h = 2 * cutoff * sinc * w;
        this.#table[row + j] = h;
        sum += h;
      }
      // Unit gain at DC in every phase, so a constant stays exactly constant.
      for (let j = 0; j < taps; j++) this.#table[row + j] /= sum;
    }
    this.reset();
  }

  /** Forgets the signal: the next input sample is time zero again. */
  reset(): void {
    // K − 1 zeros before the first sample: the signal is silent before it starts.
    this.#bufferStart = -(this.#half - 1);
    this.#bufferLength = this.#half - 1;
    this.#buffer.fill(0, 0, this.#bufferLength);
    this.#inputCount = 0;
    this.#nextIndex = 0;
    this.#nextPhase = 0;
    this.#outputCount = 0;
  }

  /** Output samples produced so far. */
  get outputCount(): number {
    return this.#outputCount;
  }

  /** Appends input; returns every output sample whose filter support is now complete. */
  push(input: Float32Array): Float32Array {
    if (this.inRate === this.outRate) {
      // Same rate: the samples as they are (a low-pass at 95 % of Nyquist would only blur them).
      this.#outputCount += input.length;
      return input.slice();
    }
    this.#append(input);
    this.#inputCount += input.length;
    return this.#drain(this.#bufferStart + this.#bufferLength);
  }

  /** Ends the signal (silence after it) and returns the outputs up to its last instant. */
  flush(): Float32Array {
    if (this.inRate === this.outRate) {
      this.reset();
      return new Float32Array(0);
    }
    const end = this.#inputCount;
    this.#append(new Float32Array(this.#half + 1));
    const total = Math.ceil((end * this.#up) / this.#down);
    const out = this.#drain(this.#bufferStart + this.#bufferLength, total);
    this.reset();
    return out;
  }

  #append(input: Float32Array): void {
    if (this.#bufferLength + input.length > this.#buffer.length) {
      const grown = new Float32Array(Math.max(2 * this.#buffer.length, this.#bufferLength + input.length));
      grown.set(this.#buffer.subarray(0, this.#bufferLength));
      this.#buffer = grown;
    }
    this.#buffer.set(input, this.#bufferLength);
    this.#bufferLength += input.length;
  }

  /** Outputs while input index i + K is available (below `available`) and fewer than `limit` exist. */
  #drain(available: number, limit = Infinity): Float32Array {
    const K = this.#half, taps = 2 * K, L = this.#up, M = this.#down, P = this.#phases;
    const exact = P === L;
    // How many outputs fit: the last one's index i must satisfy i + K < available.
    const lastIndex = available - 1 - K;
    let count = 0;
    if (lastIndex >= this.#nextIndex) count = Math.floor(((lastIndex - this.#nextIndex) * L + (L - 1 - this.#nextPhase)) / M) + 1;
    count = Math.max(0, Math.min(count, limit - this.#outputCount));
    const out = new Float32Array(count);
    const buf = this.#buffer, table = this.#table;
    let i = this.#nextIndex, p = this.#nextPhase;
    for (let n = 0; n < count; n++) {
      const first = i - K + 1 - this.#bufferStart;
      let acc = 0;
      if (exact) {
        const row = p * taps;
        for (let j = 0; j < taps; j++) acc += buf[first + j] * table[row + j];
      } else {
        const pos = (p * P) / L;
        const r = Math.floor(pos), w = pos - r;
        const row0 = r * taps, row1 = row0 + taps;
        for (let j = 0; j < taps; j++) acc += buf[first + j] * (table[row0 + j] + w * (table[row1 + j] - table[row0 + j]));
      }
      out[n] = acc;
      p += M;
      if (p >= L) {
        i += Math.floor(p / L);
        p %= L;
      }
    }
    this.#nextIndex = i;
    this.#nextPhase = p;
    this.#outputCount += count;
    // Keep only what the next output reads: from i − K + 1 on.
    const keepFrom = Math.min(this.#bufferLength, Math.max(0, i - K + 1 - this.#bufferStart));
    if (keepFrom > 0) {
      buf.copyWithin(0, keepFrom, this.#bufferLength);
      this.#bufferLength -= keepFrom;
      this.#bufferStart += keepFrom;
    }
    return out;
  }
}

/** A fixed window of 16 kHz mono audio at a known place in its stream. */
export interface AudioWindow {
  sensorId: string;
  /** Index of samples[0] in the stream at VAD_SAMPLE_RATE, counted from the stream's origin. */
  index: number;
  /** When samples[0] was acquired: origin + index / 16 kHz. */
  stamp: Nanos;
  samples: Float32Array;
  /** Real samples in the window; fewer than samples.length only in a window padded by flush(). */
  valid: number;
  /** First window after the stream restarted (a gap or overlap in stamps, a new rate or layout). */
  restart: boolean;
}

export interface AudioWindowerOptions {
  /** Output rate; default 16 000 Hz. */
  sampleRate?: number;
  /** Window length in output samples; default 512. */
  windowSize?: number;
  /** A chunk whose stamp is further than this from where the previous one ended restarts the stream. Default 20 ms. */
  gapToleranceMs?: number;
}

/**
 * One audio stream (one sensor) into fixed windows: channels averaged to mono, resampled, cut.
 * Stamps come from sample counts (origin + index / rate), not from each chunk's stamp, so they do
 * not jitter; a chunk that does not continue the previous one restarts the count at its own stamp.
 */
export class AudioWindower {
  readonly sensorId: string;
  readonly sampleRate: number;
  readonly windowSize: number;
  readonly #gapToleranceNs: bigint;
  #resampler: Resampler | undefined;
  #channels = 0;
  #origin: Nanos = 0n;
  #inputSamples = 0; // input frames since the origin
  #pending: Float32Array;
  #pendingLength = 0;
  #nextIndex = 0;
  #restart = false;

  constructor(sensorId: string, options: AudioWindowerOptions = {}) {
    this.sensorId = sensorId;
    this.sampleRate = options.sampleRate ?? VAD_SAMPLE_RATE;
    this.windowSize = options.windowSize ?? VAD_WINDOW;
    if (!Number.isInteger(this.windowSize) || this.windowSize < 1 || this.windowSize > 1 << 20) throw new RangeError(`windowSize must be an integer in [1, 2^20], got ${this.windowSize}`);
    const tolerance = options.gapToleranceMs ?? 20;
    if (!(tolerance >= 0)) throw new RangeError(`gapToleranceMs must be ≥ 0, got ${tolerance}`);
    this.#gapToleranceNs = BigInt(Math.round(tolerance * 1e6));
    this.#pending = new Float32Array(this.windowSize);
  }

  /** The stamp of output sample `index` of the current stream. */
  stampOf(index: number): Nanos {
    return this.#origin + (BigInt(index) * 1_000_000_000n) / BigInt(this.sampleRate);
  }

  /** Windows completed by this chunk; a chunk that breaks the stream first flushes the old one. */
  push(chunk: AudioChunk): AudioWindow[] {
    validateChunk(chunk);
    const out: AudioWindow[] = [];
    const expected = this.#resampler ? this.#origin + (BigInt(this.#inputSamples) * 1_000_000_000n) / BigInt(chunk.sampleRate) : undefined;
    const continues =
      this.#resampler !== undefined && expected !== undefined && this.#resampler.inRate === chunk.sampleRate && this.#channels === chunk.channels &&
      absBig(chunk.stamp - expected) <= this.#gapToleranceNs;
    if (!continues) {
      if (this.#resampler) {
        out.push(...this.flush());
        this.#restart = true;
      }
      this.#resampler = new Resampler(chunk.sampleRate, this.sampleRate);
      this.#channels = chunk.channels;
      this.#origin = chunk.stamp;
      this.#inputSamples = 0;
      this.#nextIndex = 0;
      this.#pendingLength = 0;
    }
    const mono = downmix(chunk.samples, chunk.channels);
    this.#inputSamples += mono.length;
    this.#cut(this.#resampler!.push(mono), out);
    return out;
  }

  /** Ends the stream: the rest of the signal, the last window zero-padded (its `valid` says how much is real). */
  flush(): AudioWindow[] {
    const out: AudioWindow[] = [];
    if (!this.#resampler) return out;
    this.#cut(this.#resampler.flush(), out);
    if (this.#pendingLength > 0) {
      const samples = new Float32Array(this.windowSize);
      samples.set(this.#pending.subarray(0, this.#pendingLength));
      out.push(this.#window(samples, this.#pendingLength));
      this.#pendingLength = 0;
    }
    this.#resampler = undefined;
    return out;
  }

  #cut(samples: Float32Array, out: AudioWindow[]): void {
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(this.windowSize - this.#pendingLength, samples.length - at);
      this.#pending.set(samples.subarray(at, at + take), this.#pendingLength);
      this.#pendingLength += take;
      at += take;
      if (this.#pendingLength === this.windowSize) {
        out.push(this.#window(this.#pending.slice(), this.windowSize));
        this.#pendingLength = 0;
      }
    }
  }

  #window(samples: Float32Array, valid: number): AudioWindow {
    const w: AudioWindow = { sensorId: this.sensorId, index: this.#nextIndex, stamp: this.stampOf(this.#nextIndex), samples, valid, restart: this.#restart };
    this.#restart = false;
    this.#nextIndex += this.windowSize;
    return w;
  }
}

function absBig(v: bigint): bigint {
  return v < 0n ? -v : v;
}

function validateChunk(chunk: AudioChunk): void {
  if (!Number.isInteger(chunk.sampleRate) || chunk.sampleRate < 1 || chunk.sampleRate > 1_536_000) throw new RangeError(`audio chunk of ${chunk.sensorId}: sampleRate ${chunk.sampleRate} is not an integer in [1, 1536000]`);
  if (!Number.isInteger(chunk.channels) || chunk.channels < 1 || chunk.channels > 64) throw new RangeError(`audio chunk of ${chunk.sensorId}: channels ${chunk.channels} is not an integer in [1, 64]`);
  if (!(chunk.samples instanceof Float32Array) || chunk.samples.length % chunk.channels !== 0) {
    throw new RangeError(`audio chunk of ${chunk.sensorId}: samples must be a Float32Array of whole ${chunk.channels}-channel frames`);
  }
}

/** The mean of the channels; a mono chunk is used as it is. Non-finite samples become 0. */
export function downmix(samples: Float32Array, channels: number): Float32Array {
  const frames = samples.length / channels;
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[f * channels + c];
    const v = sum / channels;
    out[f] = Number.isFinite(v) ? v : 0;
  }
  return out;
}
