import { describe, expect, it } from 'vitest';
import { openTransport, transportSchema } from './open-transport.js';

describe('transportSchema and openTransport', () => {
  it('parses each transport type with its defaults', () => {
    const configs = [
      { type: 'udp', port: 2368 },
      { type: 'tcp-client', host: '127.0.0.1', port: 5000 },
      { type: 'tcp-server', port: 5000 },
      { type: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 },
      { type: 'file', path: 'x.bin' },
      { type: 'pcap', path: 'x.pcap', ports: [2368] },
      { type: 'http-mjpeg', url: 'http://127.0.0.1:8080/stream' },
      { type: 'process', command: 'ffmpeg', args: ['-i', 'x'] },
    ];
    for (const c of configs) {
      const parsed = transportSchema.parse(c);
      expect(parsed.type).toBe(c.type);
      const transport = openTransport(c as Parameters<typeof openTransport>[0]);
      expect(transport.data$).toBeDefined();
      expect(transport.stats.chunks).toBe(0);
    }
    expect(transportSchema.parse({ type: 'tcp-client', host: 'h', port: 1 })).toMatchObject({ reconnect: { initialDelayMs: 200, factor: 2 } });
  });

  it('names the bad field', () => {
    expect(() => openTransport({ type: 'udp', port: -1 })).toThrow(/^transport: port: /);
    expect(() => openTransport({ type: 'carrier-pigeon' } as never)).toThrow(/transport: type/);
    expect(() => openTransport({ type: 'http-mjpeg', url: 'ftp://x' })).toThrow(/url: an http/);
  });
});
