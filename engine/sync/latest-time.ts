import type { Observable } from 'rxjs';
import { createClock, type Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';
import { syncSources } from './sync-core.js';

/** ROS 2 LatestTime's RateConfig: <rate_ema_alpha, error_ema_alpha, rate_step_change_margin_factor>. */
export interface RateConfig {
  /** Weight of the newest period in the rate's moving average. */
  rateEmaAlpha: number;
  /** Weight of the newest deviation in the moving average of the rate's error. */
  errorEmaAlpha: number;
  /** A rate this many mean errors off is a step change (the estimate restarts) or, for the pivot, lateness. */
  stepChangeMarginFactor: number;
}

/** The defaults of ROS 2 message_filters' LatestTime::Rate. */
export const DEFAULT_RATE_CONFIG: Readonly<RateConfig> = { rateEmaAlpha: 0.9, errorEmaAlpha: 0.3, stepChangeMarginFactor: 10 };

export interface LatestTimeOptions<T> {
  /**
   * Arrival time of the message being added. Without it, a message's own `receivedAt` is used when
   * it has one (so a replay with recorded arrival times is deterministic), else the process clock.
   */
  clock?: () => Nanos;
  /** One config for every source, or one per source in the order of `sources`. */
  rateConfig?: Partial<RateConfig> | readonly Partial<RateConfig>[];
  onDropped?: OnDropped<T>;
}

/**
 * The arrival-rate estimate of one source, as LatestTime::Rate::compute_hz: an EMA of 1/period
 * that restarts when a period strays more than `stepChangeMarginFactor` mean errors from it.
 * Floats here, as in the C++, because the rate only chooses the pivot and never orders data.
 */
class ArrivalRate {
  prev: Nanos;
  hz = 0;
  error = 0;
  doHzInit = true;
  doErrorInit = true;
  readonly config: RateConfig;

  constructor(start: Nanos, config: RateConfig) {
    this.prev = start;
    this.config = config;
  }

  /** False, leaving the estimate as it was, when arrival time did not advance. */
  update(now: Nanos): boolean {
    const { rateEmaAlpha, errorEmaAlpha, stepChangeMarginFactor } = this.config;
    const period = seconds(now - this.prev);
    if (period <= 0) return false;
    for (;;) {
      if (this.doHzInit) {
        this.hz = 1 / period;
        this.doHzInit = false;
        break;
      }
      if (this.doErrorInit) {
        this.error = Math.abs(this.hz - 1 / period);
        this.doErrorInit = false;
      } else {
        if (Math.abs(this.hz - 1 / period) > stepChangeMarginFactor * this.error) {
          // A step change in rate: start the estimate over from this period.
          this.doHzInit = true;
          this.doErrorInit = true;
          continue;
        }
        this.error = errorEmaAlpha * Math.abs(this.hz - 1 / period) + (1 - errorEmaAlpha) * this.error;
      }
      this.hz = rateEmaAlpha / period + (1 - rateEmaAlpha) * this.hz;
      break;
    }
    this.prev = now;
    return true;
  }
}

interface Held<T> {
  message: T;
  /** Whether a set has carried it; a used message is held for reuse, not dropped, when replaced. */
  used: boolean;
}

/**
 * ROS 2 message_filters LatestTime (sync_policies/latest_time.hpp) as a plain synchronous class:
 * - each source holds its latest message (zero-order hold: one message may appear in several sets);
 * - a source's first message only starts its rate estimate; each later one updates it from the
 *   arrival period (`compute_hz`);
 * - when a message's rate update is valid, its source is the pivot and every source holds a
 *   message, a set goes out;
 * - the pivot is the fastest source (ties: the lower index, as the C++ stable sort) that is not
 *   late: a source is late once 1/(time since its last arrival) has fallen more than
 *   `stepChangeMarginFactor` × its mean error below its rate — checked only once its error
 *   estimate exists, as in `find_pivot`.
 * Unlike the C++, rate estimates are kept per source index (the C++ pushes them in first-arrival
 * order but reads them by source index, which mixes them up when sources start out of order).
 * Drops: a held message replaced before any set used it is superseded; at the end, held messages
 * no set used are stream-ended; held messages some set used are not reported again.
 * Negative stamps, which rclcpp::Time cannot hold, are dropped as bad-stamp.
 */
export class LatestTimeSync<T extends { stamp: Nanos }> {
  readonly #onSet: (set: T[]) => void;
  readonly #onDropped: OnDropped<T> | undefined;
  readonly #arrivalTime: (message: T) => Nanos;
  readonly #configs: RateConfig[];
  readonly #held: (Held<T> | undefined)[];
  readonly #rates: (ArrivalRate | undefined)[];

  constructor(sourceCount: number, options: LatestTimeOptions<T>, onSet: (set: T[]) => void) {
    this.#configs = rateConfigs(sourceCount, options.rateConfig);
    this.#onSet = onSet;
    this.#onDropped = options.onDropped;
    this.#arrivalTime = arrivalTimeOf(options.clock);
    this.#held = new Array<Held<T> | undefined>(sourceCount).fill(undefined);
    this.#rates = new Array<ArrivalRate | undefined>(sourceCount).fill(undefined);
  }

  /** The source that would be the pivot at arrival time `now`, or undefined when none qualifies. */
  pivotAt(now: Nanos): number | undefined {
    const order = this.#rates
      .map((rate, index) => ({ rate, index }))
      .filter((r): r is { rate: ArrivalRate; index: number } => r.rate !== undefined)
      .sort((a, b) => b.rate.hz - a.rate.hz || a.index - b.index);
    for (const { rate, index } of order) {
      const sinceLast = seconds(now - rate.prev);
      if (sinceLast === 0) {
        // Just updated: if it has a rate it is the fastest not late.
        if (rate.hz > 0) return index;
        continue;
      }
      if (!rate.doErrorInit) {
        const rateDelta = rate.hz - 1 / sinceLast;
        if (rateDelta > rate.config.stepChangeMarginFactor * rate.error) continue; // late
      }
      if (rate.hz > 0) return index;
    }
    return undefined;
  }

  add(sourceIndex: number, message: T): void {
    if (!Number.isInteger(sourceIndex) || sourceIndex < 0 || sourceIndex >= this.#held.length) {
      throw new RangeError(`source index ${sourceIndex} is outside 0..${this.#held.length - 1}`);
    }
    if (message.stamp < 0n) {
      this.#drop(message, sourceIndex, 'bad-stamp');
      return;
    }
    const now = this.#arrivalTime(message);
    const previous = this.#held[sourceIndex];
    this.#held[sourceIndex] = { message, used: false };
    if (previous !== undefined && !previous.used) this.#drop(previous.message, sourceIndex, 'superseded');

    const rate = this.#rates[sourceIndex];
    if (rate === undefined) {
      // The first message of a source only starts its rate; a second is needed to measure one.
      this.#rates[sourceIndex] = new ArrivalRate(now, this.#configs[sourceIndex]);
      return;
    }
    const valid = rate.update(now);
    if (valid && this.pivotAt(now) === sourceIndex && this.#held.every((h) => h !== undefined)) {
      const held = this.#held as Held<T>[];
      for (const h of held) h.used = true;
      this.#onSet(held.map((h) => h.message));
    }
  }

  /** The inputs are over: held messages that no set used are reported once as stream-ended. */
  flush(): void {
    this.#held.forEach((h, i) => {
      if (h !== undefined && !h.used) this.#drop(h.message, i, 'stream-ended');
      this.#held[i] = undefined;
    });
  }

  #drop(message: T, sourceIndex: number, reason: DropReason): void {
    this.#onDropped?.(message, sourceIndex, reason);
  }
}

/**
 * A set, one message per source in the order of `sources`, each time the pivot source delivers
 * and every source holds a message. Completes when every source has completed (reporting held
 * messages no set used as stream-ended); an error from a source does the same, then passes it on.
 */
export function latestTime<T extends { stamp: Nanos }>(sources: Observable<T>[], options: LatestTimeOptions<T> = {}): Observable<T[]> {
  rateConfigs(sources.length, options.rateConfig);
  return syncSources(sources, (onSet) => new LatestTimeSync<T>(sources.length, options, onSet));
}

/** The per-source configs, checked at set-up so that a bad one fails before any message. */
function rateConfigs(sourceCount: number, given: LatestTimeOptions<unknown>['rateConfig']): RateConfig[] {
  if (!Number.isInteger(sourceCount) || sourceCount < 1) throw new RangeError(`latestTime needs at least one source, got ${sourceCount}`);
  const list: readonly Partial<RateConfig>[] = given === undefined ? [{}] : isList(given) ? given : [given];
  if (list.length !== 1 && list.length !== sourceCount) {
    throw new RangeError(`latestTime rateConfig has ${list.length} entries for ${sourceCount} sources: give one, or one per source`);
  }
  return Array.from({ length: sourceCount }, (_, i) => {
    const config: RateConfig = { ...DEFAULT_RATE_CONFIG, ...list[list.length === 1 ? 0 : i] };
    for (const [key, value] of Object.entries(config) as [string, number][]) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`latestTime rateConfig.${key} must be a finite number ≥ 0, got ${value}`);
    }
    return config;
  });
}

function isList(c: Partial<RateConfig> | readonly Partial<RateConfig>[]): c is readonly Partial<RateConfig>[] {
  return Array.isArray(c);
}

function arrivalTimeOf<T>(clock: (() => Nanos) | undefined): (message: T) => Nanos {
  if (clock) return () => clock();
  let processClock: (() => Nanos) | undefined;
  return (message) => {
    const receivedAt = (message as { receivedAt?: unknown }).receivedAt;
    if (typeof receivedAt === 'bigint') return receivedAt;
    processClock ??= createClock();
    return processClock();
  };
}

/** As rclcpp::Duration::seconds(): the nanosecond count as a double, over 1e9. */
function seconds(ns: Nanos): number {
  return Number(ns) / 1e9;
}
