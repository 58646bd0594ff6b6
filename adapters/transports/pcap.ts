import { open, type FileHandle } from 'node:fs/promises';
import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { createClock, type Nanos } from '../../engine/core/time.js';
import { createCaptureReader, DEFAULT_MAX_CAPTURE_RECORD_BYTES } from '../capture/capture-reader.js';
import { createUdpExtractCounts, udpDatagrams } from '../capture/udp.js';
import type { TransportDeps } from './tcp-client.js';
import { countDrop, createTransportStats, describeError, TransportError, type Transport, type TransportChunk, type TransportStatus } from './transport.js';

export const pcapTransportSchema = z
  .object({
    type: z.literal('pcap'),
    /** A pcap or pcapng capture. */
    path: z.string().min(1),
    /** Only datagrams whose destination or source port is one of these (all UDP when absent). */
    ports: z.array(z.number().int().min(0).max(65535)).min(1).optional(),
    /** 'paced': on the wall clock at `rate` × the recorded pace; 'max': as fast as possible. */
    mode: z.enum(['paced', 'max']).default('paced'),
    rate: z.number().positive().max(1000).default(1),
    readBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
    maxRecordBytes: z.number().int().positive().max(16 * 1024 * 1024).default(DEFAULT_MAX_CAPTURE_RECORD_BYTES),
  })
  .strict();

export type PcapTransportOptions = z.input<typeof pcapTransportSchema>;

/** In max mode, give the event loop a turn this often so that unsubscribing and I/O are not starved. */
const YIELD_EVERY = 256;

/**
 * UDP payloads out of a capture file, played back. Paced: datagram i is due at
 * start + (ts_i − ts_0)/rate on the wall clock, an absolute schedule that does not drift, and its
 * receivedAt is that due time. Max: no waiting, receivedAt is the capture stamp, so a replay gives
 * the same chunks every time. Bounded by pausing the source: the next block of the file is read
 * only when the datagrams of the last one are out. Each chunk's source is "srcAddr:srcPort".
 */
export function openPcap(options: PcapTransportOptions, deps: TransportDeps = {}): Transport {
  const config = pcapTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  const ports = config.ports ? new Set(config.ports) : undefined;
  const data$ = new Observable<TransportChunk>((subscriber) => {
    let active = true;
    let handle: FileHandle | undefined;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, ms);
      });
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
        fail(code === 'ENOENT' ? `capture not found: ${config.path}` : `cannot open ${config.path}: ${describeError(err)}`);
        return;
      }
      const reader = createCaptureReader({ maxRecordBytes: config.maxRecordBytes, onIssue: (issue) => countDrop(stats, `capture-${issue.code}`) });
      const counts = createUdpExtractCounts();
      status.next({ type: 'connected', at: clock(), source: config.path });
      let firstTs: Nanos | undefined;
      let startWall: Nanos | undefined;
      let sinceYield = 0;
      let position = 0;
      while (active) {
        // A fresh buffer per read: records view the bytes pushed into the reader.
        const buffer = Buffer.allocUnsafe(config.readBytes);
        const { bytesRead } = await handle.read(buffer, 0, config.readBytes, position);
        if (!active) return;
        if (bytesRead === 0) break;
        position += bytesRead;
        const records = reader.push(buffer.subarray(0, bytesRead));
        for (const datagram of udpDatagrams(records, counts)) {
          if (ports && !ports.has(datagram.dstPort) && !ports.has(datagram.srcPort)) continue;
          let receivedAt: Nanos;
          if (config.mode === 'paced') {
            firstTs ??= datagram.tsNs;
            startWall ??= clock();
            receivedAt = startWall + BigInt(Math.round(Number(datagram.tsNs - firstTs) / config.rate));
            // A timer may fire a little early: sleep again while a millisecond or more is left.
            for (let waitMs = Number(receivedAt - clock()) / 1e6; waitMs >= 1 && active; waitMs = Number(receivedAt - clock()) / 1e6) {
              await sleep(Math.ceil(waitMs));
            }
          } else {
            receivedAt = datagram.tsNs;
            if (++sinceYield >= YIELD_EVERY) {
              sinceYield = 0;
              await new Promise((resolve) => setImmediate(resolve));
            }
          }
          if (!active) return;
          stats.chunks += 1;
          stats.bytes += datagram.payload.byteLength;
          subscriber.next({ bytes: datagram.payload.slice(), receivedAt, source: `${datagram.srcAddr}:${datagram.srcPort}` });
        }
        for (const [reason, n] of Object.entries(counts.skipped)) stats.dropped[`skipped-${reason}`] = n;
        if (reader.failed) break;
      }
      reader.end();
      if (!active) return;
      active = false;
      status.next({ type: 'disconnected', at: clock(), reason: reader.failed ? 'capture damaged: playback stopped at the damage' : 'end of capture', source: config.path });
      subscriber.complete();
    };
    run()
      .catch((err: unknown) => fail(`reading ${config.path}: ${describeError(err)}`))
      .finally(() => {
        void handle?.close().catch(() => undefined);
      });
    return () => {
      active = false;
      if (timer) clearTimeout(timer);
      wake?.();
    };
  });
  return { data$, status$: status.asObservable(), stats };
}
