/**
 * Voice activity detection with Silero VAD v5 (snakers4/silero-vad, MIT; the ONNX file shipped in
 * @ricky0123/vad-web), streaming: each audio sensor keeps its own model state ([2, 1, 128]), its
 * leftover samples and its open segment across calls, so chunks of any size give the same events
 * as the whole recording at once.
 *
 * Windows of 512 samples at 16 kHz, each fed with the previous window's last 64 samples in front
 * (576 in), as silero-vad's own OnnxWrapper does. Probabilities become segments by silero-vad's
 * get_speech_timestamps rules and defaults (utils_vad.py): speech starts at a window ≥ 0.5
 * (threshold), ends at the first window < 0.35 (threshold − 0.15) once 100 ms of such silence
 * followed (min_silence_duration_ms), is kept only if longer than 250 ms
 * (min_speech_duration_ms), and is padded by 30 ms each side (speech_pad_ms).
 */
import * as ort from 'onnxruntime-node';
import type { AudioChunk } from '../core/frames.js';
import type { Nanos } from '../core/time.js';
import type { AudioEvent } from '../events/perception-event.js';
import { resolveModelPath } from './encoder-config.js';
import { AudioWindower, VAD_SAMPLE_RATE, VAD_WINDOW, type AudioWindow } from './preprocess-audio.js';
import { createSession, type ExecutionProvider, type Session } from './session.js';

/** Samples of the previous window fed in front of each window (silero-vad: 64 at 16 kHz). */
export const VAD_CONTEXT = 64;

export interface VadThresholds {
  /** A window at or above this starts speech (silero: 0.5). */
  threshold: number;
  /** A window below this, in speech, may end it (silero: threshold − 0.15). */
  negThreshold: number;
  /** Shorter segments are dropped (silero: 250 ms). */
  minSpeechMs: number;
  /** Silence that ends a segment (silero: 100 ms). */
  minSilenceMs: number;
  /** Added before and after each segment (silero: 30 ms). */
  speechPadMs: number;
}

export const SILERO_VAD_DEFAULTS: VadThresholds = { threshold: 0.5, negThreshold: 0.35, minSpeechMs: 250, minSilenceMs: 100, speechPadMs: 30 };

/** A segment in samples of its stream: [start, end). */
export interface SpeechSegment {
  start: number;
  end: number;
  /** Mean probability of the windows from the onset to the start of the closing silence. */
  meanProbability: number;
  maxProbability: number;
}

/**
 * The hysteresis of get_speech_timestamps as a streaming state machine over window probabilities,
 * in sample indices. A segment comes out when it closes (silence long enough) or at flush.
 */
export class SpeechSegmenter {
  readonly #t: VadThresholds;
  readonly #minSpeech: number;
  readonly #minSilence: number;
  readonly #pad: number;
  #triggered = false;
  #start = 0;
  #tempEnd = 0; // 0: no silence pending (silero's convention; a silence cannot start at sample 0 in speech)
  #sum = 0;
  #count = 0;
  #max = 0;
  #sumAtTempEnd = 0;
  #countAtTempEnd = 0;
  #lastEnd = 0; // padded end of the last segment, so padding never overlaps it

  constructor(thresholds: VadThresholds = SILERO_VAD_DEFAULTS, readonly sampleRate = VAD_SAMPLE_RATE) {
    this.#t = validateThresholds(thresholds);
    this.#minSpeech = (sampleRate * thresholds.minSpeechMs) / 1000;
    this.#minSilence = (sampleRate * thresholds.minSilenceMs) / 1000;
    this.#pad = Math.floor((sampleRate * thresholds.speechPadMs) / 1000);
  }

  /** The window starting at sample `index` had probability `p`; returns the segment it closes, if any. */
  push(index: number, p: number): SpeechSegment | undefined {
    const { threshold, negThreshold } = this.#t;
    if (p >= threshold && this.#tempEnd) this.#tempEnd = 0;
    if (p >= threshold && !this.#triggered) {
      this.#triggered = true;
      this.#start = index;
      this.#sum = p;
      this.#count = 1;
      this.#max = p;
      return undefined;
    }
    if (!this.#triggered) return undefined;
    if (p < negThreshold) {
      if (!this.#tempEnd) {
        this.#tempEnd = index;
        this.#sumAtTempEnd = this.#sum;
        this.#countAtTempEnd = this.#count;
      }
      if (index - this.#tempEnd >= this.#minSilence) {
        const segment = this.#close(this.#tempEnd, this.#sumAtTempEnd / this.#countAtTempEnd, Infinity);
        return segment;
      }
    }
    this.#sum += p;
    this.#count += 1;
    if (p > this.#max) this.#max = p;
    return undefined;
  }

  /** The stream ended at sample `end`: an open segment closes there. */
  flush(end: number): SpeechSegment | undefined {
    if (!this.#triggered) return undefined;
    const segment = this.#close(end, this.#sum / this.#count, end);
    this.#lastEnd = 0;
    return segment;
  }

  #close(end: number, mean: number, streamEnd: number): SpeechSegment | undefined {
    const start = this.#start;
    const max = this.#max;
    this.#triggered = false;
    this.#tempEnd = 0;
    if (end - start <= this.#minSpeech) return undefined;
    const segment = {
      start: Math.max(0, this.#lastEnd, start - this.#pad),
      end: Math.min(streamEnd, end + this.#pad),
      meanProbability: mean,
      maxProbability: max,
    };
    this.#lastEnd = segment.end;
    return segment;
  }
}

function validateThresholds(t: VadThresholds): VadThresholds {
  for (const key of ['threshold', 'negThreshold'] as const) {
    if (!(t[key] >= 0 && t[key] <= 1)) throw new RangeError(`VAD ${key} must be in [0, 1], got ${t[key]}`);
  }
  if (t.negThreshold > t.threshold) throw new RangeError(`VAD negThreshold (${t.negThreshold}) must not exceed threshold (${t.threshold})`);
  for (const key of ['minSpeechMs', 'minSilenceMs', 'speechPadMs'] as const) {
    if (!(t[key] >= 0 && t[key] <= 600_000)) throw new RangeError(`VAD ${key} must be in [0, 600000] ms, got ${t[key]}`);
  }
  return t;
}

export interface SileroVadOptions extends Partial<VadThresholds> {
  /** Model file or bytes; default the built-in Silero v5 ('vad'). */
  model?: string | Uint8Array;
  /** Default CPU only: a 2 MB recurrent model on 576 samples costs less than a copy to a GPU. */
  providers?: readonly ExecutionProvider[];
  threads?: number;
  /** Where the session's one line about its provider goes; default stderr. */
  log?: (line: string) => void;
  /** Every window's probability, for plots and tests. */
  onProbability?: (sensorId: string, stamp: Nanos, probability: number) => void;
  /** Label of the events; default 'speech'. */
  label?: string;
}

interface StreamState {
  windower: AudioWindower;
  segmenter: SpeechSegmenter;
  state: Float32Array;
  context: Float32Array;
  /** Stamp of sample 0 of the current stream. */
  origin: Nanos;
  /** Samples of the current stream seen by the model (end of the last window's real samples). */
  end: number;
}

/** Silero VAD over any number of audio sensors; AudioEvents come out as segments close. */
export class SileroVad {
  readonly session: Session;
  readonly #thresholds: VadThresholds;
  readonly #options: SileroVadOptions;
  readonly #streams = new Map<string, StreamState>();
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(session: Session, thresholds: VadThresholds, options: SileroVadOptions) {
    this.session = session;
    this.#thresholds = thresholds;
    this.#options = options;
  }

  static async create(options: SileroVadOptions = {}): Promise<SileroVad> {
    const threshold = options.threshold ?? SILERO_VAD_DEFAULTS.threshold;
    const thresholds = validateThresholds({
      threshold,
      negThreshold: options.negThreshold ?? Math.max(0, threshold - 0.15),
      minSpeechMs: options.minSpeechMs ?? SILERO_VAD_DEFAULTS.minSpeechMs,
      minSilenceMs: options.minSilenceMs ?? SILERO_VAD_DEFAULTS.minSilenceMs,
      speechPadMs: options.speechPadMs ?? SILERO_VAD_DEFAULTS.speechPadMs,
    });
    const session = await createSession(options.model ?? resolveModelPath('vad'), {
      name: 'vad',
      providers: options.providers ?? ['cpu'],
      ...(options.threads !== undefined ? { intraOpThreads: options.threads } : {}),
      inputShapes: { input: [1, VAD_WINDOW + VAD_CONTEXT], state: [2, 1, 128] },
      warmupFeeds: { sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []) },
      log: options.log,
    });
    const names = (list: readonly { name: string }[]): string => list.map((i) => i.name).sort().join(',');
    if (names(session.inputs) !== 'input,sr,state' || names(session.outputs) !== 'output,stateN') {
      await session.close();
      throw new Error(`model "vad": not a Silero VAD v5 model (inputs ${names(session.inputs)}, outputs ${names(session.outputs)}; expected input, state, sr → output, stateN)`);
    }
    return new SileroVad(session, thresholds, options);
  }

  /** Feeds one chunk; resolves to the segments it closed. Calls run in order. */
  push(chunk: AudioChunk): Promise<AudioEvent[]> {
    return this.#serial(async () => {
      const stream = this.#stream(chunk.sensorId);
      return this.#run(stream, stream.windower.push(chunk));
    });
  }

  /** Ends one sensor's stream (or all): the rest of its audio runs and an open segment closes. */
  flush(sensorId?: string): Promise<AudioEvent[]> {
    return this.#serial(async () => {
      const events: AudioEvent[] = [];
      for (const [id, stream] of this.#streams) {
        if (sensorId !== undefined && id !== sensorId) continue;
        events.push(...(await this.#run(stream, stream.windower.flush())));
        const closed = stream.segmenter.flush(stream.end);
        if (closed) events.push(this.#event(id, stream, closed));
        this.#streams.delete(id);
      }
      return events;
    });
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.session.close();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #stream(sensorId: string): StreamState {
    let s = this.#streams.get(sensorId);
    if (!s) {
      s = {
        windower: new AudioWindower(sensorId),
        segmenter: new SpeechSegmenter(this.#thresholds),
        state: new Float32Array(2 * 128),
        context: new Float32Array(VAD_CONTEXT),
        origin: 0n,
        end: 0,
      };
      this.#streams.set(sensorId, s);
    }
    return s;
  }

  async #run(stream: StreamState, windows: AudioWindow[]): Promise<AudioEvent[]> {
    const events: AudioEvent[] = [];
    const input = new Float32Array(VAD_CONTEXT + VAD_WINDOW);
    for (const w of windows) {
      if (w.restart) {
        // The audio broke off: what was open ends where the old stream ended, the model starts afresh.
        const closed = stream.segmenter.flush(stream.end);
        if (closed) events.push(this.#event(w.sensorId, stream, closed));
        stream.state.fill(0);
        stream.context.fill(0);
      }
      stream.origin = w.stamp - (BigInt(w.index) * 1_000_000_000n) / BigInt(VAD_SAMPLE_RATE);
      input.set(stream.context);
      input.set(w.samples, VAD_CONTEXT);
      const out = await this.session.run({
        input: new ort.Tensor('float32', input, [1, input.length]),
        state: new ort.Tensor('float32', stream.state, [2, 1, 128]),
        sr: this.#sr,
      });
      const probability = (out.output.data as Float32Array)[0];
      stream.state = Float32Array.from(out.stateN.data as Float32Array);
      stream.context = w.samples.slice(VAD_WINDOW - VAD_CONTEXT);
      stream.end = w.index + w.valid;
      this.#options.onProbability?.(w.sensorId, w.stamp, probability);
      const closed = stream.segmenter.push(w.index, probability);
      if (closed) events.push(this.#event(w.sensorId, stream, closed));
    }
    return events;
  }

  #event(sensorId: string, stream: StreamState, s: SpeechSegment): AudioEvent {
    const at = (sample: number): Nanos => stream.origin + (BigInt(sample) * 1_000_000_000n) / BigInt(VAD_SAMPLE_RATE);
    return { sensorId, start: at(s.start), end: at(s.end), label: this.#options.label ?? 'speech', score: s.meanProbability };
  }
}
