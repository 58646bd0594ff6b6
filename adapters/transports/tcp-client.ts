import net from 'node:net';
import { Subject } from 'rxjs';
import { z } from 'zod';
import { createClock, type Nanos } from '../../engine/core/time.js';
import { backoffSchema, DEFAULT_BACKOFF } from './backoff.js';
import { reconnectingSource } from './reconnecting-source.js';
import { createTransportStats, describeError, type Transport, type TransportStatus } from './transport.js';

export const tcpClientTransportSchema = z
  .object({
    type: z.literal('tcp-client'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** A connection attempt that takes longer fails and is retried. */
    connectTimeoutMs: z.number().positive().default(5000),
    /** Reconnect with exponential backoff and jitter; false ends `data$` when the connection ends. */
    reconnect: z.union([z.literal(false), backoffSchema]).default(() => ({ ...DEFAULT_BACKOFF })),
  })
  .strict();

export type TcpClientTransportOptions = z.input<typeof tcpClientTransportSchema>;

export interface TransportDeps {
  clock?: () => Nanos;
  /** Jitter source for reconnect delays. */
  random?: () => number;
}

/**
 * A TCP client that reconnects. Bounded by pausing the source: chunks are handed on synchronously
 * as the socket reads them, so a slow consumer leaves bytes in the kernel and TCP flow control
 * holds the sender; nothing queues here.
 */
export function openTcpClient(options: TcpClientTransportOptions, deps: TransportDeps = {}): Transport {
  const config = tcpClientTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const peer = `${config.host}:${config.port}`;
  const data$ = reconnectingSource(
    (h) => {
      const socket = net.connect({ host: config.host, port: config.port });
      socket.setNoDelay(true);
      socket.setTimeout(config.connectTimeoutMs, () => h.failed(`connecting to ${peer} timed out after ${config.connectTimeoutMs} ms`));
      socket.once('connect', () => {
        socket.setTimeout(0);
        h.connected(peer);
      });
      socket.on('data', (bytes: Buffer) => h.chunk(bytes, peer));
      socket.on('error', (err) => h.failed(`${peer}: ${describeError(err)}`));
      socket.on('close', () => h.ended(`${peer} closed the connection`));
      return () => socket.destroy();
    },
    { reconnect: config.reconnect, random: deps.random ?? Math.random, clock, status, stats },
  );
  return { data$, status$: status.asObservable(), stats };
}
