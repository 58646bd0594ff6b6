import type { AudioChunk } from '../../engine/core/frames.js';
import { NS_PER_S, type Nanos } from '../../engine/core/time.js';

export type PcmSampleFormat = 's16le' | 'f32le';

export interface PcmFormat {
  readonly sampleRate: number;
  readonly channels: number;
  readonly format: PcmSampleFormat;
}

export function bytesPerSample(format: PcmSampleFormat): number {
  return format === 's16le' ? 2 : 4;
}

/**
 * Stamp of sample frame `index` of a stream that started at `start`: start + round(index·1e9/rate),
 * computed from the index each time in bigint, so no rounding error accumulates over hours.
 */
export function sampleStamp(start: Nanos, index: bigint, sampleRate: number): Nanos {
  const rate = BigInt(sampleRate);
  return start + (index * NS_PER_S * 2n + rate) / (rate * 2n);
}

/** Duration of `frames` sample frames, rounded to the nanosecond. */
export function framesDuration(frames: number, sampleRate: number): Nanos {
  return sampleStamp(0n, BigInt(frames), sampleRate);
}

export interface PcmChunkerIdentity {
  readonly sensorId: string;
  readonly frameId: string;
}

/**
 * Cuts interleaved PCM bytes into AudioChunks of exactly `chunkFrames` sample frames, converted to
 * float in [-1, 1]. A sample frame split across pushes is carried over. Stamps are exact to the
 * sample count: chunk k starts at start + round(k·chunkFrames·1e9/rate). Holds at most one chunk.
 */
export class PcmChunker {
  readonly #format: PcmFormat;
  readonly #chunkFrames: number;
  readonly #identity: PcmChunkerIdentity;
  readonly #frameBytes: number;
  #carry: Uint8Array = new Uint8Array(0);
  #pending: Float32Array;
  #filledFrames = 0;
  /** Index of the first sample frame of the pending chunk. */
  #chunkStartIndex = 0n;
  #start: Nanos | undefined;
  readonly #seq: { value: number };
  /** Non-finite float samples met (replaced by 0). */
  nonFiniteSamples = 0;

  /**
   * `start` is the stream's first sample time when known (else taken from the first push);
   * `seq` is shared when one sensor's stream is made of several chunkers (one per WAV file).
   */
  constructor(format: PcmFormat, chunkFrames: number, identity: PcmChunkerIdentity, start?: Nanos, seq: { value: number } = { value: 0 }) {
    this.#format = format;
    this.#chunkFrames = chunkFrames;
    this.#identity = identity;
    this.#frameBytes = bytesPerSample(format.format) * format.channels;
    this.#pending = new Float32Array(chunkFrames * format.channels);
    this.#start = start;
    this.#seq = seq;
  }

  get frameBytes(): number {
    return this.#frameBytes;
  }

  /** Undefined until the first push (or given). */
  get start(): Nanos | undefined {
    return this.#start;
  }

  /** Bytes held back: an incomplete sample frame. */
  get carriedBytes(): number {
    return this.#carry.byteLength;
  }

  push(input: Uint8Array, receivedAt: Nanos): AudioChunk[] {
    let bytes = input;
    if (this.#carry.byteLength > 0) {
      bytes = new Uint8Array(this.#carry.byteLength + input.byteLength);
      bytes.set(this.#carry);
      bytes.set(input, this.#carry.byteLength);
    }
    const frames = Math.floor(bytes.byteLength / this.#frameBytes);
    // The first bytes to arrive were sampled over their own duration before receivedAt.
    this.#start ??= receivedAt - framesDuration(frames, this.#format.sampleRate);
    const usable = frames * this.#frameBytes;
    this.#carry = bytes.slice(usable);
    const view = new DataView(bytes.buffer, bytes.byteOffset, usable);
    const out: AudioChunk[] = [];
    const { channels } = this.#format;
    const samples = frames * channels;
    const isS16 = this.#format.format === 's16le';
    let s = 0;
    while (s < samples) {
      const room = (this.#chunkFrames - this.#filledFrames) * channels;
      const n = Math.min(room, samples - s);
      const base = this.#filledFrames * channels;
      const pending = this.#pending;
      if (isS16) {
        for (let i = 0; i < n; i++) pending[base + i] = view.getInt16((s + i) * 2, true) / 32768;
      } else {
        for (let i = 0; i < n; i++) {
          const v = view.getFloat32((s + i) * 4, true);
          if (Number.isFinite(v)) pending[base + i] = v > 1 ? 1 : v < -1 ? -1 : v;
          else {
            pending[base + i] = 0;
            this.nonFiniteSamples += 1;
          }
        }
      }
      s += n;
      this.#filledFrames += n / channels;
      if (this.#filledFrames === this.#chunkFrames) out.push(this.#emit(receivedAt));
    }
    return out;
  }

  /** The partial chunk, shorter than the others, if any. */
  flush(receivedAt: Nanos): AudioChunk[] {
    this.#carry = new Uint8Array(0);
    if (this.#filledFrames === 0) return [];
    return [this.#emit(receivedAt)];
  }

  #emit(receivedAt: Nanos): AudioChunk {
    const samples = this.#filledFrames === this.#chunkFrames ? this.#pending : this.#pending.slice(0, this.#filledFrames * this.#format.channels);
    const chunk: AudioChunk = {
      modality: 'audio',
      sensorId: this.#identity.sensorId,
      frameId: this.#identity.frameId,
      stamp: sampleStamp(this.#start ?? receivedAt, this.#chunkStartIndex, this.#format.sampleRate),
      receivedAt,
      seq: this.#seq.value++,
      sampleRate: this.#format.sampleRate,
      channels: this.#format.channels,
      samples,
    };
    this.#chunkStartIndex += BigInt(this.#filledFrames);
    this.#filledFrames = 0;
    this.#pending = new Float32Array(this.#chunkFrames * this.#format.channels);
    return chunk;
  }
}
