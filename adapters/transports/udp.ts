import dgram from 'node:dgram';
import net from 'node:net';
import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import type { TransportDeps } from './tcp-client.js';
import { countDrop, createTransportStats, describeError, TransportError, type Transport, type TransportChunk, type TransportStatus } from './transport.js';

export const udpTransportSchema = z
  .object({
    type: z.literal('udp'),
    /** Address to bind (0.0.0.0 for every interface). */
    host: z.string().min(1).default('0.0.0.0'),
    /** 0 picks a free port; the `listening` status names it. */
    port: z.number().int().min(0).max(65535),
    /** Join this multicast group (e.g. 239.255.0.1) on `interface`. */
    multicastGroup: z.string().refine((v) => net.isIP(v) !== 0, 'not an IP address').optional(),
    /** Local address of the interface that joins the group; the OS picks one when absent. */
    interface: z.string().refine((v) => net.isIP(v) !== 0, 'not an IP address').optional(),
    /** Datagrams longer than this are dropped and counted in dropped['oversize']. */
    maxDatagramBytes: z.number().int().positive().max(65535).default(65535),
    /** Kernel receive buffer; when the consumer falls behind, the kernel drops the newest datagrams. */
    receiveBufferBytes: z.number().int().positive().optional(),
  })
  .strict();

export type UdpTransportOptions = z.input<typeof udpTransportSchema>;

/**
 * A UDP socket, unicast or multicast. Bounded by the kernel's receive buffer: datagrams are handed
 * on synchronously, and those that arrive while the buffer is full are dropped by the OS (newest
 * first; only the OS counts them). Each chunk's source is the sender "address:port".
 */
export function openUdp(options: UdpTransportOptions, deps: TransportDeps = {}): Transport {
  const config = udpTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const family = net.isIPv6(config.host) || (config.multicastGroup !== undefined && net.isIPv6(config.multicastGroup)) ? 'udp6' : 'udp4';
  const data$ = new Observable<TransportChunk>((subscriber) => {
    const socket = dgram.createSocket({ type: family, reuseAddr: config.multicastGroup !== undefined });
    let closed = false;
    socket.on('message', (bytes, rinfo) => {
      if (bytes.byteLength > config.maxDatagramBytes) {
        countDrop(stats, 'oversize');
        return;
      }
      stats.chunks += 1;
      stats.bytes += bytes.byteLength;
      subscriber.next({ bytes, receivedAt: clock(), source: `${rinfo.address}:${rinfo.port}` });
    });
    socket.on('error', (err) => {
      const message = `udp ${config.host}:${config.port}: ${describeError(err)}`;
      status.next({ type: 'error', at: clock(), message });
      subscriber.error(new TransportError(message));
    });
    socket.bind(config.port, config.host, () => {
      try {
        if (config.receiveBufferBytes) socket.setRecvBufferSize(config.receiveBufferBytes);
        if (config.multicastGroup) socket.addMembership(config.multicastGroup, config.interface);
      } catch (err) {
        const message = `udp ${config.host}:${config.port}: ${config.multicastGroup ? `joining ${config.multicastGroup}: ` : ''}${describeError(err)}`;
        status.next({ type: 'error', at: clock(), message });
        subscriber.error(new TransportError(message));
        return;
      }
      const address = socket.address();
      status.next({ type: 'listening', at: clock(), address: address.address, port: address.port });
    });
    return () => {
      if (closed) return;
      closed = true;
      try {
        socket.close();
      } catch {
        // Already closed by an error.
      }
    };
  });
  return { data$, status$: status.asObservable(), stats };
}
