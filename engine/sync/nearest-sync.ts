import { Observable, type OperatorFunction } from 'rxjs';
import type { FrameSet, SensorFrame } from '../core/frames.js';
import type { Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';

export interface NearestSyncOptions {
  /** The sensor whose every frame opens a set. */
  reference: string;
  /** Every sensor expected in a set, the reference included. */
  sensors: readonly string[];
  /** A frame joins a set only if its stamp is within this of the reference stamp. */
  toleranceNs: Nanos;
  /** Once the newest stamp seen on any sensor is this far past a reference stamp, the set goes out with what it has. */
  timeoutNs: Nanos;
  /**
   * Per sensor, the least time between two of its frames (message_filters' inter-message lower
   * bound). Knowing it, a set need not wait for a frame that could not beat the one it holds.
   */
  minIntervalNs?: ReadonlyMap<string, Nanos>;
  /** Frames kept per sensor while waiting; older ones are dropped as queue-overflow. */
  queueSize?: number;
  /** Stamps the set's formation time; never used for decisions, so replays stay deterministic. */
  clock: () => Nanos;
  onDropped?: OnDropped<SensorFrame>;
}

interface Buffered {
  frame: SensorFrame;
  used: boolean;
}

/**
 * One FrameSet per reference frame, holding each other sensor's frame nearest to the reference
 * stamp within the tolerance (a frame may serve several sets, as a zero-order hold would).
 * A set is emitted as soon as every sensor has shown a frame past the tolerance window — nothing
 * better can come, since each sensor's stamps rise — or when stream time passes the timeout, in
 * which case absent sensors are listed in `missing`. All decisions depend on stamps and arrival
 * order only, never on wall time.
 */
export function nearestSync(options: NearestSyncOptions): OperatorFunction<SensorFrame, FrameSet> {
  const { reference, sensors, toleranceNs, timeoutNs, clock, onDropped } = options;
  const queueSize = options.queueSize ?? 256;
  if (!sensors.includes(reference)) throw new Error(`reference sensor ${reference} is not among the synchronized sensors`);

  return (source) =>
    new Observable<FrameSet>((subscriber) => {
      const buffers = new Map<string, Buffered[]>(sensors.map((s) => [s, []]));
      const latest = new Map<string, Nanos>();
      const pendingRefs: SensorFrame[] = [];
      let streamTime: Nanos | undefined;
      let lastEmitted: Nanos | undefined;
      let seq = 0;

      const drop = (frame: SensorFrame, reason: DropReason): void => onDropped?.(frame, sensors.indexOf(frame.sensorId), reason);

      const nearest = (sensor: string, stamp: Nanos): Buffered | undefined => {
        let best: Buffered | undefined;
        let bestGap = 0n;
        for (const b of buffers.get(sensor)!) {
          const gap = absDiff(b.frame.stamp, stamp);
          // Strict less-than keeps the earlier frame on a tie.
          if (gap <= toleranceNs && (best === undefined || gap < bestGap)) {
            best = b;
            bestGap = gap;
          }
        }
        return best;
      };

      /** Whether no frame still to come from this sensor could be nearer to `stamp` than what is here. */
      const sensorSettled = (sensor: string, stamp: Nanos): boolean => {
        const last = latest.get(sensor);
        if (last === undefined) return false;
        if (last >= stamp + toleranceNs) return true;
        const bound = options.minIntervalNs?.get(sensor) ?? 0n;
        if (bound <= 0n) return false;
        const earliestNext = last + bound;
        if (earliestNext > stamp + toleranceNs) return true;
        const held = nearest(sensor, stamp);
        // On a tie the earlier frame wins, so a future frame must be strictly nearer to matter.
        return held !== undefined && earliestNext >= stamp && earliestNext - stamp >= absDiff(held.frame.stamp, stamp);
      };

      const isSettled = (ref: SensorFrame): boolean => {
        if (streamTime !== undefined && streamTime - ref.stamp >= timeoutNs) return true;
        return sensors.every((sensor) => sensor === reference || sensorSettled(sensor, ref.stamp));
      };

      const emit = (ref: SensorFrame): void => {
        const frames = new Map<string, SensorFrame>([[reference, ref]]);
        const missing: string[] = [];
        for (const sensor of sensors) {
          if (sensor === reference) continue;
          const hit = nearest(sensor, ref.stamp);
          if (hit) {
            hit.used = true;
            frames.set(sensor, hit.frame);
          } else {
            missing.push(sensor);
          }
        }
        lastEmitted = ref.stamp;
        subscriber.next({ stamp: ref.stamp, frames, missing, formedAt: clock(), seq: seq++ });
      };

      /** Future sets have stamps at or after this: the oldest pending reference, else the newest one seen. */
      const horizon = (): Nanos | undefined => pendingRefs[0]?.stamp ?? latest.get(reference);

      /** Frames no pending or future set can reach are released; those never used are reported. */
      const prune = (): void => {
        const h = horizon();
        if (h === undefined) return;
        for (const [sensor, buffer] of buffers) {
          if (sensor === reference) continue;
          while (buffer.length > 0 && buffer[0].frame.stamp + toleranceNs < h) {
            const b = buffer.shift()!;
            if (!b.used) drop(b.frame, 'unmatched');
          }
        }
      };

      const isUnreachable = (frame: SensorFrame): boolean => {
        const h = horizon();
        return h !== undefined && frame.stamp + toleranceNs < h;
      };

      const flushSettled = (): void => {
        while (pendingRefs.length > 0 && isSettled(pendingRefs[0])) emit(pendingRefs.shift()!);
        prune();
      };

      const flushAll = (): void => {
        while (pendingRefs.length > 0) emit(pendingRefs.shift()!);
        for (const [sensor, buffer] of buffers) {
          if (sensor === reference) continue;
          for (const b of buffer) if (!b.used) drop(b.frame, 'stream-ended');
          buffer.length = 0;
        }
      };

      const subscription = source.subscribe({
        next: (frame) => {
          const buffer = buffers.get(frame.sensorId);
          if (!buffer) {
            drop(frame, 'unknown-sensor');
            return;
          }
          const last = latest.get(frame.sensorId);
          if (last !== undefined && frame.stamp < last) {
            drop(frame, 'out-of-order');
            return;
          }
          latest.set(frame.sensorId, frame.stamp);
          if (streamTime === undefined || frame.stamp > streamTime) streamTime = frame.stamp;
          if (frame.sensorId === reference) {
            pendingRefs.push(frame);
          } else if (isUnreachable(frame)) {
            const lateForEmitted = lastEmitted !== undefined && absDiff(frame.stamp, lastEmitted) <= toleranceNs;
            drop(frame, lateForEmitted ? 'late' : 'unmatched');
            return;
          } else {
            if (buffer.length >= queueSize) {
              const old = buffer.shift()!;
              if (!old.used) drop(old.frame, 'queue-overflow');
            }
            buffer.push({ frame, used: false });
          }
          flushSettled();
        },
        // Sets already begun are finished either way: nothing accepted is lost to a failing source.
        error: (err) => {
          flushAll();
          subscriber.error(err);
        },
        complete: () => {
          flushAll();
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

function absDiff(a: Nanos, b: Nanos): Nanos {
  return a >= b ? a - b : b - a;
}
