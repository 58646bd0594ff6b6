import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RadarScan } from '../../engine/core/frames.js';
import { createRng } from '../../engine/core/prng.js';
import { TI_DEFAULT_MAX_PACKET, createTiMmwaveDecoder, encodeTiPacket, parseTiPacket } from './ti-mmwave.js';

/*
 * No real TI mmWave capture is available here: packets are BUILT from TI's published layout
 * (mmWave SDK 3.x out-of-box demo, "Understanding the Out of Box Demo Data Output") by
 * encodeTiPacket. One packet is also checked against the bytes of a real IWR6843 frame header
 * quoted on TI's E2E forum (thread 1236655): 02010403 06050807 | version 04000503 | length
 * c0020000 (704) | platform 43680a00 (0xA6843) | frame 9f000000 | time | objects 1a000000 (26) |
 * TLVs 06000000 | subframe 0 | then TLV type 01000000, length a0010000 (416 = 26 × 16).
 */

const POINTS = [
  { x: 0.5, y: 4.25, z: -0.125, doppler: -1.5, snr: 21.3, noise: 5.2 },
  { x: -2, y: 10, z: 0.75, doppler: 0.25, snr: 12.0, noise: 4.0 },
];

describe('TI mmWave TLV frames', () => {
  it('header layout matches a real IWR6843 frame header byte for byte', () => {
    const points = Array.from({ length: 26 }, () => ({ x: 0, y: 1, z: 0, doppler: 0 }));
    const p = encodeTiPacket({ frameNumber: 0x9f, points, version: 0x03050004, platform: 0xa6843, withSideInfo: false });
    const hex = Buffer.from(p.subarray(0, 48)).toString('hex');
    expect(hex.slice(0, 16)).toBe('0201040306050807');
    expect(hex.slice(16, 24)).toBe('04000503');
    expect(hex.slice(32, 40)).toBe('43680a00');
    expect(hex.slice(40, 48)).toBe('9f000000');
    expect(hex.slice(56, 64)).toBe('1a000000');
    expect(hex.slice(80, 96)).toBe('01000000a0010000');
  });

  it('decodes points and side info into percept\u2019s radar frame (x forward, y left)', () => {
    const d = createTiMmwaveDecoder({ sensorId: 'ti' });
    const [scan] = d.push(encodeTiPacket({ frameNumber: 1, points: POINTS }), 77n);
    expect(scan).toMatchObject({ modality: 'radar', sensorId: 'ti', frameId: 'ti', seq: 0, stamp: 77n, receivedAt: 77n });
    expect(scan.targets[0]).toEqual({ x: 4.25, y: -0.5, z: -0.125, doppler: -1.5, rcs: NaN, snr: expect.closeTo(21.3, 9) });
    const sensorAxes = parseTiPacket(encodeTiPacket({ frameNumber: 1, points: POINTS }), 'sensor');
    expect(sensorAxes.ok && sensorAxes.targets[1]).toMatchObject({ x: -2, y: 10 });
    expect(d.stats).toMatchObject({ accepted: 1, frames: 1, errors: {} });
  });

  it('frames a byte stream split anywhere, with garbage between packets (resync on the magic word)', () => {
    const rng = createRng(9);
    const packets = Array.from({ length: 20 }, (_, i) => encodeTiPacket({ frameNumber: i, points: POINTS.slice(0, i % 3) }));
    const parts: Uint8Array[] = [];
    for (const p of packets) {
      parts.push(Uint8Array.from({ length: rng.int(0, 30) }, () => rng.int(0, 255) & 0xfd)); // never 0x02: no false magic
      parts.push(p);
    }
    const stream = Buffer.concat(parts);
    const d = createTiMmwaveDecoder({ sensorId: 'ti' });
    const scans: RadarScan[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = rng.int(1, 97);
      scans.push(...d.push(stream.subarray(at, at + n), BigInt(at)));
      at += n;
    }
    expect(scans.map((s) => s.targets.length)).toEqual(packets.map((_, i) => i % 3));
    expect(scans.map((s) => s.seq)).toEqual(scans.map((_, i) => i));
    expect(d.stats.errors.resync).toBeGreaterThan(0);
  });

  it('a packet cut short by the next magic word is counted and the next one still decodes', () => {
    const a = encodeTiPacket({ frameNumber: 1, points: POINTS });
    const b = encodeTiPacket({ frameNumber: 2, points: POINTS });
    const d = createTiMmwaveDecoder({ sensorId: 'ti' });
    const scans = d.push(Buffer.concat([a.subarray(0, 50), b]), 1n);
    expect(scans).toHaveLength(1);
    expect(d.stats.errors['truncated-packet']).toBe(1);
  });

  it('bad lengths and inconsistent TLVs are counted', () => {
    const p = encodeTiPacket({ frameNumber: 1, points: POINTS });
    const badCount = p.slice();
    new DataView(badCount.buffer).setUint32(28, 3, true); // numDetectedObj 3, TLVs hold 2
    const huge = p.slice();
    new DataView(huge.buffer).setUint32(12, 10_000_000, true);
    const d = createTiMmwaveDecoder({ sensorId: 'ti' });
    expect(d.push(Buffer.concat([badCount, huge, p]), 1n)).toHaveLength(1);
    expect(d.stats.errors).toMatchObject({ 'count-mismatch': 1, 'bad-length': 1 });
  });

  it('rejects bad options by name', () => {
    expect(() => createTiMmwaveDecoder({ sensorId: 'ti', maxPacketBytes: 10 })).toThrow(/maxPacketBytes/);
  });

  it('random bytes, truncations and bit flips never throw; the buffer stays bounded over 10k pushes', () => {
    const real = Buffer.concat(Array.from({ length: 5 }, (_, i) => encodeTiPacket({ frameNumber: i, points: POINTS })));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(
          fc.uint8Array({ maxLength: 500 }),
          fc.nat().map((cut) => real.subarray(0, cut % real.length)),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => { const b = Uint8Array.from(real); b[at % b.length] ^= 1 << bit; return b; }),
        ), { maxLength: 30 }),
        (chunks) => {
          const d = createTiMmwaveDecoder({ sensorId: 'ti', maxPacketBytes: 4096 });
          for (const c of chunks) {
            for (const s of d.push(c, 0n)) for (const t of s.targets) expect([t.x, t.y, t.z, t.doppler].every(Number.isFinite)).toBe(true);
            expect(d.buffered).toBeLessThanOrEqual(4096);
          }
          d.flush();
        },
      ),
      { numRuns: 150 },
    );
    const rng = createRng(4);
    const d = createTiMmwaveDecoder({ sensorId: 'ti' });
    let total = 0;
    for (let i = 0; i < 10_000; i++) {
      const c = Uint8Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255));
      if (i % 500 === 0) c.set([2, 1, 4, 3, 6, 5, 8, 7].slice(0, Math.min(8, c.length)));
      d.push(c, 0n);
      expect(d.buffered).toBeLessThanOrEqual(TI_DEFAULT_MAX_PACKET);
      total += c.length;
    }
    expect(total).toBeGreaterThan(TI_DEFAULT_MAX_PACKET);
    expect(d.stats.errors.resync).toBeGreaterThan(0);
  });
});
