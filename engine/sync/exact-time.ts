import type { Observable } from 'rxjs';
import type { Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';
import { syncSources } from './sync-core.js';

export interface ExactTimeOptions<T> {
  /** Incomplete tuples kept at most; past it the oldest tuple is dropped as queue-overflow. 0 keeps all (as in ROS). */
  queueSize: number;
  onDropped?: OnDropped<T>;
}

/**
 * ROS message_filters ExactTime (sync_policies/exact_time.hpp), as a plain synchronous class the
 * engine can drive without RxJS:
 * - one tuple per stamp; a message fills its source's slot of the tuple with its stamp;
 * - a second message of a source with a stamp already present replaces the first (superseded);
 * - a full tuple is emitted at once, and every incomplete tuple with a stamp at or before it is
 *   dropped (superseded), as `clearOldTuples` does;
 * - past `queueSize` tuples, the oldest are dropped (queue-overflow).
 * As in ROS, a message older than the last emitted tuple is not rejected: it opens a tuple that a
 * later emission or the queue limit clears — or that is emitted if every source sends that stamp.
 * Negative stamps, which rclcpp::Time cannot hold, are dropped as bad-stamp.
 */
export class ExactTimeSync<T extends { stamp: Nanos }> {
  readonly #sourceCount: number;
  readonly #queueSize: number;
  readonly #onSet: (set: T[]) => void;
  readonly #onDropped: OnDropped<T> | undefined;
  /** Tuples by stamp; `#stamps` keeps their stamps sorted, oldest first. */
  readonly #tuples = new Map<Nanos, (T | undefined)[]>();
  readonly #stamps: Nanos[] = [];

  constructor(sourceCount: number, options: ExactTimeOptions<T>, onSet: (set: T[]) => void) {
    checkOptions(sourceCount, options);
    this.#sourceCount = sourceCount;
    this.#queueSize = options.queueSize;
    this.#onSet = onSet;
    this.#onDropped = options.onDropped;
  }

  /** Tuples held, waiting for their missing messages. */
  get pendingTuples(): number {
    return this.#tuples.size;
  }

  add(sourceIndex: number, message: T): void {
    checkSourceIndex(sourceIndex, this.#sourceCount);
    const stamp = message.stamp;
    if (stamp < 0n) {
      this.#drop(message, sourceIndex, 'bad-stamp');
      return;
    }
    let tuple = this.#tuples.get(stamp);
    if (tuple === undefined) {
      tuple = new Array<T | undefined>(this.#sourceCount).fill(undefined);
      this.#tuples.set(stamp, tuple);
      insertSorted(this.#stamps, stamp);
    }
    const replaced = tuple[sourceIndex];
    tuple[sourceIndex] = message;
    if (replaced !== undefined) this.#drop(replaced, sourceIndex, 'superseded');

    if (tuple.every((m) => m !== undefined)) {
      // State is settled before any callback runs, so a callback that feeds the class again sees it whole.
      this.#remove(stamp);
      const cleared = this.#takeOldest(upperBound(this.#stamps, stamp));
      this.#onSet(tuple as T[]);
      this.#dropTuples(cleared, 'superseded');
    }
    if (this.#queueSize > 0 && this.#tuples.size > this.#queueSize) {
      this.#dropTuples(this.#takeOldest(this.#tuples.size - this.#queueSize), 'queue-overflow');
    }
  }

  /** The inputs are over: every message still held is reported once as stream-ended. */
  flush(): void {
    this.#dropTuples(this.#takeOldest(this.#stamps.length), 'stream-ended');
  }

  #remove(stamp: Nanos): void {
    this.#tuples.delete(stamp);
    this.#stamps.splice(lowerBound(this.#stamps, stamp), 1);
  }

  #takeOldest(count: number): (T | undefined)[][] {
    const stamps = this.#stamps.splice(0, count);
    return stamps.map((s) => {
      const tuple = this.#tuples.get(s)!;
      this.#tuples.delete(s);
      return tuple;
    });
  }

  #dropTuples(tuples: (T | undefined)[][], reason: DropReason): void {
    for (const tuple of tuples) {
      tuple.forEach((m, i) => {
        if (m !== undefined) this.#drop(m, i, reason);
      });
    }
  }

  #drop(message: T, sourceIndex: number, reason: DropReason): void {
    this.#onDropped?.(message, sourceIndex, reason);
  }
}

/**
 * One array per complete stamp, with one message per source in the order of `sources`. When every
 * source has completed, messages still waiting are reported as stream-ended and the result
 * completes; an error from a source does the same, then passes the error on.
 */
export function exactTime<T extends { stamp: Nanos }>(sources: Observable<T>[], options: ExactTimeOptions<T>): Observable<T[]> {
  checkOptions(sources.length, options);
  return syncSources(sources, (onSet) => new ExactTimeSync<T>(sources.length, options, onSet));
}

/** A bad configuration fails at set-up, not on the first message. */
function checkOptions<T>(sourceCount: number, options: ExactTimeOptions<T>): void {
  if (!Number.isInteger(sourceCount) || sourceCount < 1) throw new RangeError(`exactTime needs at least one source, got ${sourceCount}`);
  if (!Number.isInteger(options.queueSize) || options.queueSize < 0) throw new RangeError(`exactTime queueSize must be an integer ≥ 0, got ${options.queueSize}`);
}

function checkSourceIndex(sourceIndex: number, sourceCount: number): void {
  if (!Number.isInteger(sourceIndex) || sourceIndex < 0 || sourceIndex >= sourceCount) {
    throw new RangeError(`source index ${sourceIndex} is outside 0..${sourceCount - 1}`);
  }
}

/** First index whose stamp is ≥ `stamp`. */
function lowerBound(sorted: Nanos[], stamp: Nanos): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < stamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose stamp is > `stamp`: the count of stamps at or before it. */
function upperBound(sorted: Nanos[], stamp: Nanos): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= stamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: Nanos[], stamp: Nanos): void {
  sorted.splice(lowerBound(sorted, stamp), 0, stamp);
}
