import { Observable, type Subject } from 'rxjs';
import type { Nanos } from '../../engine/core/time.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { TransportError, type TransportChunk, type TransportStats, type TransportStatus } from './transport.js';

/** What one connection attempt reports back to the runner. */
export interface ConnectionHandlers {
  chunk(bytes: Uint8Array, source?: string): void;
  connected(source?: string): void;
  /** The connection ended the ordinary way (peer closed, process exited, stream finished). */
  ended(reason: string): void;
  /** The attempt failed. Fatal failures (a missing program or device) are not retried. */
  failed(message: string, fatal?: boolean): void;
}

/** Opens one connection and returns how to close it; closing twice must be harmless. */
export type Connect = (handlers: ConnectionHandlers) => () => void;

export interface ReconnectingSourceOptions {
  reconnect: BackoffOptions | false;
  random: () => number;
  clock: () => Nanos;
  status: Subject<TransportStatus>;
  stats: TransportStats;
}

/**
 * A cold Observable of chunks over a connection that comes and goes: each end or failure is a
 * status, then a backoff wait, then a new attempt. `data$` completes when a connection ends and
 * reconnecting is off, and errors only on a fatal failure or when the attempts run out.
 */
export function reconnectingSource(connect: Connect, options: ReconnectingSourceOptions): Observable<TransportChunk> {
  const { reconnect, random, clock, status, stats } = options;
  return new Observable<TransportChunk>((subscriber) => {
    let active = true;
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    let close: (() => void) | undefined;

    const retry = (reason: string, failure: boolean): void => {
      if (!active) return;
      if (reconnect === false || (reconnect.maxAttempts !== undefined && attempt >= reconnect.maxAttempts)) {
        active = false;
        if (!failure) subscriber.complete();
        else subscriber.error(new TransportError(reconnect === false ? reason : `gave up after ${attempt} reconnect attempts: ${reason}`));
        return;
      }
      attempt += 1;
      stats.reconnects += 1;
      const delayMs = backoffDelay(attempt, reconnect, random);
      status.next({ type: 'reconnecting', at: clock(), attempt, delayMs });
      timer = setTimeout(start, delayMs);
    };

    function start(): void {
      timer = undefined;
      let settled = false;
      const settle = (): boolean => {
        if (settled || !active) return false;
        settled = true;
        close?.();
        return true;
      };
      const handlers: ConnectionHandlers = {
        chunk(bytes, source) {
          if (settled || !active) return;
          stats.chunks += 1;
          stats.bytes += bytes.byteLength;
          subscriber.next(source === undefined ? { bytes, receivedAt: clock() } : { bytes, receivedAt: clock(), source });
        },
        connected(source) {
          if (settled || !active) return;
          attempt = 0;
          status.next(source === undefined ? { type: 'connected', at: clock() } : { type: 'connected', at: clock(), source });
        },
        ended(reason) {
          if (!settle()) return;
          status.next({ type: 'disconnected', at: clock(), reason });
          retry(reason, false);
        },
        failed(message, fatal = false) {
          if (!settle()) return;
          status.next({ type: 'error', at: clock(), message });
          if (fatal) {
            active = false;
            subscriber.error(new TransportError(message));
          } else retry(message, true);
        },
      };
      close = undefined;
      const closeThis = connect(handlers);
      close = closeThis;
      if (settled) closeThis();
    }

    start();
    return () => {
      active = false;
      if (timer) clearTimeout(timer);
      close?.();
    };
  });
}
