import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { openTcpServer } from './tcp-server.js';
import type { TransportChunk, TransportStatus } from './transport.js';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('tcp server transport', () => {
  it('tags each client’s bytes with its source, rejects clients beyond maxClients, and closes everything on unsubscribe', async () => {
    const transport = openTcpServer({ type: 'tcp-server', host: '127.0.0.1', port: 0, maxClients: 2 });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const chunks: TransportChunk[] = [];
    const subscription = transport.data$.subscribe((c) => chunks.push(c));
    await until(() => status.some((s) => s.type === 'listening'), 'listening');
    const listening = status.find((s) => s.type === 'listening');
    const port = listening?.type === 'listening' ? listening.port : 0;

    const a = await connect(port);
    const b = await connect(port);
    await until(() => status.filter((s) => s.type === 'connected').length === 2, 'two clients');
    const c = await connect(port);
    const cClosed = new Promise((resolve) => c.once('close', resolve));
    a.write('from a');
    b.write('from b');
    await until(() => chunks.length >= 2, 'bytes');
    await cClosed;
    const bySource = new Map(chunks.map((ch) => [ch.source, Buffer.from(ch.bytes).toString()]));
    expect(bySource.get(`127.0.0.1:${a.localPort}`)).toBe('from a');
    expect(bySource.get(`127.0.0.1:${b.localPort}`)).toBe('from b');
    expect(transport.stats.dropped['client-rejected']).toBe(1);

    // Read before closing: a closed socket forgets its port.
    const aSource = `127.0.0.1:${a.localPort}`;
    a.end();
    await until(() => status.some((s) => s.type === 'disconnected' && s.source === aSource), 'a disconnected');
    const bClosed = new Promise((resolve) => b.once('close', resolve));
    subscription.unsubscribe();
    await bClosed;
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
