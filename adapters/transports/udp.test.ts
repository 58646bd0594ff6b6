import dgram from 'node:dgram';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openUdp } from './udp.js';
import type { TransportStatus } from './transport.js';

function send(port: number, payloads: Uint8Array[], address = '127.0.0.1', setup?: (s: dgram.Socket) => void): Promise<void> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.bind(0, () => {
      setup?.(socket);
      let left = payloads.length;
      for (const p of payloads) socket.send(p, port, address, (err) => (err ? reject(err) : --left === 0 && (socket.close(), resolve())));
    });
  });
}

const listening = (status: TransportStatus[]) => new Promise<number>((resolve) => {
  const check = setInterval(() => {
    const l = status.find((s) => s.type === 'listening');
    if (l && l.type === 'listening') {
      clearInterval(check);
      resolve(l.port);
    }
  }, 2);
});

describe('udp transport', () => {
  it('receives datagrams on loopback with the sender as source, drops oversize ones, and closes on unsubscribe', async () => {
    const transport = openUdp({ type: 'udp', host: '127.0.0.1', port: 0, maxDatagramBytes: 8 });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const received = firstValueFrom(transport.data$.pipe(take(2), toArray()));
    const port = await listening(status);
    await send(port, [Uint8Array.of(1, 2, 3), new Uint8Array(9), Uint8Array.of(4)]);
    const chunks = await received;
    expect(chunks.map((c) => [...c.bytes])).toEqual([[1, 2, 3], [4]]);
    expect(chunks[0].source).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(chunks[1].receivedAt).toBeGreaterThanOrEqual(chunks[0].receivedAt);
    expect(transport.stats.dropped.oversize).toBe(1);
    // The socket was closed by take(2): the port can be bound again.
    const again = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', () => again.close(() => resolve()));
    });
  });

  it('reports a port in use as an error status and a TransportError', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const port = holder.address().port;
    const transport = openUdp({ type: 'udp', host: '127.0.0.1', port });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    await expect(firstValueFrom(transport.data$)).rejects.toThrow(/EADDRINUSE/);
    expect(status.at(-1)?.type).toBe('error');
    holder.close();
  });

  it('joins a multicast group on the loopback interface', async (ctx) => {
    const transport = openUdp({ type: 'udp', host: '0.0.0.0', port: 0, multicastGroup: '239.255.42.99', interface: '127.0.0.1' });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const chunks: number[] = [];
    const subscription = transport.data$.subscribe({ next: (c) => chunks.push(c.bytes[0]), error: () => undefined });
    try {
      const port = await Promise.race([listening(status), new Promise<number>((r) => setTimeout(() => r(-1), 1000))]);
      // Hosts without a multicast route on lo cannot join; that is the host, not the transport.
      if (port < 0 || status.some((s) => s.type === 'error')) return ctx.skip();
      await send(port, [Uint8Array.of(42)], '239.255.42.99', (s) => {
        s.setMulticastInterface('127.0.0.1');
        s.setMulticastLoopback(true);
      });
      for (let i = 0; i < 100 && chunks.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      if (chunks.length === 0) return ctx.skip();
      expect(chunks).toEqual([42]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
