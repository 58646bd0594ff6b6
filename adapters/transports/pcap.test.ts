import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../engine/core/time.js';
import { parseCapture } from '../capture/capture-reader.js';
import { udpDatagrams } from '../capture/udp.js';
import { openPcap } from './pcap.js';
import type { TransportStatus } from './transport.js';

/** A real Velodyne VLP-16 capture: 84 data packets on port 2368, 16 position packets on 8308 (see its NOTICE). */
const vlp16 = fileURLToPath(new URL('../../test/fixtures/lidar_pcap/velodyne/velodyne_vlp16.pcap', import.meta.url));

describe('pcap transport', () => {
  it('max mode: every UDP payload on the chosen port, stamped with its capture time, the same on every replay', async () => {
    const expected = [...udpDatagrams(parseCapture(new Uint8Array(readFileSync(vlp16))).records)].filter((d) => d.dstPort === 8308);
    expect(expected.length).toBe(16);
    const transport = openPcap({ type: 'pcap', path: vlp16, mode: 'max', ports: [8308], readBytes: 4096 });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const first = await firstValueFrom(transport.data$.pipe(toArray()));
    const second = await firstValueFrom(transport.data$.pipe(toArray()));
    expect(first.map((c) => c.receivedAt)).toEqual(expected.map((d) => d.tsNs));
    first.forEach((c, i) => {
      expect(Buffer.from(c.bytes).equals(Buffer.from(expected[i].payload))).toBe(true);
      expect(c.source).toBe(`${expected[i].srcAddr}:${expected[i].srcPort}`);
    });
    expect(second).toEqual(first);
    expect(status.map((s) => s.type)).toEqual(['connected', 'disconnected', 'connected', 'disconnected']);
  });

  it('paced mode: an absolute schedule start + (ts − ts₀)/rate, never emitted before it is due', async () => {
    const datagrams = [...udpDatagrams(parseCapture(new Uint8Array(readFileSync(vlp16))).records)];
    const clock = createClock();
    const transport = openPcap({ type: 'pcap', path: vlp16, rate: 2 }, { clock });
    const early: bigint[] = [];
    const chunks = await firstValueFrom(transport.data$.pipe(toArray()));
    // Emission times are checked as they happen, in a second run that records the clock.
    await new Promise<void>((resolve, reject) =>
      transport.data$.subscribe({
        next: (c) => {
          const lateness = clock() - c.receivedAt;
          if (lateness < 0n) early.push(lateness);
        },
        error: reject,
        complete: resolve,
      }),
    );
    expect(chunks.length).toBe(100);
    const start = chunks[0].receivedAt;
    chunks.forEach((c, i) => expect(c.receivedAt - start).toBe(BigInt(Math.round(Number(datagrams[i].tsNs - datagrams[0].tsNs) / 2))));
    // Waits shorter than a millisecond are not slept, so "early" is bounded by that.
    expect(early.filter((e) => e <= -1_000_000n)).toEqual([]);
  });

  it('fails clearly on a missing capture', async () => {
    await expect(firstValueFrom(openPcap({ type: 'pcap', path: '/nonexistent/x.pcap' }).data$)).rejects.toThrow('capture not found: /nonexistent/x.pcap');
  });
});
