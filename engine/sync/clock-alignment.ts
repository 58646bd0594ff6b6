import { Observable, type OperatorFunction } from 'rxjs';
import type { Nanos } from '../core/time.js';
import type { OnDropped } from './drop-reasons.js';

/**
 * How a sensor's stamps reach the engine clock.
 * - 'sensor': the stamps already are on the engine clock (PTP, GPS time); only `offsetNs` is added,
 *   like Autoware's per-sensor timestamp offsets.
 * - 'arrival': the sensor has no usable clock; stamp := receivedAt + offsetNs (offsetNs is then
 *   usually minus the known latency).
 * - 'estimate': offset and drift are estimated online from (stamp, receivedAt) pairs.
 */
export type ClockMode = 'sensor' | 'arrival' | 'estimate';

export interface ClockJump {
  /** The sample that revealed the jump, as it came. */
  readonly stamp: Nanos;
  readonly receivedAt: Nanos;
  /** How far the sensor clock moved against the engine clock beyond what was expected (positive: forward). */
  readonly stepNs: Nanos;
  /** The correction (aligned − stamp) before the jump and the fresh one after it. */
  readonly previousOffsetNs: Nanos;
  readonly offsetNs: Nanos;
}

export interface ClockAlignerOptions {
  mode: ClockMode;
  /** A fixed correction added in every mode, ns (default 0). */
  offsetNs?: Nanos;
  /** 'estimate': span of sensor time the estimate looks back over (default 60 s). */
  windowNs?: Nanos;
  /**
   * 'estimate': samples are kept as the least-delay sample per bucket of this much sensor time
   * (default 250 ms), so memory is windowNs / bucketNs points whatever the sensor's rate.
   */
  bucketNs?: Nanos;
  /** 'estimate': the estimated drift is clamped to ± this, in ppm (default 200; quartz is within ±100). */
  maxDriftPpm?: number;
  /** 'estimate': drift is held at 0 until the window spans this much sensor time (default 10 s, at most windowNs / 2). */
  minDriftSpanNs?: Nanos;
  /**
   * 'sensor' and 'estimate': a sample whose stamp sits further than this from where the clock's
   * current relation to receivedAt puts it is a clock jump (default 1 s). It must exceed the worst
   * transport delay, or a very late message is taken for a backwards step (and its successor for
   * the step back), which costs the estimate but never a frame.
   */
  jumpThresholdNs?: Nanos;
  onJump?: (jump: ClockJump) => void;
}

export interface AlignedStamp {
  /** The stamp on the engine clock. */
  readonly stamp: Nanos;
  /** Whether this sample revealed a clock jump (the stamp is then aligned by the fresh estimate). */
  readonly jumped: boolean;
}

/** int64 nanoseconds, as on the wire: beyond this a stamp is absurd. */
const MAX_STAMP = (1n << 63n) - 1n;

const DEFAULTS = {
  windowNs: 60_000_000_000n,
  bucketNs: 250_000_000n,
  maxDriftPpm: 200,
  minDriftSpanNs: 10_000_000_000n,
  jumpThresholdNs: 1_000_000_000n,
};

/**
 * Lower envelope of the delays d = receivedAt − stamp over a sliding window of sensor time. The
 * one-way delay is never negative, so the true relation receivedAt ≥ stamp + offset + drift·(stamp − t0)
 * is a line under every point. Of all such lines the one that fits them tightest (least total
 * delay: the linear program of Moon, Skelly and Towsley, 1999) touches the lower convex hull on the
 * edge that spans the points' mean stamp, so the fit is that edge, its slope clamped to a
 * plausible drift. A delay spike only lifts a point above the hull and changes nothing.
 */
class LowerEnvelope {
  readonly #bucketNs: bigint;
  readonly #windowBuckets: number;
  readonly #maxSlope: number;
  readonly #minDriftSpan: number;
  // Bases that keep the Numbers exact: x = stamp − #stamp0 and y = delay − #delay0, in ns.
  #stamp0 = 0n;
  #delay0 = 0n;
  // One point per bucket of sensor time, in bucket order: the least-delay sample seen in it.
  #buckets: number[] = [];
  #xs: number[] = [];
  #ys: number[] = [];
  // The fit: y ≈ #intercept + #slope·x.
  #slope = 0;
  #intercept = 0;
  readonly #hullX: number[] = [];
  readonly #hullY: number[] = [];

  constructor(bucketNs: bigint, windowNs: bigint, maxDriftPpm: number, minDriftSpanNs: bigint) {
    if (bucketNs <= 0n) throw new RangeError(`bucketNs must be positive, got ${bucketNs}`);
    if (windowNs < bucketNs) throw new RangeError(`windowNs (${windowNs}) must be at least bucketNs (${bucketNs})`);
    if (!(maxDriftPpm >= 0)) throw new RangeError(`maxDriftPpm must be non-negative, got ${maxDriftPpm}`);
    this.#bucketNs = bucketNs;
    this.#windowBuckets = Number(windowNs / bucketNs);
    this.#maxSlope = maxDriftPpm * 1e-6;
    // A span the window cannot hold would keep the drift at 0 for ever.
    this.#minDriftSpan = Math.min(Number(minDriftSpanNs), Number(windowNs) / 2);
  }

  get empty(): boolean {
    return this.#xs.length === 0;
  }

  get slope(): number {
    return this.#slope;
  }

  get points(): number {
    return this.#xs.length;
  }

  reset(): void {
    this.#buckets = [];
    this.#xs = [];
    this.#ys = [];
    this.#slope = 0;
    this.#intercept = 0;
  }

  /** The fitted delay at a stamp: the correction that maps it onto the engine clock. */
  correctionAt(stamp: bigint): bigint {
    const x = Number(stamp - this.#stamp0);
    return this.#delay0 + BigInt(Math.round(this.#intercept + this.#slope * x));
  }

  /**
   * The sensor stamp that the fit maps onto `receivedAt`, found from the newest point rather than
   * by evaluating the fit at a stamp that may have jumped by years.
   */
  stampAt(receivedAt: bigint): bigint {
    const newest = this.#stamp0 + BigInt(this.#xs[this.#xs.length - 1]);
    const engineTime = newest + this.correctionAt(newest);
    return newest + BigInt(Math.round(Number(receivedAt - engineTime) / (1 + this.#slope)));
  }

  add(stamp: bigint, receivedAt: bigint): void {
    const delay = receivedAt - stamp;
    if (this.empty) {
      this.#stamp0 = stamp;
      this.#delay0 = delay;
    }
    const xBig = stamp - this.#stamp0;
    const bucket = Number(floorDiv(xBig, this.#bucketNs));
    const x = Number(xBig);
    const y = Number(delay - this.#delay0);
    const last = this.#buckets.length - 1;
    if (last < 0 || bucket > this.#buckets[last]) {
      this.#buckets.push(bucket);
      this.#xs.push(x);
      this.#ys.push(y);
      let drop = 0;
      while (this.#buckets[drop] < bucket - this.#windowBuckets) drop++;
      if (drop > 0) {
        this.#buckets.splice(0, drop);
        this.#xs.splice(0, drop);
        this.#ys.splice(0, drop);
      }
      this.#rebase();
    } else {
      // The newest bucket again, or an older one (reordered on the way): keep the sample if it beats its bucket.
      if (bucket < this.#buckets[last] - this.#windowBuckets) return;
      let i = last;
      while (i >= 0 && this.#buckets[i] > bucket) i--;
      if (i >= 0 && this.#buckets[i] === bucket) {
        if (y >= this.#ys[i]) return; // the point set is unchanged, so is the fit
        this.#xs[i] = x;
        this.#ys[i] = y;
      } else {
        this.#buckets.splice(i + 1, 0, bucket);
        this.#xs.splice(i + 1, 0, x);
        this.#ys.splice(i + 1, 0, y);
      }
    }
    this.#fit();
  }

  /** Moves #stamp0 up to the oldest bucket once x grows large, so doubles stay exact to the nanosecond. */
  #rebase(): void {
    if (this.#xs[0] < 2 ** 50) return;
    const shiftBuckets = this.#buckets[0];
    const shift = BigInt(shiftBuckets) * this.#bucketNs;
    const shiftX = Number(shift);
    this.#stamp0 += shift;
    for (let i = 0; i < this.#xs.length; i++) {
      this.#xs[i] -= shiftX;
      this.#buckets[i] -= shiftBuckets;
    }
    this.#intercept += this.#slope * shiftX;
  }

  #fit(): void {
    const xs = this.#xs;
    const ys = this.#ys;
    const n = xs.length;
    let slope = 0;
    // Over a short span the delays' spread swamps any drift: hold it at 0 until the window is long enough.
    if (n >= 2 && xs[n - 1] - xs[0] >= this.#minDriftSpan) {
      const hx = this.#hullX;
      const hy = this.#hullY;
      hx.length = 0;
      hy.length = 0;
      let sumX = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i];
        const y = ys[i];
        sumX += x;
        // Monotone chain, lower half: drop the last vertex while it does not turn left.
        while (hx.length >= 2) {
          const k = hx.length - 1;
          const cross = (hx[k] - hx[k - 1]) * (y - hy[k - 1]) - (hy[k] - hy[k - 1]) * (x - hx[k - 1]);
          if (cross > 0) break;
          hx.pop();
          hy.pop();
        }
        hx.push(x);
        hy.push(y);
      }
      if (hx.length >= 2) {
        const meanX = sumX / n;
        let k = 1;
        while (k < hx.length - 1 && hx[k] < meanX) k++;
        slope = (hy[k] - hy[k - 1]) / (hx[k] - hx[k - 1]);
      }
      // The LP objective is concave in the slope, so the clamped optimum is at the bound.
      slope = Math.min(this.#maxSlope, Math.max(-this.#maxSlope, slope));
    }
    let intercept = Infinity;
    for (let i = 0; i < n; i++) intercept = Math.min(intercept, ys[i] - slope * xs[i]);
    this.#slope = slope;
    this.#intercept = intercept;
  }
}

/**
 * Maps one sensor's stamps onto the engine clock. Synchronous and pure of I/O: feed it the samples
 * of one sensor in arrival order. Bad input (a stamp or receivedAt that is not a bigint, negative,
 * or beyond int64) gives undefined, is counted in `rejected`, and leaves the state untouched. A
 * sample that the fixed offset carries below 0 or beyond int64 is rejected and counted too.
 */
export class ClockAligner {
  readonly mode: ClockMode;
  readonly #fixedOffset: bigint;
  readonly #jumpThreshold: bigint;
  readonly #onJump: ((jump: ClockJump) => void) | undefined;
  readonly #envelope: LowerEnvelope | undefined;
  #offset = 0n;
  #samples = 0;
  #jumps = 0;
  #rejected = 0;

  constructor(options: ClockAlignerOptions) {
    if (options.mode !== 'sensor' && options.mode !== 'arrival' && options.mode !== 'estimate') {
      throw new RangeError(`unknown clock mode ${String(options.mode)}`);
    }
    this.mode = options.mode;
    this.#fixedOffset = options.offsetNs ?? 0n;
    this.#offset = this.#fixedOffset;
    this.#jumpThreshold = options.jumpThresholdNs ?? DEFAULTS.jumpThresholdNs;
    if (this.#jumpThreshold <= 0n) throw new RangeError(`jumpThresholdNs must be positive, got ${this.#jumpThreshold}`);
    this.#onJump = options.onJump;
    if (this.mode !== 'arrival') {
      this.#envelope = new LowerEnvelope(
        options.bucketNs ?? DEFAULTS.bucketNs,
        options.windowNs ?? DEFAULTS.windowNs,
        options.maxDriftPpm ?? DEFAULTS.maxDriftPpm,
        options.minDriftSpanNs ?? DEFAULTS.minDriftSpanNs,
      );
    }
  }

  /** The correction applied to the latest sample (aligned − stamp). */
  get offsetNs(): Nanos {
    return this.#offset;
  }

  /** 'estimate': the sensor clock's estimated rate error against the engine clock, ppm (positive: it runs slow). */
  get driftPpm(): number {
    return this.mode === 'estimate' && this.#envelope ? this.#envelope.slope * 1e6 : 0;
  }

  /** Samples aligned since the start or the last jump. */
  get samples(): number {
    return this.#samples;
  }

  /** Points the estimate holds now (at most windowNs / bucketNs + 1): memory is bounded by this. */
  get windowPoints(): number {
    return this.#envelope?.points ?? 0;
  }

  get jumps(): number {
    return this.#jumps;
  }

  get rejected(): number {
    return this.#rejected;
  }

  align(stamp: Nanos, receivedAt: Nanos): AlignedStamp | undefined {
    if (!isValidStamp(stamp) || !isValidStamp(receivedAt)) {
      this.#rejected++;
      return undefined;
    }
    if (this.mode === 'arrival') {
      const aligned = receivedAt + this.#fixedOffset;
      if (!isValidStamp(aligned)) {
        this.#rejected++;
        return undefined;
      }
      this.#samples++;
      return { stamp: aligned, jumped: false };
    }
    const envelope = this.#envelope!;
    let jumped = false;
    if (!envelope.empty) {
      // The stamp against the one the current fit expects at this arrival (less the sample's delay).
      const stepNs = stamp - envelope.stampAt(receivedAt);
      if (stepNs > this.#jumpThreshold || stepNs < -this.#jumpThreshold) {
        jumped = true;
        envelope.reset();
        this.#samples = 0;
        this.#jumps++;
        const previousOffsetNs = this.#offset;
        const offsetNs = this.mode === 'estimate' ? receivedAt - stamp + this.#fixedOffset : this.#fixedOffset;
        this.#onJump?.({ stamp, receivedAt, stepNs, previousOffsetNs, offsetNs });
      }
    }
    envelope.add(stamp, receivedAt);
    this.#samples++;
    this.#offset = this.mode === 'estimate' ? envelope.correctionAt(stamp) + this.#fixedOffset : this.#fixedOffset;
    const aligned = stamp + this.#offset;
    // Only a fixed offset can carry a valid sample out of range; the sample still informs the estimate.
    if (!isValidStamp(aligned)) {
      this.#rejected++;
      return undefined;
    }
    return { stamp: aligned, jumped };
  }
}

export interface AlignClockOptions<T> extends ClockAlignerOptions {
  /** A frame whose stamp or receivedAt is bad is dropped as 'bad-stamp' (sourceIndex 0). */
  onDropped?: OnDropped<T>;
}

/**
 * Maps each frame to a copy whose stamp is on the engine clock. One ClockAligner per subscription,
 * so the operator holds no state across subscriptions.
 */
export function alignClock<T extends { readonly stamp: Nanos; readonly receivedAt: Nanos }>(options: AlignClockOptions<T>): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const aligner = new ClockAligner(options);
      return source.subscribe({
        next: (frame) => {
          const aligned = aligner.align(frame.stamp, frame.receivedAt);
          if (aligned === undefined) options.onDropped?.(frame, 0, 'bad-stamp');
          else subscriber.next({ ...frame, stamp: aligned.stamp });
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * alignClock for a stream of several sensors: one aligner per sensorId, each with its own options.
 * Frames of sensors not named pass through untouched (the rig decides which sensors exist).
 * `onDropped` gets the sensor's index in the order of `bySensor`.
 */
export function alignClocks<T extends { readonly sensorId: string; readonly stamp: Nanos; readonly receivedAt: Nanos }>(
  bySensor: ReadonlyMap<string, ClockAlignerOptions>,
  onDropped?: OnDropped<T>,
): OperatorFunction<T, T> {
  const order = [...bySensor.keys()];
  return (source) =>
    new Observable<T>((subscriber) => {
      const aligners = new Map<string, ClockAligner>();
      return source.subscribe({
        next: (frame) => {
          const options = bySensor.get(frame.sensorId);
          if (!options) {
            subscriber.next(frame);
            return;
          }
          let aligner = aligners.get(frame.sensorId);
          if (!aligner) aligners.set(frame.sensorId, (aligner = new ClockAligner(options)));
          const aligned = aligner.align(frame.stamp, frame.receivedAt);
          if (aligned === undefined) onDropped?.(frame, order.indexOf(frame.sensorId), 'bad-stamp');
          else subscriber.next({ ...frame, stamp: aligned.stamp });
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

function isValidStamp(t: unknown): t is bigint {
  return typeof t === 'bigint' && t >= 0n && t <= MAX_STAMP;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
