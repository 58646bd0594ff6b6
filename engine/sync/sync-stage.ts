import { Observable, type OperatorFunction } from 'rxjs';
import type { FrameSet, SensorFrame } from '../core/frames.js';
import type { Nanos } from '../core/time.js';
import type { DropReason, OnDropped } from './drop-reasons.js';
import type { SyncCore, SyncCoreFactory } from './sync-core.js';

export interface SyncStageOptions {
  /** Every sensor of the rig, in rig order; drops report indexes into this list. */
  sensors: readonly string[];
  /** The set's stamp is this sensor's stamp when it is in the set, else the newest stamp of the set. */
  reference?: string;
  /** A sensor whose newest stamp lags the stream by more than this leaves the sets until it speaks again. */
  timeoutNs: ReadonlyMap<string, Nanos>;
  createCore: SyncCoreFactory<SensorFrame>;
  /** Stamps formedAt only; decisions use stamps alone, so replays stay deterministic. */
  clock: () => Nanos;
  onDropped?: OnDropped<SensorFrame>;
}

/**
 * Runs a synchronization policy over the sensors that are alive, so that a silent sensor degrades
 * the sets (`missing: [id]`) instead of stalling them. Liveness is judged on stream time (the newest
 * stamp seen), never the wall clock. When the set of live sensors changes, the policy is rebuilt
 * over the new set and the messages it still held are fed to the new one in their arrival order,
 * so nothing accepted is lost to the change.
 */
export function syncStage(options: SyncStageOptions): OperatorFunction<SensorFrame, FrameSet> {
  const { sensors, reference, timeoutNs, createCore, clock, onDropped } = options;
  const indexOf = new Map(sensors.map((s, i) => [s, i]));

  return (source) =>
    new Observable<FrameSet>((subscriber) => {
      const lastStamp = new Map<string, Nanos>();
      let firstStamp: Nanos | undefined;
      let streamTime: Nanos | undefined;
      let active: string[] = [...sensors];
      let core: SyncCore<SensorFrame> | undefined;
      /** Messages the current core holds, in arrival order (insertion order of the Set). */
      let held = new Set<SensorFrame>();
      let seq = 0;

      const drop = (frame: SensorFrame, reason: DropReason): void => {
        held.delete(frame);
        onDropped?.(frame, indexOf.get(frame.sensorId) ?? -1, reason);
      };

      const emit = (frames: SensorFrame[]): void => {
        const byId = new Map<string, SensorFrame>();
        let newest: Nanos | undefined;
        for (const f of frames) {
          held.delete(f);
          byId.set(f.sensorId, f);
          if (newest === undefined || f.stamp > newest) newest = f.stamp;
        }
        const stamp = (reference !== undefined ? byId.get(reference)?.stamp : undefined) ?? newest!;
        const missing = sensors.filter((s) => !byId.has(s));
        subscriber.next({ stamp, frames: byId, missing, formedAt: clock(), seq: seq++ });
      };

      const buildCore = (): void => {
        const previous = [...held];
        held = new Set();
        core = active.length >= 2 ? createCore(active, emit, (m, _i, reason) => drop(m, reason)) : undefined;
        for (const frame of previous) {
          if (active.includes(frame.sensorId)) feed(frame);
          else drop(frame, 'late');
        }
      };

      const feed = (frame: SensorFrame): void => {
        if (!core) {
          // One live sensor: each of its frames is a set of its own.
          emit([frame]);
          return;
        }
        held.add(frame);
        core.add(active.indexOf(frame.sensorId), frame);
      };

      /** A sensor never heard from counts from the first stamp of the stream. */
      const isLive = (sensor: string): boolean => {
        const timeout = timeoutNs.get(sensor);
        if (timeout === undefined) return true;
        return streamTime! - (lastStamp.get(sensor) ?? firstStamp!) <= timeout;
      };

      buildCore();
      const subscription = source.subscribe({
        next: (frame) => {
          if (!indexOf.has(frame.sensorId)) {
            onDropped?.(frame, -1, 'unknown-sensor');
            return;
          }
          firstStamp ??= frame.stamp;
          lastStamp.set(frame.sensorId, frame.stamp);
          if (streamTime === undefined || frame.stamp > streamTime) streamTime = frame.stamp;
          const nowActive = sensors.filter((s) => s === frame.sensorId || isLive(s));
          if (nowActive.length !== active.length || nowActive.some((s, i) => s !== active[i])) {
            active = nowActive;
            buildCore();
          }
          feed(frame);
        },
        error: (err) => {
          core?.flush();
          subscriber.error(err);
        },
        complete: () => {
          core?.flush();
          for (const frame of [...held]) drop(frame, 'stream-ended');
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}
