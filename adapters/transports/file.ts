import { open, type FileHandle } from 'node:fs/promises';
import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import type { TransportDeps } from './tcp-client.js';
import { createTransportStats, describeError, TransportError, type Transport, type TransportChunk, type TransportStatus } from './transport.js';

export const fileTransportSchema = z
  .object({
    type: z.literal('file'),
    path: z.string().min(1),
    chunkBytes: z.number().int().positive().max(16 * 1024 * 1024).default(64 * 1024),
    /** Keep reading as the file grows (tail -f); a file that shrinks is read again from the start. */
    follow: z.boolean().default(false),
    pollMs: z.number().int().positive().default(100),
  })
  .strict();

export type FileTransportOptions = z.input<typeof fileTransportSchema>;

/**
 * A file read in chunks. Bounded by pausing the source: the next read starts only after the
 * previous chunk was handed on, so at most one chunk is in memory. Without `follow`, `data$`
 * completes at the end of the file.
 */
export function openFile(options: FileTransportOptions, deps: TransportDeps = {}): Transport {
  const config = fileTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const data$ = new Observable<TransportChunk>((subscriber) => {
    let active = true;
    let handle: FileHandle | undefined;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const fail = (message: string): void => {
      if (!active) return;
      active = false;
      status.next({ type: 'error', at: clock(), message });
      subscriber.error(new TransportError(message));
    };

    const run = async (): Promise<void> => {
      try {
        handle = await open(config.path, 'r');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        fail(code === 'ENOENT' ? `file not found: ${config.path}` : `cannot open ${config.path}: ${describeError(err)}`);
        return;
      }
      if (!active) {
        await handle.close();
        return;
      }
      status.next({ type: 'connected', at: clock(), source: config.path });
      let position = 0;
      while (active) {
        const buffer = Buffer.allocUnsafe(config.chunkBytes);
        const { bytesRead } = await handle.read(buffer, 0, config.chunkBytes, position);
        if (!active) break;
        if (bytesRead > 0) {
          position += bytesRead;
          stats.chunks += 1;
          stats.bytes += bytesRead;
          subscriber.next({ bytes: buffer.subarray(0, bytesRead), receivedAt: clock(), source: config.path });
          continue;
        }
        if (!config.follow) {
          active = false;
          status.next({ type: 'disconnected', at: clock(), reason: 'end of file', source: config.path });
          subscriber.complete();
          break;
        }
        const { size } = await handle.stat();
        if (size < position) {
          status.next({ type: 'disconnected', at: clock(), reason: `${config.path} shrank to ${size} bytes: reading again from the start`, source: config.path });
          position = 0;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, config.pollMs);
        });
      }
    };
    run()
      .catch((err: unknown) => fail(`reading ${config.path}: ${describeError(err)}`))
      .finally(() => {
        void handle?.close().catch(() => undefined);
      });
    return () => {
      active = false;
      if (timer) clearTimeout(timer);
      // Let a pending poll wait return so that the file is closed now.
      wake?.();
    };
  });
  return { data$, status$: status.asObservable(), stats };
}
