import type { Observable } from 'rxjs';
import type { Nanos } from '../../engine/core/time.js';

/** Bytes as a transport received them. */
export interface TransportChunk {
  readonly bytes: Uint8Array;
  /** When the host received them, Unix ns on the engine clock (pcap `max` mode: the capture stamp). */
  readonly receivedAt: Nanos;
  /** Who sent them, where a transport has several peers: "address:port", a client, a file. */
  readonly source?: string;
}

/**
 * The health side channel. A disconnect or a reconnect is a status, never an error of `data$`;
 * `data$` errors only when the transport cannot go on at all (a port in use, a missing file or
 * program), and then the last status is an `error` naming the cause.
 */
export type TransportStatus =
  | { readonly type: 'listening'; readonly at: Nanos; readonly address: string; readonly port: number }
  | { readonly type: 'connected'; readonly at: Nanos; readonly source?: string }
  | { readonly type: 'disconnected'; readonly at: Nanos; readonly reason: string; readonly source?: string }
  | { readonly type: 'reconnecting'; readonly at: Nanos; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'error'; readonly at: Nanos; readonly message: string; readonly source?: string };

export interface TransportStats {
  chunks: number;
  bytes: number;
  /** Input thrown away, by reason (oversize datagram, rejected client, part too large...). */
  readonly dropped: Record<string, number>;
  reconnects: number;
}

/**
 * Every transport has this face. `data$` is cold: each subscription opens the socket, file or
 * process and unsubscribing closes it. `status$` is hot and shared by the subscriptions of
 * `data$`: subscribe to it first to see the first `connected`.
 */
export interface Transport {
  readonly data$: Observable<TransportChunk>;
  readonly status$: Observable<TransportStatus>;
  readonly stats: TransportStats;
}

/** Raised through `data$` when a transport cannot go on; the message says what to do. */
export class TransportError extends Error {
  override name = 'TransportError';
}

export function createTransportStats(): TransportStats {
  return { chunks: 0, bytes: 0, dropped: {}, reconnects: 0 };
}

export function countDrop(stats: TransportStats, reason: string, n = 1): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + n;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
