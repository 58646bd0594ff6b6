import { Observable, type OperatorFunction } from 'rxjs';
import type { Rig } from '../config/rig-schema.js';
import type { SensorFrame } from '../core/frames.js';
import { millisToNanos } from '../core/time.js';
import { ClockAligner, type ClockJump } from './clock-alignment.js';
import type { DropReason } from './drop-reasons.js';
import { ReorderBuffer } from './reorder-window.js';

export interface IngestOptions {
  onDropped?: (frame: SensorFrame, reason: DropReason) => void;
  /** Called when a frame is re-stamped: frames are immutable, so a copy replaces the original. */
  onRestamped?: (original: SensorFrame, restamped: SensorFrame) => void;
  onClockJump?: (sensorId: string, jump: ClockJump) => void;
}

/** Whether the rig asks for any per-sensor time handling; when not, the stage is skipped entirely. */
export function needsIngest(rig: Rig): boolean {
  const { sync } = rig;
  return sync.reorderWindowMs > 0 || Object.keys(sync.offsetsMs).length > 0 || Object.values(sync.clocks).some((m) => m !== 'sensor');
}

/**
 * Per sensor: frames are put back in stamp order within the rig's reorder window, then their
 * stamps are mapped onto the engine clock (fixed offset, online estimate or arrival time).
 * Reordering comes first because the clock estimate wants its samples in order.
 */
export function ingest(rig: Rig, options: IngestOptions = {}): OperatorFunction<SensorFrame, SensorFrame> {
  const windowNs = millisToNanos(rig.sync.reorderWindowMs);
  return (source) =>
    new Observable<SensorFrame>((subscriber) => {
      const aligners = new Map<string, ClockAligner>();
      const buffers = new Map<string, ReorderBuffer<SensorFrame>>();
      const emitAligned = (frame: SensorFrame): void => {
        const aligner = aligners.get(frame.sensorId)!;
        const aligned = aligner.align(frame.stamp, frame.receivedAt);
        if (!aligned) {
          options.onDropped?.(frame, 'bad-stamp');
          return;
        }
        if (aligned.stamp === frame.stamp) {
          subscriber.next(frame);
          return;
        }
        const restamped = { ...frame, stamp: aligned.stamp } as SensorFrame;
        options.onRestamped?.(frame, restamped);
        subscriber.next(restamped);
      };
      for (const sensor of rig.sensors) {
        aligners.set(sensor.id, new ClockAligner({
          mode: rig.sync.clocks[sensor.id] ?? 'sensor',
          offsetNs: millisToNanos(rig.sync.offsetsMs[sensor.id] ?? 0),
          onJump: (jump) => options.onClockJump?.(sensor.id, jump),
        }));
        buffers.set(sensor.id, new ReorderBuffer<SensorFrame>(windowNs, { onDropped: options.onDropped }, emitAligned));
      }
      const subscription = source.subscribe({
        next: (frame) => {
          const buffer = buffers.get(frame.sensorId);
          // Frames of sensors the rig does not know pass on, for the synchronizer to count.
          if (buffer) buffer.push(frame);
          else subscriber.next(frame);
        },
        error: (err) => {
          for (const b of buffers.values()) b.flush();
          subscriber.error(err);
        },
        complete: () => {
          for (const b of buffers.values()) b.flush();
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}
