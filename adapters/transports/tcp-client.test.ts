import net from 'node:net';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import { openTcpClient } from './tcp-client.js';
import type { TransportStatus } from './transport.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that sends `payload` to each client and then closes that connection. */
function startServer(payloadFor: (n: number) => Buffer): Promise<number> {
  let n = 0;
  const server = net.createServer((socket) => socket.end(payloadFor(n++)));
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

describe('tcp client transport', () => {
  it('reconnects with backoff after the server closes, as statuses and not as errors', async () => {
    const port = await startServer((n) => Buffer.from(`hello ${n}`));
    const transport = openTcpClient(
      { type: 'tcp-client', host: '127.0.0.1', port, reconnect: { initialDelayMs: 20, maxDelayMs: 50, jitter: 0.5 } },
      { random: createRng(1).next },
    );
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const chunks = await firstValueFrom(transport.data$.pipe(take(3), toArray()));
    expect(chunks.map((c) => Buffer.from(c.bytes).toString())).toEqual(['hello 0', 'hello 1', 'hello 2']);
    expect(chunks[0].source).toBe(`127.0.0.1:${port}`);
    const types = status.map((s) => s.type);
    expect(types.slice(0, 4)).toEqual(['connected', 'disconnected', 'reconnecting', 'connected']);
    const reconnecting = status.filter((s) => s.type === 'reconnecting');
    for (const r of reconnecting) {
      expect(r.attempt).toBe(1);
      expect(r.delayMs).toBeGreaterThanOrEqual(10);
      expect(r.delayMs).toBeLessThanOrEqual(30);
    }
    expect(transport.stats.reconnects).toBeGreaterThanOrEqual(2);
  });

  it('counts failed attempts up, and gives up after maxAttempts with a TransportError', async () => {
    const port = await startServer(() => Buffer.alloc(0));
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const transport = openTcpClient({ type: 'tcp-client', host: '127.0.0.1', port, reconnect: { initialDelayMs: 5, maxDelayMs: 100, jitter: 0, maxAttempts: 3 } });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    await expect(firstValueFrom(transport.data$)).rejects.toThrow(/gave up after 3 reconnect attempts: .*ECONNREFUSED/);
    expect(status.filter((s) => s.type === 'reconnecting').map((s) => s.type === 'reconnecting' && [s.attempt, s.delayMs])).toEqual([
      [1, 5],
      [2, 10],
      [3, 20],
    ]);
  });

  it('completes when the connection ends and reconnect is off', async () => {
    const port = await startServer(() => Buffer.from('only'));
    const transport = openTcpClient({ type: 'tcp-client', host: '127.0.0.1', port, reconnect: false });
    const chunks = await firstValueFrom(transport.data$.pipe(toArray()));
    expect(Buffer.concat(chunks.map((c) => c.bytes)).toString()).toBe('only');
  });

  it('rejects invalid options naming the field', () => {
    expect(() => openTcpClient({ type: 'tcp-client', host: '127.0.0.1', port: 70000 })).toThrow(/port/);
  });
});
