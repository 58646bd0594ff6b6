import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createJpegDecoder } from '../camera/compressed-image-decode.js';
import { nuscenesKeyframeJpegs } from '../camera/test-support.js';
import { openHttpMjpeg } from './http-mjpeg.js';
import type { TransportStatus } from './transport.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A camera-like MJPEG server on 127.0.0.1: each response sends the images once and ends. */
function startCamera(images: Uint8Array[], options: { withLength: boolean; status?: number; contentType?: string }): Promise<string> {
  const server = http.createServer((req, res) => {
    res.writeHead(options.status ?? 200, { 'Content-Type': options.contentType ?? 'multipart/x-mixed-replace; boundary=percept' });
    if ((options.status ?? 200) !== 200) return void res.end('no');
    const write = (i: number): void => {
      if (i === images.length) return void res.end();
      res.write(`--percept\r\nContent-Type: image/jpeg\r\n${options.withLength ? `Content-Length: ${images[i].byteLength}\r\n` : ''}\r\n`);
      res.write(images[i]);
      res.write('\r\n');
      setImmediate(() => write(i + 1));
    };
    write(0);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/stream.mjpg`)));
}

describe('http-mjpeg transport', () => {
  for (const withLength of [true, false]) {
    it(`delivers each JPEG part whole ${withLength ? 'by Content-Length' : 'by scanning for the boundary'}, and reconnects when the server ends the stream`, async () => {
      const images = nuscenesKeyframeJpegs();
      const url = await startCamera(images, { withLength });
      const transport = openHttpMjpeg({ type: 'http-mjpeg', url, reconnect: { initialDelayMs: 10, jitter: 0 } });
      const status: TransportStatus[] = [];
      transport.status$.subscribe((s) => status.push(s));
      // Without Content-Length the last part of a response ends with the response.
      const perConnection = 3;
      const chunks = await firstValueFrom(transport.data$.pipe(take(perConnection + 2), toArray()));
      chunks.forEach((c, i) => expect(Buffer.from(c.bytes).equals(Buffer.from(images[i % perConnection]))).toBe(true));
      expect(status.map((s) => s.type).slice(0, 4)).toEqual(['connected', 'disconnected', 'reconnecting', 'connected']);
      const decoder = createJpegDecoder({ sensorId: 'cam_front' });
      const frames = chunks.flatMap((c) => decoder.push(c.bytes, c.receivedAt));
      expect(frames.map((f) => [f.seq, f.width, f.height])).toEqual(chunks.map((_, i) => [i, 1600, 900]));
    });
  }

  it('reports an HTTP error and a non-multipart response clearly', async () => {
    const notFound = await startCamera([], { withLength: true, status: 404 });
    await expect(firstValueFrom(openHttpMjpeg({ type: 'http-mjpeg', url: notFound, reconnect: false }).data$)).rejects.toThrow(/HTTP 404/);
    const plain = await startCamera([], { withLength: true, contentType: 'image/jpeg' });
    await expect(firstValueFrom(openHttpMjpeg({ type: 'http-mjpeg', url: plain, reconnect: false }).data$)).rejects.toThrow(/Content-Type "image\/jpeg" is not multipart/);
  });

  it('closes the connection on unsubscribe', async () => {
    const images = nuscenesKeyframeJpegs();
    let open = 0;
    const server = http.createServer((req, res) => {
      open += 1;
      res.on('close', () => (open -= 1));
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=percept' });
      res.write(`--percept\r\nContent-Length: ${images[0].byteLength}\r\n\r\n`);
      res.write(images[0]);
    });
    servers.push(server);
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    await firstValueFrom(openHttpMjpeg({ type: 'http-mjpeg', url: `http://127.0.0.1:${port}/` }).data$);
    for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(open).toBe(0);
  });
});
