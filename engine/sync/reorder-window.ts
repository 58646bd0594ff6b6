import { Observable, type OperatorFunction } from 'rxjs';
import { NS_PER_S, type Nanos } from '../core/time.js';
import type { DropReason } from './drop-reasons.js';

/** One day: a stamp farther than this from the newest accepted one is taken for a broken clock. */
export const DEFAULT_MAX_STAMP_JUMP_NS: Nanos = 86_400n * NS_PER_S;
export const DEFAULT_MAX_BUFFERED = 4096;

export interface ReorderWindowOptions<T> {
  onDropped?: (message: T, reason: DropReason) => void;
  /**
   * Stream time at a message's arrival; a message is released once stream time is `windowNs` past
   * its stamp. Defaults to the newest stamp seen (deterministic). Pass e.g. `(m) => m.receivedAt`
   * to bound the wait in arrival time instead.
   */
  now?: (message: T) => Nanos;
  /** Messages held at most; past it the oldest is released early. */
  maxBuffered?: number;
  /** A stamp farther than this from the newest accepted stamp, either way, is dropped as bad-stamp. */
  maxStampJumpNs?: Nanos;
}

/**
 * The reorder buffer as a plain synchronous class: messages go in by `push`, leave in stamp order
 * through the callback.
 * - A message is held until stream time is at least `windowNs` past its stamp, then released;
 *   equal stamps leave in arrival order.
 * - A message stamped before the last released one can no longer be put in order: dropped as
 *   late. With `windowNs` 0 every message is released on arrival, so the buffer passes messages
 *   through and any backwards stamp is late (never out-of-order: that reason belongs to
 *   per-source checks elsewhere).
 * - Negative stamps, and stamps more than `maxStampJumpNs` from the newest accepted stamp, are
 *   dropped as bad-stamp. The first message is trusted: nothing precedes it to judge it by.
 * - Past `maxBuffered`, the oldest message is released early; later ones older than it become late.
 * - `flush()` releases what is held, in order.
 */
export class ReorderBuffer<T extends { stamp: Nanos }> {
  readonly #windowNs: Nanos;
  readonly #maxBuffered: number;
  readonly #maxJumpNs: Nanos;
  readonly #now: (message: T) => Nanos;
  readonly #onRelease: (message: T) => void;
  readonly #onDropped: ((message: T, reason: DropReason) => void) | undefined;
  /** Held messages sorted by stamp; equal stamps in arrival order. */
  readonly #held: T[] = [];
  #newestStamp: Nanos | undefined;
  #streamTime: Nanos | undefined;
  #lastReleased: Nanos | undefined;

  constructor(windowNs: Nanos, options: ReorderWindowOptions<T>, onRelease: (message: T) => void) {
    checkOptions(windowNs, options);
    this.#windowNs = windowNs;
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
    this.#maxJumpNs = options.maxStampJumpNs ?? DEFAULT_MAX_STAMP_JUMP_NS;
    this.#now = options.now ?? ((m) => m.stamp);
    this.#onRelease = onRelease;
    this.#onDropped = options.onDropped;
  }

  get held(): number {
    return this.#held.length;
  }

  push(message: T): void {
    const stamp = message.stamp;
    if (stamp < 0n || (this.#newestStamp !== undefined && absDiff(stamp, this.#newestStamp) > this.#maxJumpNs)) {
      this.#onDropped?.(message, 'bad-stamp');
      return;
    }
    if (this.#lastReleased !== undefined && stamp < this.#lastReleased) {
      this.#onDropped?.(message, 'late');
      return;
    }
    if (this.#newestStamp === undefined || stamp > this.#newestStamp) this.#newestStamp = stamp;
    const now = this.#now(message);
    if (this.#streamTime === undefined || now > this.#streamTime) this.#streamTime = now;
    this.#held.splice(upperBound(this.#held, stamp), 0, message);

    const held = this.#held;
    let ready = 0;
    while (ready < held.length && (held.length - ready > this.#maxBuffered || this.#streamTime - held[ready].stamp >= this.#windowNs)) ready++;
    this.#release(ready);
  }

  /** The input is over: everything held leaves, in stamp order. */
  flush(): void {
    this.#release(this.#held.length);
  }

  #release(count: number): void {
    if (count === 0) return;
    // Taken out before any callback, so a callback that pushes again sees a settled buffer.
    const out = this.#held.splice(0, count);
    this.#lastReleased = out[out.length - 1].stamp;
    for (const m of out) this.#onRelease(m);
  }
}

/**
 * Re-sorts one stream by stamp within a bounded window (see ReorderBuffer for the rules). On
 * completion what is held is released in order; on an error it is released, then the error passes on.
 */
export function reorderWindow<T extends { stamp: Nanos }>(windowNs: Nanos, options: ReorderWindowOptions<T> = {}): OperatorFunction<T, T> {
  checkOptions(windowNs, options);
  return (source) =>
    new Observable<T>((subscriber) => {
      const buffer = new ReorderBuffer<T>(windowNs, options, (m) => subscriber.next(m));
      return source.subscribe({
        next: (m) => buffer.push(m),
        error: (err) => {
          buffer.flush();
          subscriber.error(err);
        },
        complete: () => {
          buffer.flush();
          subscriber.complete();
        },
      });
    });
}

function checkOptions<T>(windowNs: Nanos, options: ReorderWindowOptions<T>): void {
  if (typeof windowNs !== 'bigint' || windowNs < 0n) throw new RangeError(`reorderWindow windowNs must be a bigint ≥ 0, got ${String(windowNs)}`);
  const { maxBuffered, maxStampJumpNs } = options;
  if (maxBuffered !== undefined && (!Number.isInteger(maxBuffered) || maxBuffered < 0)) throw new RangeError(`reorderWindow maxBuffered must be an integer ≥ 0, got ${maxBuffered}`);
  if (maxStampJumpNs !== undefined && (typeof maxStampJumpNs !== 'bigint' || maxStampJumpNs < 0n)) throw new RangeError(`reorderWindow maxStampJumpNs must be a bigint ≥ 0, got ${String(maxStampJumpNs)}`);
}

/** First index whose stamp is greater than `stamp`: inserting there keeps equal stamps in arrival order. */
function upperBound<T extends { stamp: Nanos }>(sorted: T[], stamp: Nanos): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].stamp <= stamp) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function absDiff(a: Nanos, b: Nanos): Nanos {
  return a >= b ? a - b : b - a;
}
