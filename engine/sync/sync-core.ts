import { Observable, Subscription } from 'rxjs';
import type { OnDropped } from './drop-reasons.js';

/** A policy's synchronous core: messages in, sets and drops out through callbacks. */
export interface SyncCore<T> {
  add(sourceIndex: number, message: T): void;
  /** The input ended: emit what can still be emitted and report the rest as dropped. */
  flush(): void;
}

/** Builds a core over the named sources (their order is the core's source order). */
export type SyncCoreFactory<T> = (sourceIds: readonly string[], onSet: (set: T[]) => void, onDropped: OnDropped<T>) => SyncCore<T>;

/**
 * Drives a policy core from RxJS sources: one array per set, one message per source in the order
 * of `sources`. When every source has completed the core is flushed (held messages are reported
 * as stream-ended) and the output completes; an error from a source does the same flush, then
 * passes the error on.
 */
export function syncSources<T>(sources: Observable<T>[], createCore: (onSet: (set: T[]) => void) => SyncCore<T>): Observable<T[]> {
  return new Observable<T[]>((subscriber) => {
    const core = createCore((set) => subscriber.next(set));
    const subscription = new Subscription();
    let open = sources.length;
    // Once the output has ended, later notifications (a source subscribed after another failed) are ignored.
    let finished = false;
    for (let i = 0; i < sources.length && !finished; i++) {
      subscription.add(
        sources[i].subscribe({
          next: (message) => {
            if (!finished) core.add(i, message);
          },
          error: (err) => {
            if (finished) return;
            finished = true;
            core.flush();
            subscriber.error(err);
          },
          complete: () => {
            if (finished || --open > 0) return;
            finished = true;
            core.flush();
            subscriber.complete();
          },
        }),
      );
    }
    return subscription;
  });
}
