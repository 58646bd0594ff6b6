import net from 'node:net';
import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import type { TransportDeps } from './tcp-client.js';
import { countDrop, createTransportStats, describeError, TransportError, type Transport, type TransportChunk, type TransportStatus } from './transport.js';

export const tcpServerTransportSchema = z
  .object({
    type: z.literal('tcp-server'),
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port; the `listening` status names it. */
    port: z.number().int().min(0).max(65535),
    /** Clients beyond this are closed at once and counted in dropped['client-rejected']. */
    maxClients: z.number().int().positive().default(8),
  })
  .strict();

export type TcpServerTransportOptions = z.input<typeof tcpServerTransportSchema>;

/**
 * A TCP server: every client's bytes come out tagged with source "address:port". Bounded by
 * pausing the sources (TCP flow control, as the client) and by maxClients.
 */
export function openTcpServer(options: TcpServerTransportOptions, deps: TransportDeps = {}): Transport {
  const config = tcpServerTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const data$ = new Observable<TransportChunk>((subscriber) => {
    const clients = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      const source = `${socket.remoteAddress}:${socket.remotePort}`;
      if (clients.size >= config.maxClients) {
        countDrop(stats, 'client-rejected');
        status.next({ type: 'error', at: clock(), message: `rejected ${source}: already ${config.maxClients} clients`, source });
        socket.destroy();
        return;
      }
      clients.add(socket);
      status.next({ type: 'connected', at: clock(), source });
      socket.on('data', (bytes: Buffer) => {
        stats.chunks += 1;
        stats.bytes += bytes.byteLength;
        subscriber.next({ bytes, receivedAt: clock(), source });
      });
      let why = 'client closed the connection';
      socket.on('error', (err) => {
        why = describeError(err);
      });
      socket.on('close', () => {
        clients.delete(socket);
        status.next({ type: 'disconnected', at: clock(), reason: why, source });
      });
    });
    server.on('error', (err) => {
      const message = `tcp server on ${config.host}:${config.port}: ${describeError(err)}`;
      status.next({ type: 'error', at: clock(), message });
      subscriber.error(new TransportError(message));
    });
    server.listen(config.port, config.host, () => {
      const address = server.address() as net.AddressInfo;
      status.next({ type: 'listening', at: clock(), address: address.address, port: address.port });
    });
    return () => {
      for (const socket of clients) socket.destroy();
      server.close();
    };
  });
  return { data$, status$: status.asObservable(), stats };
}
