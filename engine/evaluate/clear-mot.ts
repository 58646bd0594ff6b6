import { hungarian } from '../../native/associate.js';

/**
 * CLEAR MOT (K. Bernardin, R. Stiefelhagen, "Evaluating Multiple Object Tracking Performance: The
 * CLEAR MOT Metrics", EURASIP JIVP 2008), frame by frame:
 *
 * 1. Every correspondence (object o, hypothesis h) of the previous frame is kept when both are
 *    still present and still within the threshold, even if a closer pairing now exists: a tracker
 *    is not punished for staying on its object.
 * 2. The objects and hypotheses left over are matched one to one by the Hungarian method on their
 *    distances, pairs beyond the threshold forbidden (the most matches first, then the least
 *    total distance, as py-motmetrics does).
 * 3. A new correspondence whose object was last matched (in any earlier frame, across gaps) to a
 *    different hypothesis is a mismatch: an ID switch.
 * 4. Objects left unmatched are misses, hypotheses left unmatched are false positives.
 *
 * MOTP = total distance of the matches / number of matches; MOTA = 1 − (misses + false positives +
 * ID switches) / ground-truth objects. A switched correspondence still counts as a match, as in
 * the paper (py-motmetrics' num_detections = its MATCH plus SWITCH events).
 */

export type TrackId = number | string;

export interface MotObject {
  id: TrackId;
  /** Centre; only x and y count (distance in the ground plane, as the nuScenes benchmarks measure it). */
  position: { x: number; y: number };
}

export interface MotMatch {
  gt: TrackId;
  hypothesis: TrackId;
  distance: number;
  /** The object was last matched to a different hypothesis: an ID switch. */
  switched: boolean;
}

/** What one frame gave. */
export interface MotFrameResult {
  matches: MotMatch[];
  misses: TrackId[];
  falsePositives: TrackId[];
}

export interface MotSummary {
  /** 1 − (misses + falsePositives + idSwitches) / gtCount; NaN without ground truth. */
  mota: number;
  /** Mean distance of the matches, metres; NaN without matches. */
  motp: number;
  idSwitches: number;
  /** matches / (matches + falsePositives); NaN without hypotheses. */
  precision: number;
  /** matches / gtCount; NaN without ground truth. */
  recall: number;
  /** Correspondences, switched ones included. */
  matches: number;
  misses: number;
  falsePositives: number;
  gtCount: number;
  hypothesisCount: number;
  frames: number;
}

export interface MotAccumulatorOptions {
  /** Largest centre distance of a match, metres (inclusive). Default 2. */
  thresholdM?: number;
}

export const DEFAULT_MATCH_THRESHOLD_M = 2;

export class MotAccumulator {
  readonly thresholdM: number;
  /** Object → hypothesis of the previous frame's correspondences (M_{t−1}). */
  #previous = new Map<TrackId, TrackId>();
  /** Object → hypothesis of its last correspondence, kept across frames where it was missed. */
  readonly #lastMatch = new Map<TrackId, TrackId>();
  #frames = 0;
  #gt = 0;
  #hypotheses = 0;
  #matches = 0;
  #switches = 0;
  #distance = 0;

  constructor(options: MotAccumulatorOptions = {}) {
    const t = options.thresholdM ?? DEFAULT_MATCH_THRESHOLD_M;
    if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`thresholdM must be a positive number, got ${t}`);
    this.thresholdM = t;
  }

  /** One frame of ground-truth objects and hypotheses, matched by centre distance up to the threshold. */
  frame(gt: readonly MotObject[], hypotheses: readonly MotObject[]): MotFrameResult {
    const distances = new Float64Array(gt.length * hypotheses.length);
    gt.forEach((o, i) => {
      hypotheses.forEach((h, j) => {
        const d = Math.hypot(o.position.x - h.position.x, o.position.y - h.position.y);
        distances[i * hypotheses.length + j] = d <= this.thresholdM ? d : NaN;
      });
    });
    return this.frameWithDistances(gt.map((o) => o.id), hypotheses.map((h) => h.id), distances);
  }

  /**
   * One frame given the distances directly (row-major, gtIds.length × hypothesisIds.length); a
   * non-finite entry forbids that pair. No threshold is applied here: the caller's matrix is the
   * gate (this is py-motmetrics' `update`).
   */
  frameWithDistances(gtIds: readonly TrackId[], hypothesisIds: readonly TrackId[], distances: ArrayLike<number>): MotFrameResult {
    const rows = gtIds.length, cols = hypothesisIds.length;
    if (distances.length !== rows * cols) throw new RangeError(`distances must hold ${rows}×${cols} = ${rows * cols} entries, got ${distances.length}`);
    checkUnique(gtIds, 'ground-truth');
    checkUnique(hypothesisIds, 'hypothesis');
    const dist = (i: number, j: number): number => distances[i * cols + j];
    const hypIndex = new Map(hypothesisIds.map((h, j) => [h, j]));
    const gtMatched = new Int32Array(rows).fill(-1);
    const hypTaken = new Uint8Array(cols);
    const result: MotFrameResult = { matches: [], misses: [], falsePositives: [] };

    // 1. Keep last frame's correspondences that are still possible.
    for (let i = 0; i < rows; i++) {
      const h = this.#previous.get(gtIds[i]);
      const j = h === undefined ? undefined : hypIndex.get(h);
      if (j === undefined || hypTaken[j] || !Number.isFinite(dist(i, j))) continue;
      gtMatched[i] = j;
      hypTaken[j] = 1;
      result.matches.push({ gt: gtIds[i], hypothesis: hypothesisIds[j], distance: dist(i, j), switched: false });
    }

    // 2. Optimal assignment of the rest.
    // Only rows and columns with a possible pair take part: the others stay unmatched anyway.
    const feasible = (i: number, j: number): boolean => gtMatched[i] < 0 && !hypTaken[j] && Number.isFinite(dist(i, j));
    const freeRows = [...Array(rows).keys()].filter((i) => gtMatched[i] < 0 && [...Array(cols).keys()].some((j) => feasible(i, j)));
    const freeCols = [...Array(cols).keys()].filter((j) => !hypTaken[j] && freeRows.some((i) => feasible(i, j)));
    if (freeRows.length > 0 && freeCols.length > 0) {
      let total = 0;
      for (const i of freeRows) for (const j of freeCols) if (Number.isFinite(dist(i, j))) total += Math.abs(dist(i, j));
      // Costlier than every feasible assignment together: the most matches win before the least distance.
      const forbidden = 2 * total + 1;
      const cost = new Float64Array(freeRows.length * freeCols.length);
      freeRows.forEach((i, r) => freeCols.forEach((j, c) => {
        cost[r * freeCols.length + c] = Number.isFinite(dist(i, j)) ? dist(i, j) : forbidden;
      }));
      const assigned = hungarian(cost, freeRows.length, freeCols.length);
      assigned.forEach((c, r) => {
        if (c < 0) return;
        const i = freeRows[r], j = freeCols[c];
        if (!Number.isFinite(dist(i, j))) return;
        gtMatched[i] = j;
        hypTaken[j] = 1;
        // 3. A new correspondence for an object that had another hypothesis is a mismatch.
        const last = this.#lastMatch.get(gtIds[i]);
        const switched = last !== undefined && last !== hypothesisIds[j];
        result.matches.push({ gt: gtIds[i], hypothesis: hypothesisIds[j], distance: dist(i, j), switched });
      });
    }

    // 4. Tally.
    const next = new Map<TrackId, TrackId>();
    for (const m of result.matches) {
      next.set(m.gt, m.hypothesis);
      this.#lastMatch.set(m.gt, m.hypothesis);
      this.#distance += m.distance;
      if (m.switched) this.#switches++;
    }
    for (let i = 0; i < rows; i++) if (gtMatched[i] < 0) result.misses.push(gtIds[i]);
    for (let j = 0; j < cols; j++) if (!hypTaken[j]) result.falsePositives.push(hypothesisIds[j]);
    this.#previous = next;
    this.#frames++;
    this.#gt += rows;
    this.#hypotheses += cols;
    this.#matches += result.matches.length;
    return result;
  }

  summary(): MotSummary {
    const misses = this.#gt - this.#matches;
    const falsePositives = this.#hypotheses - this.#matches;
    return {
      mota: this.#gt > 0 ? 1 - (misses + falsePositives + this.#switches) / this.#gt : NaN,
      motp: this.#matches > 0 ? this.#distance / this.#matches : NaN,
      idSwitches: this.#switches,
      precision: this.#hypotheses > 0 ? this.#matches / this.#hypotheses : NaN,
      recall: this.#gt > 0 ? this.#matches / this.#gt : NaN,
      matches: this.#matches,
      misses,
      falsePositives,
      gtCount: this.#gt,
      hypothesisCount: this.#hypotheses,
      frames: this.#frames,
    };
  }
}

function checkUnique(ids: readonly TrackId[], what: string): void {
  const seen = new Set<TrackId>();
  for (const id of ids) {
    if (seen.has(id)) throw new RangeError(`${what} id ${String(id)} appears twice in one frame`);
    seen.add(id);
  }
}
