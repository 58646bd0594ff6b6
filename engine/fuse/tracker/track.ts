/**
 * A track's life: tentative until it has `confirmHits` hits within its first `confirmWindow`
 * updates, then confirmed; coasting (predicted only) after a miss; deleted after `maxMisses`
 * misses in a row, when a tentative track can no longer be confirmed, or when a confirmed
 * track's existence probability falls below `deleteExistence`.
 *
 * Existence is a Bayesian probability that the track is a real object, updated once per update:
 *   hit:  r' = Pd·r / (Pd·r + Pfa·(1 − r))
 *   miss: r' = (1 − Pd)·r / (1 − Pd·r)
 * with Pd the probability that a real object is detected (occlusion included) and Pfa the
 * probability that a track which is not a real object gets a detection anyway (clutter).
 */
import type { MotionFilter } from './motion-filter.js';

export type TrackState = 'tentative' | 'confirmed' | 'coasting';

export interface LifecycleParams {
  /** N of N-of-M confirmation. */
  confirmHits: number;
  /** M of N-of-M confirmation: a tentative track must reach N hits within its first M updates. */
  confirmWindow: number;
  /** A confirmed track is deleted at this many misses in a row. */
  maxMisses: number;
  detectionProbability: number;
  falseAlarmProbability: number;
  /** Existence of a track born from a detection of score 1 (scaled by the score). */
  birthExistence: number;
  deleteExistence: number;
  /** Existence never goes above this, so that a long track can still die within a few misses. */
  maxExistence: number;
}

export const DEFAULT_LIFECYCLE: Readonly<LifecycleParams> = {
  confirmHits: 3,
  confirmWindow: 5,
  maxMisses: 5,
  detectionProbability: 0.7,
  falseAlarmProbability: 0.3,
  birthExistence: 0.5,
  deleteExistence: 0.1,
  maxExistence: 0.99,
};

export function validateLifecycle(p: LifecycleParams): void {
  const int = (k: keyof LifecycleParams, min: number, max: number): void => {
    if (!Number.isInteger(p[k]) || p[k] < min || p[k] > max) throw new RangeError(`${k} must be an integer in [${min}, ${max}], got ${p[k]}`);
  };
  const prob = (k: keyof LifecycleParams): void => {
    if (typeof p[k] !== 'number' || !(p[k] > 0 && p[k] < 1)) throw new RangeError(`${k} must be a probability in (0, 1), got ${p[k]}`);
  };
  int('confirmWindow', 1, 1000);
  int('confirmHits', 1, p.confirmWindow);
  int('maxMisses', 1, 1000);
  prob('detectionProbability');
  prob('falseAlarmProbability');
  prob('birthExistence');
  prob('maxExistence');
  if (typeof p.deleteExistence !== 'number' || !(p.deleteExistence >= 0 && p.deleteExistence < p.birthExistence)) {
    throw new RangeError(`deleteExistence must be in [0, birthExistence), got ${p.deleteExistence}`);
  }
}

export function existenceAfterHit(r: number, pd: number, pfa: number): number {
  return (pd * r) / (pd * r + pfa * (1 - r));
}

export function existenceAfterMiss(r: number, pd: number): number {
  return ((1 - pd) * r) / (1 - pd * r);
}

/** Lifecycle counters of one track. */
export class Lifecycle {
  state: TrackState = 'tentative';
  /** Hits since birth (the birth detection counts). */
  hits = 1;
  /** Misses in a row. */
  misses = 0;
  /** Updates since birth, the birth included. */
  updates = 1;
  existence: number;
  readonly #params: LifecycleParams;

  constructor(params: LifecycleParams, score: number) {
    this.#params = params;
    const s = Number.isFinite(score) ? Math.min(1, Math.max(0.05, score)) : 1;
    this.existence = params.birthExistence * s;
    if (params.confirmHits <= 1) this.state = 'confirmed';
  }

  hit(): void {
    const p = this.#params;
    this.hits++;
    this.updates++;
    this.misses = 0;
    this.existence = Math.min(p.maxExistence, existenceAfterHit(this.existence, p.detectionProbability, p.falseAlarmProbability));
    if (this.state === 'coasting') this.state = 'confirmed';
    else if (this.state === 'tentative' && this.hits >= p.confirmHits) this.state = 'confirmed';
  }

  miss(): void {
    const p = this.#params;
    this.updates++;
    this.misses++;
    this.existence = existenceAfterMiss(this.existence, p.detectionProbability);
    if (this.state === 'confirmed') this.state = 'coasting';
  }

  /**
   * Whether the track is to be deleted now. A tentative track is judged by N-of-M alone: a new
   * track from a weak detection starts with a low existence, and it is the confirmation rule's
   * job, not one update's, to decide whether it is real.
   */
  isDead(): boolean {
    const p = this.#params;
    if (this.state === 'tentative') return this.hits + Math.max(0, p.confirmWindow - this.updates) < p.confirmHits;
    return this.existence < p.deleteExistence || this.misses >= p.maxMisses;
  }
}

/** Everything the tracker keeps about one object, in the tracking frame. */
export interface TrackRecord {
  readonly id: number;
  label: string;
  /** Accumulated detection scores per classified label, for the label vote. */
  readonly labelVotes: Map<string, number>;
  /** The same, of camera-classified detections only. */
  readonly cameraVotes: Map<string, number>;
  /** Per label, the class source of the last detection that voted for it. */
  readonly labelSources: Map<string, string>;
  filter: MotionFilter;
  readonly lifecycle: Lifecycle;
  /** Smoothed box: size (length, width, height), centre height, yaw (modulo π until moving). */
  size: { x: number; y: number; z: number };
  z: number;
  boxYaw: number;
  readonly birthStamp: bigint;
  /** Sources of the detection that last updated it; empty while coasting. */
  sources: string[];
}
