import http from 'node:http';
import https from 'node:https';
import { Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import { backoffSchema, DEFAULT_BACKOFF } from './backoff.js';
import { boundaryFromContentType, MultipartSplitter } from './multipart-splitter.js';
import { reconnectingSource } from './reconnecting-source.js';
import type { TransportDeps } from './tcp-client.js';
import { countDrop, createTransportStats, describeError, type Transport, type TransportStatus } from './transport.js';

export const httpMjpegTransportSchema = z
  .object({
    type: z.literal('http-mjpeg'),
    url: z.string().regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL'),
    /** Parts (frames) longer than this are skipped and counted in dropped['part-too-large']. */
    maxPartBytes: z.number().int().positive().max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    maxHeaderBytes: z.number().int().positive().max(1024 * 1024).default(8 * 1024),
    /** No response or no byte for this long counts as a lost connection. */
    timeoutMs: z.number().int().positive().default(10_000),
    headers: z.record(z.string(), z.string()).default({}),
    reconnect: z.union([z.literal(false), backoffSchema]).default(() => ({ ...DEFAULT_BACKOFF })),
  })
  .strict();

export type HttpMjpegTransportOptions = z.input<typeof httpMjpegTransportSchema>;

/**
 * An MJPEG camera over HTTP (multipart/x-mixed-replace): each chunk is one whole part (one JPEG),
 * stamped when its last byte arrived. Reconnects with backoff on any end or failure. Bounded by
 * maxPartBytes (oversized parts are dropped and counted) and by pausing the source (TCP flow control).
 */
export function openHttpMjpeg(options: HttpMjpegTransportOptions, deps: TransportDeps = {}): Transport {
  const config = httpMjpegTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const client = config.url.startsWith('https:') ? https : http;
  const data$ = reconnectingSource(
    (h) => {
      const request = client.get(config.url, { headers: config.headers, timeout: config.timeoutMs }, (response) => {
        const code = response.statusCode ?? 0;
        if (code !== 200) {
          response.resume();
          h.failed(`${config.url}: HTTP ${code} ${response.statusMessage ?? ''}`.trim());
          return;
        }
        const contentType = response.headers['content-type'];
        const boundary = boundaryFromContentType(contentType);
        if (!boundary) {
          response.resume();
          h.failed(`${config.url}: Content-Type "${contentType ?? ''}" is not multipart with a boundary`);
          return;
        }
        const splitter = new MultipartSplitter(boundary, config, (code) => countDrop(stats, code));
        h.connected(config.url);
        response.on('data', (bytes: Buffer) => {
          for (const part of splitter.push(bytes)) h.chunk(part.body, config.url);
        });
        response.on('end', () => {
          for (const part of splitter.end()) h.chunk(part.body, config.url);
          h.ended(`${config.url}: the server ended the stream`);
        });
        response.on('error', (err) => h.failed(`${config.url}: ${describeError(err)}`));
      });
      request.on('timeout', () => request.destroy(new Error(`no data for ${config.timeoutMs} ms`)));
      request.on('error', (err) => h.failed(`${config.url}: ${describeError(err)}`));
      request.on('close', () => h.ended(`${config.url}: connection closed`));
      return () => request.destroy();
    },
    { reconnect: config.reconnect, random: deps.random ?? Math.random, clock, status, stats },
  );
  return { data$, status$: status.asObservable(), stats };
}
