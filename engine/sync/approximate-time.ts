import type { Observable } from 'rxjs';
import type { Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';
import { syncSources } from './sync-core.js';

/**
 * ROS message_filters' ApproximateTime policy (sync_policies/approximate_time.h, by the same
 * algorithm in ROS 1 and ROS 2), ported rule by rule, for any number of sources ≥ 2.
 *
 * What it promises, as the ROS wiki states it: each set holds one message per source; sets do not
 * cross (every member of a later set is later than the same source's member of an earlier one);
 * sets are contiguous (for two consecutive sets, at least one source dropped nothing between
 * them, so the dropped messages could not have formed a set); among the sets contiguous to the previous one it picks the one of
 * least spread (with the age penalty favouring earlier sets); every message is used at most once.
 * Unlike the C++ code, every message that can never be in a set is reported through `onDropped`,
 * exactly once, with the branch of the C++ code that discarded it as its reason.
 *
 * Time arithmetic. Stamps are bigint nanoseconds in the API. Inside, each stamp is kept as the
 * Number offset from the first stamp the synchronizer saw; offsets are kept within ±2^52 ns
 * (±52 days), so every offset, and every difference of two offsets (≤ 2^53), is an exact integer
 * in a double and all comparisons equal the C++ int64 comparisons. A variant that kept bigint
 * stamps throughout (no range limit) ran about a third slower, ≈ 4.3 against ≈ 5.9 M messages/s
 * (best of 8 on a shared 2-core box; bench/sync.bench.ts traffic): each candidate test then
 * allocates two bigint differences.
 * A message more than 2^52 ns away from that base cannot be compared exactly; it is reported as
 * 'bad-stamp' and never enters the algorithm (when the synchronizer holds nothing it re-bases on
 * that message instead, so a first bogus stamp cannot poison the rest of a stream).
 *
 * Age penalty. C++ compares `(end − candidate_end) * (1 + age_penalty) >= (start − candidate_start)`
 * on Durations. rclcpp's Duration::operator*(double) multiplies the int64 nanoseconds by the scale
 * in `long double` and truncates toward zero to int64; `scaledAtLeast` reproduces that exactly for
 * x86-64's 80-bit long double (64-bit significand, round to nearest even): a double product decides
 * whenever it is more than its own error bound away from the threshold, and otherwise the product
 * is rounded to 64 bits and truncated in bigint. (ROS 1's roscpp instead goes through double
 * seconds and rounds to the nearest nanosecond; on stamps with a microsecond grid, or with an age
 * penalty of 0, both give the same answers, which is what the golden fixture relies on.)
 */

export interface ApproximateTimeOptions<T> {
  /** Messages kept per source (waiting plus "past"), > 0. ROS recommends at least 2. */
  queueSize: number;
  /** A set's spread (latest − earliest stamp) may not exceed this. Default: unlimited. */
  maxIntervalNs?: bigint;
  /** Favours earlier sets: a later set must be better by this fraction. Default 0.1, as in the C++ code (the wiki says 0). */
  agePenalty?: number;
  /** Per source, the least gap between two of its stamps; lets a set be proven optimal before the next message comes. Default 0. */
  interMessageLowerBoundNs?: (bigint | undefined)[];
  onDropped?: OnDropped<T>;
  /**
   * Called once per source the first time its stamps go backwards or come closer than its lower
   * bound (the C++ code logs a warning then and carries on, and so does this).
   */
  onWarning?: (sourceIndex: number, kind: 'out-of-order' | 'below-lower-bound') => void;
}

export interface Stamped {
  stamp: Nanos;
}

/** Offsets are kept within this of the base so that differences stay exact in a double. */
const KEY_RANGE = 2 ** 52;
/**
 * Lower bounds and the max interval above this are clipped. Exact: offsets differ by at most
 * 2^53, so a max interval ≥ 2^53 never rejects, and a virtual time ≥ base + 2^55 − 2^52 lies so far
 * past every candidate that each age test it enters gives the same answer as the true one.
 */
const DURATION_CLIP = 2 ** 55;
const NO_PIVOT = -1;

/** One source's messages in arrival order: the first `past` of them are the C++ `past_` vector, the rest its deque. */
class Lane<T> {
  msgs: (T | undefined)[] = new Array(8);
  keys = new Float64Array(8);
  mask = 7;
  head = 0;
  /** Past plus deque. */
  count = 0;
  past = 0;
  warned = false;

  push(msg: T, key: number): void {
    if (this.count > this.mask) this.grow();
    const at = (this.head + this.count) & this.mask;
    this.msgs[at] = msg;
    this.keys[at] = key;
    this.count++;
  }

  /** Removes the first message (past or deque) and returns it. */
  shift(): T {
    const at = this.head;
    const msg = this.msgs[at] as T;
    this.msgs[at] = undefined;
    this.head = (at + 1) & this.mask;
    this.count--;
    return msg;
  }

  at(offset: number): T {
    return this.msgs[(this.head + offset) & this.mask] as T;
  }

  keyAt(offset: number): number {
    return this.keys[(this.head + offset) & this.mask];
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const msgs: (T | undefined)[] = new Array(size);
    const keys = new Float64Array(size);
    for (let k = 0; k < this.count; k++) {
      const from = (this.head + k) & this.mask;
      msgs[k] = this.msgs[from];
      keys[k] = this.keys[from];
    }
    this.msgs = msgs;
    this.keys = keys;
    this.mask = size - 1;
    this.head = 0;
  }
}

/** Splits a finite double into an integer mantissa and a power of two, exactly. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (hi >>> 31) mantissa = -mantissa;
  return { mantissa, exponent };
}

/** `static_cast<int64_t>((long double)d * (long double)scale)` on x86-64, for an integer d. */
function longDoubleScaledTrunc(d: number, mantissa: bigint, exponent: number): bigint {
  if (d === 0 || mantissa === 0n) return 0n;
  const negative = d < 0 !== mantissa < 0n;
  let p = BigInt(Math.abs(d)) * (mantissa < 0n ? -mantissa : mantissa);
  const bits = p.toString(2).length;
  if (bits > 64) {
    // Round to the 64-bit significand of the x87 extended format, ties to even.
    const shift = BigInt(bits - 64);
    let q = p >> shift;
    const rem = p - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    p = q << shift;
  }
  const truncated = exponent >= 0 ? p << BigInt(exponent) : p >> BigInt(-exponent);
  return negative ? -truncated : truncated;
}

/**
 * The synchronous core. `add` messages as they arrive; sets and drops come out through the
 * callbacks, in order, before `add` returns. Callbacks may call `add` again: what that produces
 * is delivered after what is already due, in order.
 */
export class ApproximateTimeSynchronizer<T extends Stamped> {
  readonly #n: number;
  readonly #queueSize: number;
  readonly #maxInterval: number;
  readonly #scale: number;
  readonly #scaleMantissa: bigint;
  readonly #scaleExponent: number;
  readonly #lowerBounds: Float64Array;
  readonly #lanes: Lane<T>[];
  readonly #hasDroppedMessages: Uint8Array;
  readonly #virtualMoves: Int32Array;
  readonly #onSet: (set: T[]) => void;
  readonly #onDropped: OnDropped<T> | undefined;
  readonly #onWarning: ApproximateTimeOptions<T>['onWarning'];

  #base: bigint | undefined;
  #numNonEmptyDeques = 0;
  #pivot = NO_PIVOT;
  #pivotTime = 0;
  #candidateStart = 0;
  #candidateEnd = 0;

  /** Sets and drops waiting to be delivered: [set] or [message, sourceIndex, reason] entries, flat. */
  readonly #outbox: unknown[] = [];
  #delivering = false;

  constructor(sourceCount: number, options: Omit<ApproximateTimeOptions<T>, 'onDropped'> & { onSet: (set: T[]) => void; onDropped?: OnDropped<T> }) {
    if (!Number.isInteger(sourceCount) || sourceCount < 2) throw new RangeError(`approximateTime needs at least 2 sources, got ${sourceCount}`);
    if (!Number.isInteger(options.queueSize) || options.queueSize <= 0) throw new RangeError(`queueSize must be a positive integer, got ${options.queueSize}`);
    const agePenalty = options.agePenalty ?? 0.1;
    // C++ asserts age_penalty >= 0 (correctness only needs > -1).
    if (!Number.isFinite(agePenalty) || agePenalty < 0) throw new RangeError(`agePenalty must be ≥ 0, got ${agePenalty}`);
    if (options.maxIntervalNs !== undefined && options.maxIntervalNs < 0n) throw new RangeError('maxIntervalNs must be ≥ 0');
    const bounds = options.interMessageLowerBoundNs ?? [];
    if (bounds.length > sourceCount) throw new RangeError(`interMessageLowerBoundNs has ${bounds.length} entries for ${sourceCount} sources`);
    this.#n = sourceCount;
    this.#queueSize = options.queueSize;
    this.#maxInterval = options.maxIntervalNs === undefined ? Infinity : clip(options.maxIntervalNs);
    this.#scale = 1 + agePenalty; // a double, as `1 + age_penalty_` is in C++
    const { mantissa, exponent } = decompose(this.#scale);
    this.#scaleMantissa = mantissa;
    this.#scaleExponent = exponent;
    this.#lowerBounds = new Float64Array(sourceCount);
    bounds.forEach((b, i) => {
      if (b === undefined) return;
      if (b < 0n) throw new RangeError(`interMessageLowerBoundNs[${i}] must be ≥ 0`);
      this.#lowerBounds[i] = clip(b);
    });
    this.#lanes = Array.from({ length: sourceCount }, () => new Lane<T>());
    this.#hasDroppedMessages = new Uint8Array(sourceCount);
    this.#virtualMoves = new Int32Array(sourceCount);
    this.#onSet = options.onSet;
    this.#onDropped = options.onDropped;
    this.#onWarning = options.onWarning;
  }

  /** Messages held (waiting, past, or in the candidate). */
  get queued(): number {
    let total = 0;
    for (const lane of this.#lanes) total += lane.count;
    return total;
  }

  /** ApproximateTime::add<i>. */
  add(sourceIndex: number, msg: T): void {
    if (!(sourceIndex >= 0 && sourceIndex < this.#n && Number.isInteger(sourceIndex))) throw new RangeError(`no source ${sourceIndex}`);
    const key = this.#keyOf(msg.stamp);
    if (key === undefined) {
      this.#drop(msg, sourceIndex, 'bad-stamp');
    } else {
      this.#add(sourceIndex, msg, key);
    }
    if (this.#outbox.length !== 0) this.#deliver();
  }

  /**
   * The inputs have ended: every message still held can never be in a set (the C++ policy has no
   * end of stream and would hold them forever). Reports each as 'stream-ended' and starts afresh.
   */
  flush(): void {
    for (let i = 0; i < this.#n; i++) {
      const lane = this.#lanes[i];
      while (lane.count > 0) this.#drop(lane.shift(), i, 'stream-ended');
      lane.past = 0;
      this.#hasDroppedMessages[i] = 0;
      lane.warned = false;
    }
    this.#numNonEmptyDeques = 0;
    this.#pivot = NO_PIVOT;
    this.#base = undefined;
    this.#deliver();
  }

  #keyOf(stamp: bigint): number | undefined {
    if (this.#base === undefined) this.#base = stamp;
    const key = Number(stamp - this.#base);
    if (key >= -KEY_RANGE && key <= KEY_RANGE) return key;
    if (this.queued === 0) {
      this.#base = stamp;
      return 0;
    }
    return undefined;
  }

  #add(i: number, msg: T, key: number): void {
    const lane = this.#lanes[i];
    lane.push(msg, key);
    if (lane.count - lane.past === 1) {
      // The deque was empty before.
      this.#numNonEmptyDeques++;
      if (this.#numNonEmptyDeques === this.#n) this.#process();
    } else {
      this.#checkInterMessageBound(i);
    }
    // During process() deque i may have held queueSize + 1 messages.
    if (lane.count > this.#queueSize) {
      // Cancel the candidate search: put every past message back at the front of its deque.
      this.#recoverAll();
      // C++: drop the oldest message of the offending topic → 'queue-overflow'.
      this.#drop(lane.shift(), i, 'queue-overflow');
      this.#hasDroppedMessages[i] = 1;
      if (this.#pivot !== NO_PIVOT) {
        // The candidate is no longer valid; there might still be enough messages for a new one.
        this.#pivot = NO_PIVOT;
        this.#process();
      }
    }
  }

  #checkInterMessageBound(i: number): void {
    const lane = this.#lanes[i];
    if (lane.warned) return;
    const dequeSize = lane.count - lane.past;
    // With one message in the deque, the previous one is the last past one (if any: after a
    // publish it is gone and the bound cannot be checked).
    if (dequeSize === 1 && lane.past === 0) return;
    const key = lane.keyAt(lane.count - 1);
    const previous = lane.keyAt(lane.count - 2);
    if (key < previous) {
      lane.warned = true;
      this.#onWarning?.(i, 'out-of-order');
    } else if (key - previous < this.#lowerBounds[i]) {
      lane.warned = true;
      this.#onWarning?.(i, 'below-lower-bound');
    }
  }

  /** `trunc(d * (1 + age_penalty))` as rclcpp computes it, compared `>= r`; d and r are exact integers. */
  #scaledAtLeast(d: number, r: number): boolean {
    if (this.#scale === 1) return d >= r;
    const p = d * this.#scale;
    // The double product is within |p|·2^-52 of the long double one; truncation moves it < 1.
    const slack = 2 + Math.abs(p) * 1e-15;
    if (p - r >= slack) return true;
    if (r - p >= slack) return false;
    return longDoubleScaledTrunc(d, this.#scaleMantissa, this.#scaleExponent) >= BigInt(r);
  }

  #frontKey(i: number): number {
    const lane = this.#lanes[i];
    return lane.keyAt(lane.past);
  }

  /** dequeDeleteFront: only called without a pivot, when every past vector is empty, so the deque's front is the lane's front. */
  #dequeDeleteFront(i: number, reason: DropReason): void {
    const lane = this.#lanes[i];
    this.#drop(lane.shift(), i, reason);
    if (lane.count === 0) this.#numNonEmptyDeques--;
  }

  #dequeMoveFrontToPast(i: number): void {
    const lane = this.#lanes[i];
    lane.past++;
    if (lane.count === lane.past) this.#numNonEmptyDeques--;
  }

  /**
   * makeCandidate: the heads become the candidate (held implicitly: after this every lane's first
   * message is its candidate member until publish). The C++ code clears every past vector here;
   * those messages precede the new candidate, so no set can hold them → 'superseded'.
   */
  #makeCandidate(): void {
    for (let i = 0; i < this.#n; i++) {
      const lane = this.#lanes[i];
      while (lane.past > 0) {
        this.#drop(lane.shift(), i, 'superseded');
        lane.past--;
      }
    }
  }

  #recoverAll(): void {
    let nonEmpty = 0;
    for (const lane of this.#lanes) {
      lane.past = 0;
      if (lane.count > 0) nonEmpty++;
    }
    this.#numNonEmptyDeques = nonEmpty;
  }

  /** Emits the candidate (each lane's first message), then recoverAndDelete. */
  #publishCandidate(): void {
    const set = new Array<T>(this.#n);
    let nonEmpty = 0;
    for (let i = 0; i < this.#n; i++) {
      const lane = this.#lanes[i];
      lane.past = 0;
      set[i] = lane.shift();
      if (lane.count > 0) nonEmpty++;
    }
    this.#pivot = NO_PIVOT;
    this.#numNonEmptyDeques = nonEmpty;
    this.#outbox.push(set);
  }

  /** getVirtualTime: a topic with an empty deque is assumed to send next at max(last + lower bound, pivot time). */
  #virtualTime(i: number): number {
    const lane = this.#lanes[i];
    if (lane.count > lane.past) return lane.keyAt(lane.past);
    const bound = lane.keyAt(lane.past - 1) + this.#lowerBounds[i];
    return bound > this.#pivotTime ? bound : this.#pivotTime;
  }

  #process(): void {
    const n = this.#n;
    const lanes = this.#lanes;
    while (this.#numNonEmptyDeques === n) {
      // getCandidateEnd: latest head, ties → highest index. getCandidateStart: earliest head, ties → lowest index.
      let endTime = this.#frontKey(0);
      let startTime = endTime;
      let endIndex = 0;
      let startIndex = 0;
      for (let i = 1; i < n; i++) {
        const lane = lanes[i];
        const t = lane.keyAt(lane.past);
        if (t >= endTime) {
          endTime = t;
          endIndex = i;
        }
        if (t < startTime) {
          startTime = t;
          startIndex = i;
        }
      }
      // No dropped message could have been better than the ones we have, so every topic but the end one may be a pivot again.
      for (let i = 0; i < n; i++) if (i !== endIndex) this.#hasDroppedMessages[i] = 0;
      if (this.#pivot === NO_PIVOT) {
        // No candidate: past vectors are empty.
        if (endTime - startTime > this.#maxInterval) {
          // C++: "This interval is too big to be a valid candidate" → 'max-interval'.
          this.#dequeDeleteFront(startIndex, 'max-interval');
          continue;
        }
        if (this.#hasDroppedMessages[endIndex]) {
          // C++: "The topic that would become pivot has dropped messages" — a better set may
          // have been lost with them, so the start head is discarded while searching → 'superseded'.
          this.#dequeDeleteFront(startIndex, 'superseded');
          continue;
        }
        this.#makeCandidate();
        this.#candidateStart = startTime;
        this.#candidateEnd = endTime;
        this.#pivot = endIndex;
        this.#pivotTime = endTime;
        this.#dequeMoveFrontToPast(startIndex);
      } else if (this.#scaledAtLeast(endTime - this.#candidateEnd, startTime - this.#candidateStart)) {
        // Not better than the candidate.
        this.#dequeMoveFrontToPast(startIndex);
      } else {
        // Better: it becomes the candidate; the pivot and pivot time stay.
        this.#makeCandidate();
        this.#candidateStart = startTime;
        this.#candidateEnd = endTime;
        this.#dequeMoveFrontToPast(startIndex);
      }

      if (startIndex === this.#pivot) {
        // Every candidate for this pivot has been seen.
        this.#publishCandidate();
      } else if (this.#scaledAtLeast(endTime - this.#candidateEnd, this.#pivotTime - this.#candidateStart)) {
        // Provably optimal: any later candidate must contain [pivot time, end time], already too big.
        this.#publishCandidate();
      } else if (this.#numNonEmptyDeques < n) {
        this.#virtualSearch();
      }
    }
  }

  /** Before waiting, use the inter-message lower bounds to try to prove the candidate optimal. */
  #virtualSearch(): void {
    const n = this.#n;
    const moves = this.#virtualMoves;
    moves.fill(0);
    for (;;) {
      let endTime = this.#virtualTime(0);
      let startTime = endTime;
      let startIndex = 0;
      for (let i = 1; i < n; i++) {
        const t = this.#virtualTime(i);
        if (t >= endTime) endTime = t;
        if (t < startTime) {
          startTime = t;
          startIndex = i;
        }
      }
      const age = endTime - this.#candidateEnd;
      if (this.#scaledAtLeast(age, this.#pivotTime - this.#candidateStart)) {
        // Proven optimal; publishing also undoes the virtual moves.
        this.#publishCandidate();
        return;
      }
      if (!this.#scaledAtLeast(age, startTime - this.#candidateStart)) {
        // An optimistic virtual candidate beats ours: cannot prove optimality. Undo the virtual moves and wait.
        let nonEmpty = 0;
        for (let i = 0; i < n; i++) {
          const lane = this.#lanes[i];
          lane.past -= moves[i];
          if (lane.count > lane.past) nonEmpty++;
        }
        this.#numNonEmptyDeques = nonEmpty;
        return;
      }
      // startIndex is not the pivot here (its virtual time would equal the pivot time and one test above would hold).
      this.#dequeMoveFrontToPast(startIndex);
      moves[startIndex]++;
    }
  }

  #drop(msg: T, sourceIndex: number, reason: DropReason): void {
    if (this.#onDropped) this.#outbox.push(msg, sourceIndex, reason);
  }

  #deliver(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    const outbox = this.#outbox;
    try {
      let k = 0;
      while (k < outbox.length) {
        const item = outbox[k];
        if (Array.isArray(item)) {
          k += 1;
          this.#onSet(item as T[]);
        } else {
          const sourceIndex = outbox[k + 1] as number;
          const reason = outbox[k + 2] as DropReason;
          k += 3;
          this.#onDropped!(item as T, sourceIndex, reason);
        }
      }
    } finally {
      // Truncating an array is a runtime call in V8; an emptied outbox is left alone.
      if (outbox.length !== 0) outbox.length = 0;
      this.#delivering = false;
    }
  }
}

function clip(ns: bigint): number {
  return ns >= BigInt(DURATION_CLIP) ? DURATION_CLIP : Number(ns);
}

/**
 * The ApproximateTime policy over RxJS sources: one array per set, one message per source in the
 * order of `sources`, emitted as soon as the set is proven optimal (synchronously with the message
 * that proves it). When every source has completed, each message still held is reported as
 * 'stream-ended' and the output completes; an error from any source does the same flush and then
 * propagates.
 */
export function approximateTime<T extends Stamped>(sources: Observable<T>[], options: ApproximateTimeOptions<T>): Observable<T[]> {
  if (sources.length < 2) throw new RangeError(`approximateTime needs at least 2 sources, got ${sources.length}`);
  // Validate now rather than at subscription, so a bad option fails where it is written.
  new ApproximateTimeSynchronizer<T>(sources.length, { ...options, onSet: () => undefined });
  return syncSources(sources, (onSet) => new ApproximateTimeSynchronizer<T>(sources.length, { ...options, onSet }));
}
