import type { Modality } from './core/frames.js';
import type { DropReason } from './sync/drop-reasons.js';
import type { PublisherStats } from './publish/publisher.js';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface EngineStats {
  frames: Record<string, number>;
  framesByModality: Record<Modality, number>;
  framesets: number;
  partialFramesets: number;
  events: number;
  drops: Partial<Record<DropReason, number>>;
  decodeErrors: number;
  /** End-to-end latency of events (oldest frame's arrival → event out), over the most recent events. */
  latencyMs: LatencySummary;
  /** Time spent handing events to the publishers. */
  publishLatencyMs: LatencySummary;
  publishers: Record<string, PublisherStats>;
}

/** Keeps the newest `capacity` samples so a long live run reports recent latency in bounded memory. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #next = 0;

  constructor(capacity = 8192) {
    this.#samples = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    this.#count = Math.min(this.#count + 1, this.#samples.length);
  }

  summary(): LatencySummary {
    if (this.#count === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] };
  }
}

/** What every run of the pipeline reports at the end, replayed or live. */
export interface RunSummary extends Omit<EngineStats, 'publishLatencyMs' | 'publishers'> {
  rig: string;
  wallS: number;
  interrupted: boolean;
  /** Why the run ended early; what came before it is in the counts. */
  error?: string;
}
