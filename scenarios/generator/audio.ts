import { createRng, deriveSeed, type Rng } from '../../engine/core/prng.js';
import { egoState, type World } from './world.js';

/** One utterance from the speech asset, placed on the scenario's timeline. */
export interface SpeechEvent {
  /** Scenario seconds at which it starts. */
  readonly startS: number;
  /** Where in the asset it starts, and how long it plays, seconds. */
  readonly offsetS: number;
  readonly lengthS: number;
}

/**
 * Utterances at seeded times: the first early (within the first second, so that short scenarios
 * have speech too), the rest after pauses of a few seconds.
 */
export function planSpeech(seed: number, durationS: number, speechLengthS: number): SpeechEvent[] {
  const rng = createRng(deriveSeed(seed, 7));
  const events: SpeechEvent[] = [];
  let start = rng.uniform(0.2, 0.8);
  while (start < durationS) {
    const lengthS = Math.min(speechLengthS, rng.uniform(3, speechLengthS));
    const offsetS = rng.uniform(0, speechLengthS - lengthS);
    events.push({ startS: start, offsetS, lengthS });
    start += lengthS + rng.uniform(2, 6);
  }
  return events;
}

const RUMBLE_CUTOFF_HZ = 180;
const RUMBLE_GAIN = 0.12;
const HISS_GAIN = 0.004;
const ENGINE_GAIN = [0.012, 0.007, 0.004];

/**
 * The cabin microphone: road rumble (low-passed noise), tyre hiss, an engine hum whose pitch follows
 * the speed, and speech mixed in at the planned times. Renders chunk after chunk, as a microphone
 * would, because the filters carry state from one chunk to the next.
 */
export class MicrophoneSynth {
  readonly #world: World;
  readonly #sampleRate: number;
  readonly #speech: Float32Array;
  readonly #events: readonly SpeechEvent[];
  readonly #rng: Rng;
  #nextSample = 0;
  #rumble = 0;
  #lastWhite = 0;
  #enginePhase = 0;

  constructor(world: World, sampleRate: number, speech: Float32Array, events: readonly SpeechEvent[]) {
    this.#world = world;
    this.#sampleRate = sampleRate;
    this.#speech = speech;
    this.#events = events;
    this.#rng = createRng(deriveSeed(world.seed, 8));
  }

  /** The next `count` samples; the first of them is at scenario time `startS` + its index / rate. */
  next(count: number, originS: number): Float32Array {
    const fs = this.#sampleRate;
    const out = new Float32Array(count);
    const first = this.#nextSample;
    const t = originS + first / fs;
    const speed = egoState(this.#world, t).speed;
    const f0 = 25 + 2.5 * speed;
    const alpha = 1 - Math.exp((-2 * Math.PI * RUMBLE_CUTOFF_HZ) / fs);
    const rng = this.#rng;
    const loudness = 0.5 + speed / 20;
    for (let i = 0; i < count; i++) {
      const white = rng.next() * 2 - 1;
      this.#rumble += alpha * (white - this.#rumble);
      const hiss = white - this.#lastWhite;
      this.#lastWhite = white;
      this.#enginePhase = (this.#enginePhase + (2 * Math.PI * f0) / fs) % (2 * Math.PI);
      let engine = 0;
      for (let h = 0; h < ENGINE_GAIN.length; h++) engine += ENGINE_GAIN[h] * Math.sin((h + 1) * this.#enginePhase);
      out[i] = loudness * (RUMBLE_GAIN * this.#rumble + HISS_GAIN * hiss) + engine;
    }
    for (const ev of this.#events) {
      const evStart = Math.round((ev.startS - originS) * fs);
      const evLength = Math.round(ev.lengthS * fs);
      const from = Math.max(first, evStart);
      const to = Math.min(first + count, evStart + evLength);
      const assetOffset = Math.round(ev.offsetS * fs) - evStart;
      for (let n = from; n < to; n++) {
        const j = n + assetOffset;
        if (j >= 0 && j < this.#speech.length) out[n - first] += this.#speech[j];
      }
    }
    for (let i = 0; i < count; i++) out[i] = Math.max(-1, Math.min(1, out[i]));
    this.#nextSample += count;
    return out;
  }
}
