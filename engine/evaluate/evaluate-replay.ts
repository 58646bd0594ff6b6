import { hungarian } from '../../native/associate.js';
import { millisToNanos, type Nanos } from '../core/time.js';
import type { PerceptionEvent } from '../events/perception-event.js';
import type { GroundTruthObject } from '../../scenarios/scenario-writer.js';
import { DEFAULT_MATCH_THRESHOLD_M, MotAccumulator, type MotObject, type MotSummary } from './clear-mot.js';
import type { GroundTruthFrame } from './ground-truth-stream.js';

/**
 * Scores a replay's events against the scenario's ground truth with CLEAR MOT.
 *
 * Per event, the ground-truth frame of its stamp is split into the objects that are scored (within
 * maxRangeM of base_link in the ground plane, at least minLidarPoints LiDAR points, a wanted label)
 * and the rest. As in the MOTChallenge devkit's treatment of distractors, hypotheses that the
 * optimal one-to-one assignment puts on an unscored object (a car beyond range, an occluded
 * pedestrian, a truck when only cars are scored) are dropped rather than counted as false
 * positives, and so are unmatched hypotheses beyond maxRangeM: the region outside the scored set
 * is "don't care". What remains goes through the MotAccumulator.
 *
 * Hypotheses are the event's objects and their `id` is taken as a track id (with tracking off,
 * ids are per-sweep cluster ids, which inflates ID switches and so lowers MOTA; recall and
 * precision do not depend on ids). Ground truth and hypotheses are both in base_link at the
 * event's stamp, so the range cut is the same distance for both.
 */

export interface EvaluationOptions {
  /** Ground-truth objects farther than this from base_link (x, y) are not scored. Default 40. */
  maxRangeM?: number;
  /**
   * Ground-truth objects with fewer LiDAR points are not scored: with a handful of returns, part of
   * them on the ground at the object's feet, nothing tells an object from noise. Default 5.
   */
  minLidarPoints?: number;
  /** Scored labels, compared case-insensitively; default every label. */
  labels?: readonly string[];
  /** Largest centre distance of a match, metres. Default 2. */
  thresholdM?: number;
  /** An event without ground truth at its exact stamp takes the nearest within this. Default 5 ms. */
  stampToleranceMs?: number;
}

export interface EvaluationResult extends MotSummary {
  /** Hypotheses left out as on unscored objects or beyond range. */
  ignoredHypotheses: number;
  /** Events for which no ground truth was found within the stamp tolerance (not scored). */
  eventsWithoutGroundTruth: number;
  /** The settings the figures were made with. */
  maxRangeM: number;
  minLidarPoints: number;
  thresholdM: number;
  labels: string[] | undefined;
}

export const DEFAULT_EVALUATION_RANGE_M = 40;
export const DEFAULT_MIN_LIDAR_POINTS = 5;

interface PendingEvent {
  stamp: Nanos;
  hypotheses: MotObject[];
}

/**
 * Streaming evaluation: ground truth and events may come interleaved in any order around their
 * stamps (both are in stamp order themselves); an event is scored once ground truth past its stamp
 * has arrived, or at finish(). Memory stays bounded by the frames in flight.
 */
export class ReplayEvaluator {
  readonly #accumulator: MotAccumulator;
  readonly #maxRangeM: number;
  readonly #minLidarPoints: number;
  readonly #labels: Set<string> | undefined;
  readonly #options: EvaluationOptions;
  readonly #tolerance: Nanos;
  readonly #truth = new Map<Nanos, GroundTruthFrame>();
  #latestTruth: Nanos | undefined;
  readonly #pending: PendingEvent[] = [];
  #ignored = 0;
  #withoutTruth = 0;
  #finished: EvaluationResult | undefined;

  constructor(options: EvaluationOptions = {}) {
    this.#options = options;
    this.#accumulator = new MotAccumulator({ thresholdM: options.thresholdM ?? DEFAULT_MATCH_THRESHOLD_M });
    this.#maxRangeM = options.maxRangeM ?? DEFAULT_EVALUATION_RANGE_M;
    this.#minLidarPoints = options.minLidarPoints ?? DEFAULT_MIN_LIDAR_POINTS;
    if (!(this.#maxRangeM > 0)) throw new RangeError(`maxRangeM must be positive, got ${this.#maxRangeM}`);
    this.#labels = options.labels ? new Set(options.labels.map((l) => l.toLowerCase())) : undefined;
    const toleranceMs = options.stampToleranceMs ?? 5;
    if (!(toleranceMs >= 0)) throw new RangeError(`stampToleranceMs must be ≥ 0, got ${toleranceMs}`);
    this.#tolerance = millisToNanos(toleranceMs);
  }

  groundTruth(frame: GroundTruthFrame): void {
    this.#truth.set(frame.stamp, frame);
    if (this.#latestTruth === undefined || frame.stamp > this.#latestTruth) this.#latestTruth = frame.stamp;
    this.#drain(false);
  }

  event(event: Pick<PerceptionEvent, 'stamp' | 'objects'>): void {
    // Only what scoring needs is kept: an event's other fields can be large.
    const seen = new Map<number, number>();
    const hypotheses = event.objects.map((o): MotObject => {
      // Two LiDARs each number their clusters from 0: keep both, under distinct ids.
      const n = seen.get(o.id) ?? 0;
      seen.set(o.id, n + 1);
      return { id: n === 0 ? o.id : `${o.id}#${n}`, position: { x: o.position.x, y: o.position.y } };
    });
    this.#pending.push({ stamp: event.stamp, hypotheses });
    this.#drain(false);
  }

  /** Scores what is still waiting and returns the figures. */
  finish(): EvaluationResult {
    if (this.#finished) return this.#finished;
    this.#drain(true);
    this.#finished = {
      ...this.#accumulator.summary(),
      ignoredHypotheses: this.#ignored,
      eventsWithoutGroundTruth: this.#withoutTruth,
      maxRangeM: this.#maxRangeM,
      minLidarPoints: this.#minLidarPoints,
      thresholdM: this.#accumulator.thresholdM,
      labels: this.#options.labels ? [...this.#options.labels] : undefined,
    };
    return this.#finished;
  }

  #drain(final: boolean): void {
    while (this.#pending.length > 0) {
      const event = this.#pending[0];
      let truth = this.#truth.get(event.stamp);
      if (!truth) {
        // Ground truth for this stamp may still come, unless later ground truth already has.
        if (!final && (this.#latestTruth === undefined || this.#latestTruth <= event.stamp + this.#tolerance)) return;
        truth = this.#nearestTruth(event.stamp);
      }
      this.#pending.shift();
      if (truth) this.#score(event, truth);
      else this.#withoutTruth++;
      // Events come in stamp order: older ground truth will not be asked for again.
      for (const stamp of this.#truth.keys()) if (stamp < event.stamp - this.#tolerance) this.#truth.delete(stamp);
    }
  }

  #nearestTruth(stamp: Nanos): GroundTruthFrame | undefined {
    let best: GroundTruthFrame | undefined;
    let bestGap = this.#tolerance + 1n;
    for (const [s, frame] of this.#truth) {
      const gap = s > stamp ? s - stamp : stamp - s;
      if (gap < bestGap) {
        best = frame;
        bestGap = gap;
      }
    }
    return best;
  }

  #isScored(o: GroundTruthObject): boolean {
    return Math.hypot(o.position.x, o.position.y) <= this.#maxRangeM
      && (o.lidarPoints ?? 0) >= this.#minLidarPoints
      && (!this.#labels || this.#labels.has(o.label.toLowerCase()));
  }

  #score(event: PendingEvent, truth: GroundTruthFrame): void {
    const all = truth.objects;
    const scored = all.map((o) => this.#isScored(o));
    const hyps = event.hypotheses;
    // Which ground-truth object (if any) each hypothesis falls on, by one optimal assignment over all of them.
    const onObject = assignWithin(all, hyps, this.#accumulator.thresholdM);
    const kept = hyps.filter((h, j) => {
      const i = onObject[j];
      const keep = i >= 0 ? scored[i] : Math.hypot(h.position.x, h.position.y) <= this.#maxRangeM;
      if (!keep) this.#ignored++;
      return keep;
    });
    const gt: MotObject[] = all.filter((_, i) => scored[i]).map((o) => ({ id: o.id, position: o.position }));
    this.#accumulator.frame(gt, kept);
  }
}

/** For each hypothesis, the index of the ground-truth object it is assigned to (within threshold), or -1. */
function assignWithin(objects: readonly GroundTruthObject[], hyps: readonly MotObject[], thresholdM: number): Int32Array {
  const out = new Int32Array(hyps.length).fill(-1);
  const near = (h: MotObject, o: GroundTruthObject): number => Math.hypot(o.position.x - h.position.x, o.position.y - h.position.y);
  // Only those with a partner within the threshold take part: the matrix stays a few rows wide.
  const rows = hyps.map((_, j) => j).filter((j) => objects.some((o) => near(hyps[j], o) <= thresholdM));
  const cols = objects.map((_, i) => i).filter((i) => rows.some((j) => near(hyps[j], objects[i]) <= thresholdM));
  if (rows.length === 0) return out;
  const cost = new Float64Array(rows.length * cols.length);
  // Any pair within the threshold beats every pair beyond it, whatever the totals.
  const forbidden = 2 * thresholdM * (Math.min(rows.length, cols.length) + 1);
  rows.forEach((j, r) => cols.forEach((i, c) => {
    const d = near(hyps[j], objects[i]);
    cost[r * cols.length + c] = d <= thresholdM ? d : forbidden;
  }));
  hungarian(cost, rows.length, cols.length).forEach((c, r) => {
    if (c >= 0 && cost[r * cols.length + c] < forbidden) out[rows[r]] = cols[c];
  });
  return out;
}

/**
 * Scores a finished list (or async stream) of events against ground truth by stamp
 * (readGroundTruthFile gives such a map).
 */
export async function evaluateEvents(
  events: Iterable<Pick<PerceptionEvent, 'stamp' | 'objects'>> | AsyncIterable<Pick<PerceptionEvent, 'stamp' | 'objects'>>,
  groundTruthByStamp: ReadonlyMap<Nanos, GroundTruthFrame>,
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const evaluator = new ReplayEvaluator(options);
  for (const frame of [...groundTruthByStamp.values()].sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0))) {
    evaluator.groundTruth(frame);
  }
  for await (const event of events) evaluator.event(event);
  return evaluator.finish();
}

/** The figures as one line for a summary table. */
export function formatEvaluation(e: EvaluationResult): string {
  const f = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  return `MOTA ${f(e.mota)}  MOTP ${f(e.motp, 2)} m  ID switches ${e.idSwitches}  precision ${f(e.precision)}  recall ${f(e.recall)}`
    + `  (${e.matches}/${e.gtCount} objects ≤ ${e.maxRangeM} m with ≥ ${e.minLidarPoints} LiDAR point${e.minLidarPoints === 1 ? '' : 's'}, ${e.frames} frames, ${e.thresholdM} m)`;
}
