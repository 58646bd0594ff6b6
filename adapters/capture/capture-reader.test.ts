import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCaptureReader, parseCapture, type CaptureRecord } from './capture-reader.js';
import { createUdpExtractCounts, udpDatagrams } from './udp.js';
import { classicPcap, ethernet, ipv4Udp, linuxSll, pcapng, type FrameSpec } from '../../test/fixtures/lidar_pcap/capture-builders.js';
import { createRng } from '../../engine/core/prng.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/lidar_pcap/${name}`, import.meta.url)));

function frames(n: number): FrameSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    tsNs: 1_415_600_000_123_456_789n + BigInt(i) * 1_327_000n,
    data: ethernet(ipv4Udp({ srcPort: 2368, dstPort: 2368, payload: new Uint8Array(100 + i).fill(i) })),
  }));
}

describe('classic pcap', () => {
  it('reads the Velodyne sample: 84 data + 16 position packets, timestamps in µs', () => {
    const { format, records, issues } = parseCapture(fixture('velodyne/velodyne_vlp16.pcap'));
    const list = [...records];
    expect(format).toBe('pcap');
    expect(issues.total).toBe(0);
    expect(list).toHaveLength(100);
    const counts = createUdpExtractCounts();
    const dgrams = [...udpDatagrams(list, counts)];
    expect(dgrams.filter((d) => d.dstPort === 2368 && d.payload.length === 1206)).toHaveLength(84);
    expect(dgrams.filter((d) => d.dstPort === 8308 && d.payload.length === 512)).toHaveLength(16);
    expect(dgrams[0].srcAddr).toBe('192.168.1.200');
    // 2014-11-10 per the provenance notes
    expect(new Date(Number(list[0].tsNs / 1_000_000n)).toISOString().slice(0, 10)).toBe('2014-11-10');
  });

  for (const little of [true, false]) {
    for (const nano of [false, true]) {
      it(`round-trips ${little ? 'little' : 'big'}-endian ${nano ? 'ns' : 'µs'} files`, () => {
        const spec = frames(5);
        const { records, issues } = parseCapture(classicPcap(spec, { littleEndian: little, nano }));
        const list = [...records];
        expect(issues.total).toBe(0);
        expect(list.map((r) => r.tsNs)).toEqual(spec.map((f) => (nano ? f.tsNs : (f.tsNs / 1000n) * 1000n)));
        expect(list.map((r) => r.data.length)).toEqual(spec.map((f) => f.data.length));
        const payloads = [...udpDatagrams(list)].map((d) => d.payload.length);
        expect(payloads).toEqual([100, 101, 102, 103, 104]);
      });
    }
  }

  it('counts a truncated last record and stops at an impossible length', () => {
    const bytes = classicPcap(frames(3));
    const cut = parseCapture(bytes.subarray(0, bytes.length - 10));
    expect([...cut.records]).toHaveLength(2);
    expect(cut.issues.counts['truncated-record']).toBe(1);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const broken = parseCapture(bad);
    expect([...broken.records]).toHaveLength(0);
    expect(broken.issues.counts['record-too-large']).toBe(1);
    expect(parseCapture(new Uint8Array([1, 2, 3, 4, 5])).issues.counts['not-a-capture']).toBe(1);
  });
});

describe('pcapng', () => {
  for (const little of [true, false]) {
    for (const tsresol of [6, 9, 0x80 | 20]) {
      it(`reads EPBs (${little ? 'LE' : 'BE'}, if_tsresol 0x${tsresol.toString(16)}) and skips other blocks`, () => {
        const spec = frames(4);
        const { format, records, issues } = parseCapture(pcapng(spec, { littleEndian: little, tsresol, extraBlocks: true }));
        const list = [...records];
        expect(format).toBe('pcapng');
        expect(issues.total).toBe(0);
        expect(list).toHaveLength(4);
        for (let i = 0; i < 4; i++) {
          // Binary fractions cannot hold every nanosecond: within one unit.
          const unitNs = tsresol === 6 ? 1000n : tsresol === 9 ? 1n : 954n;
          const err = spec[i].tsNs - list[i].tsNs;
          expect(err >= 0n && err < unitNs + 1n).toBe(true);
          expect(list[i].data).toEqual(spec[i].data);
        }
      });
    }
  }

  it('reads simple packet blocks (no timestamp) and Linux SLL / VLAN / raw link types', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const ip = ipv4Udp({ srcPort: 7502, dstPort: 7502, payload });
    const spb = [...parseCapture(pcapng([{ tsNs: 0n, data: ip }], { simple: true, linkType: 101 })).records];
    expect(spb[0].timestampKnown).toBe(false);
    expect([...udpDatagrams(spb)][0].payload).toEqual(payload);
    const sll = [...parseCapture(classicPcap([{ tsNs: 1n, data: linuxSll(ip) }], { linkType: 113 })).records];
    expect([...udpDatagrams(sll)][0].dstPort).toBe(7502);
    const vlan = [...parseCapture(classicPcap([{ tsNs: 1n, data: ethernet(ip, 2) }])).records];
    expect([...udpDatagrams(vlan)][0].payload).toEqual(payload);
  });

  it('counts fragments, non-UDP and unsupported link types without yielding them', () => {
    const mk = (data: Uint8Array, linkType = 1): CaptureRecord => ({ tsNs: 0n, timestampKnown: true, linkType, interfaceId: 0, data, origLength: data.length, offset: 0 });
    const payload = new Uint8Array(8);
    const counts = createUdpExtractCounts();
    const out = [
      ...udpDatagrams(
        [
          mk(ethernet(ipv4Udp({ srcPort: 1, dstPort: 2, payload, fragment: 0x2000 }))),
          mk(ethernet(ipv4Udp({ srcPort: 1, dstPort: 2, payload, fragment: 0x0010 }))),
          mk(ethernet(ipv4Udp({ srcPort: 1, dstPort: 2, payload, protocol: 6 }))),
          mk(new Uint8Array(40), 147),
          mk(ethernet(ipv4Udp({ srcPort: 1, dstPort: 2, payload })).subarray(0, 40)),
          mk(ethernet(ipv4Udp({ srcPort: 1, dstPort: 2, payload }))),
        ],
        counts,
      ),
    ];
    expect(out).toHaveLength(1);
    expect(counts).toEqual({ datagrams: 1, skipped: { fragment: 2, 'not-udp': 1, 'unsupported-link-type': 1, truncated: 1 } });
  });
});

describe('streaming reader', () => {
  it('gives the same records for any chunking, holding back at most one record', () => {
    const whole = fixture('velodyne/velodyne_vlp32.pcap');
    const expected = [...parseCapture(whole).records].map((r) => [r.tsNs, r.data.length, r.offset]);
    const rng = createRng(7);
    for (const bytes of [whole, pcapng(frames(30), { littleEndian: false, tsresol: 9 })]) {
      const reference = [...parseCapture(bytes).records].map((r) => [r.tsNs, r.data.length, r.offset]);
      for (let trial = 0; trial < 3; trial++) {
        const reader = createCaptureReader();
        const got: (bigint | number)[][] = [];
        let maxBuffered = 0;
        for (let o = 0; o < bytes.length; ) {
          const n = 1 + Math.floor(rng.next() * 3000);
          for (const r of reader.push(bytes.subarray(o, o + n))) got.push([r.tsNs, r.data.length, r.offset]);
          maxBuffered = Math.max(maxBuffered, reader.bufferedBytes);
          o += n;
        }
        reader.end();
        expect(got).toEqual(reference);
        expect(reader.issues.total).toBe(0);
        expect(maxBuffered).toBeLessThan(1300 + 3000);
      }
    }
    expect(expected).toHaveLength(100);
  });

  it('holds at most one record after 10k random pushes', () => {
    const rng = createRng(11);
    const reader = createCaptureReader({ maxRecordBytes: 2048 });
    reader.push(classicPcap([]));
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      const chunk = Uint8Array.from({ length: rng.int(0, 40) }, () => rng.int(0, 255));
      reader.push(chunk);
      max = Math.max(max, reader.bufferedBytes);
    }
    expect(max).toBeLessThanOrEqual(2048 + 16 + 40);
    expect(reader.issues.samples.length).toBeLessThanOrEqual(32);
  });

  it('never throws and stays bounded on random and damaged bytes', () => {
    const real = fixture('velodyne/velodyne_vlp16.pcap').subarray(0, 6000);
    const ng = pcapng(frames(4));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc.tuple(fc.constantFrom(real, ng), fc.nat(), fc.nat()).map(([b, at, bit]) => {
            const c = b.slice();
            c[at % c.length] ^= 1 << (bit % 8);
            return c;
          }),
          fc.tuple(fc.constantFrom(real, ng), fc.nat()).map(([b, n]) => b.subarray(0, n % b.length)),
        ),
        fc.integer({ min: 1, max: 700 }),
        (bytes, chunk) => {
          const reader = createCaptureReader({ maxRecordBytes: 4096 });
          for (let o = 0; o < bytes.length; o += chunk) {
            reader.push(bytes.subarray(o, o + chunk));
            expect(reader.bufferedBytes).toBeLessThanOrEqual(4096 + 4096 + 16 + chunk);
          }
          reader.end();
          for (const _ of udpDatagrams(parseCapture(bytes).records)) void _;
        },
      ),
      { numRuns: 300 },
    );
  });
});
