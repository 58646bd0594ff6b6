import type { Observable } from 'rxjs';
import type { Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';
import { syncSources } from './sync-core.js';

export interface SlopTimeOptions<T> {
  /** A set's stamps must span strictly less than this (Python's `max(vv) - min(vv) < slop`). */
  slopNs: Nanos;
  /** Messages kept per source; past it the oldest stamp is dropped as queue-overflow. */
  queueSize: number;
  onDropped?: OnDropped<T>;
}

/**
 * ROS 2 message_filters' Python ApproximateTimeSynchronizer (`slop`), as a plain synchronous class.
 * On each message, as `ApproximateTimeSynchronizer.add` does:
 * 1. it goes into its source's queue, keyed by stamp: a message with a stamp already queued
 *    replaces the queued one (superseded); past `queueSize` the smallest stamps leave
 *    (queue-overflow) — possibly the new message itself;
 * 2. from every other queue, in source order, the candidates are the stamps within `slopNs` of the
 *    new stamp (inclusive), stably sorted by that distance (ties keep queue order); a queue
 *    without one ends the search;
 * 3. the combinations are tried in itertools.product order (the last source varies fastest), the
 *    new message in its own place; the first whose stamps span strictly less than `slopNs` is
 *    emitted and its messages leave their queues.
 * Nothing else leaves a queue: as in the Python, older messages that can never pair stay until the
 * queue limit pushes them out (queue-overflow) or the inputs end (stream-ended); there is no
 * max-interval drop. Consequences kept from the Python: with `slopNs` 0 nothing is ever emitted,
 * and two stamps exactly `slopNs` apart never pair.
 * The search walks the product depth-first and skips a branch as soon as its partial span reaches
 * `slopNs` (a span only grows), which finds the same first combination without trying them all.
 * Negative stamps, which rclpy's Time cannot hold, are dropped as bad-stamp.
 */
export class SlopTimeSync<T extends { stamp: Nanos }> {
  readonly #slopNs: Nanos;
  readonly #queueSize: number;
  readonly #onSet: (set: T[]) => void;
  readonly #onDropped: OnDropped<T> | undefined;
  /** Per source, messages by stamp in insertion order (Python dict order: a replaced key keeps its place). */
  readonly #queues: Map<Nanos, T>[];

  constructor(sourceCount: number, options: SlopTimeOptions<T>, onSet: (set: T[]) => void) {
    checkOptions(sourceCount, options);
    this.#slopNs = options.slopNs;
    this.#queueSize = options.queueSize;
    this.#onSet = onSet;
    this.#onDropped = options.onDropped;
    this.#queues = Array.from({ length: sourceCount }, () => new Map<Nanos, T>());
  }

  /** Messages held per source. */
  get queued(): number[] {
    return this.#queues.map((q) => q.size);
  }

  add(sourceIndex: number, message: T): void {
    if (!Number.isInteger(sourceIndex) || sourceIndex < 0 || sourceIndex >= this.#queues.length) {
      throw new RangeError(`source index ${sourceIndex} is outside 0..${this.#queues.length - 1}`);
    }
    const stamp = message.stamp;
    if (stamp < 0n) {
      this.#drop(message, sourceIndex, 'bad-stamp');
      return;
    }
    const queue = this.#queues[sourceIndex];
    const replaced = queue.get(stamp);
    queue.set(stamp, message);
    if (replaced !== undefined) this.#drop(replaced, sourceIndex, 'superseded');
    while (queue.size > this.#queueSize) {
      const oldest = minKey(queue);
      const evicted = queue.get(oldest)!;
      queue.delete(oldest);
      this.#drop(evicted, sourceIndex, 'queue-overflow');
    }
    // The Python's product would still run, but every combination fails its `t in q` test.
    if (!queue.has(stamp)) return;

    const candidates: Nanos[][] = [];
    for (let i = 0; i < this.#queues.length; i++) {
      if (i === sourceIndex) {
        candidates.push([stamp]);
        continue;
      }
      const near: { s: Nanos; delta: Nanos }[] = [];
      for (const s of this.#queues[i].keys()) {
        const delta = s >= stamp ? s - stamp : stamp - s;
        if (delta <= this.#slopNs) near.push({ s, delta });
      }
      if (near.length === 0) return;
      // Array.prototype.sort is stable, as Python's sorted is.
      near.sort((a, b) => (a.delta < b.delta ? -1 : a.delta > b.delta ? 1 : 0));
      candidates.push(near.map((n) => n.s));
    }

    const chosen = this.#firstCombination(candidates);
    if (chosen === undefined) return;
    const set = chosen.map((s, i) => {
      const m = this.#queues[i].get(s)!;
      this.#queues[i].delete(s);
      return m;
    });
    this.#onSet(set);
  }

  /** The inputs are over: every queued message is reported once as stream-ended. */
  flush(): void {
    this.#queues.forEach((queue, i) => {
      const left = [...queue.values()];
      queue.clear();
      for (const m of left) this.#drop(m, i, 'stream-ended');
    });
  }

  /** The first combination in itertools.product order whose span is below the slop. */
  #firstCombination(candidates: Nanos[][]): Nanos[] | undefined {
    const chosen: Nanos[] = [];
    const slop = this.#slopNs;
    const walk = (depth: number, lo: Nanos, hi: Nanos): boolean => {
      if (depth === candidates.length) return hi - lo < slop;
      for (const s of candidates[depth]) {
        const nextLo = depth === 0 || s < lo ? s : lo;
        const nextHi = depth === 0 || s > hi ? s : hi;
        if (nextHi - nextLo >= slop) continue;
        chosen[depth] = s;
        if (walk(depth + 1, nextLo, nextHi)) return true;
      }
      return false;
    };
    return walk(0, 0n, 0n) ? chosen : undefined;
  }

  #drop(message: T, sourceIndex: number, reason: DropReason): void {
    this.#onDropped?.(message, sourceIndex, reason);
  }
}

/**
 * A set, one message per source in the order of `sources`, whenever a message completes a
 * combination within the slop. Completes when every source has completed (reporting queued
 * messages as stream-ended); an error from a source does the same, then passes it on.
 */
export function slopTime<T extends { stamp: Nanos }>(sources: Observable<T>[], options: SlopTimeOptions<T>): Observable<T[]> {
  checkOptions(sources.length, options);
  return syncSources(sources, (onSet) => new SlopTimeSync<T>(sources.length, options, onSet));
}

function checkOptions<T>(sourceCount: number, options: SlopTimeOptions<T>): void {
  if (!Number.isInteger(sourceCount) || sourceCount < 1) throw new RangeError(`slopTime needs at least one source, got ${sourceCount}`);
  // The Python would empty a queue of size 0 on every message; nothing could ever be emitted.
  if (!Number.isInteger(options.queueSize) || options.queueSize < 1) throw new RangeError(`slopTime queueSize must be an integer ≥ 1, got ${options.queueSize}`);
  if (typeof options.slopNs !== 'bigint' || options.slopNs < 0n) throw new RangeError(`slopTime slopNs must be a bigint ≥ 0, got ${String(options.slopNs)}`);
}

function minKey(queue: Map<Nanos, unknown>): Nanos {
  let min: Nanos | undefined;
  for (const k of queue.keys()) if (min === undefined || k < min) min = k;
  return min!;
}
