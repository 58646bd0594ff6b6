import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GnssFix } from '../../engine/core/frames.js';
import { createRng } from '../../engine/core/prng.js';
import { createNmeaDecoder } from './nmea-decoder.js';

const FIXTURES = new URL('../../test/fixtures/gps_nmea/', import.meta.url);
const REAL_LINES = ['bu353s4', 'ublox-zed-f9p-nmea', 'isync', 'hemi', 'beidou-gb']
  .flatMap((name) => readFileSync(new URL(`${name}.log`, FIXTURES), 'latin1').split('\n'))
  .filter((l) => l.startsWith('$'))
  .map((l) => Buffer.from(`${l.replace(/\r$/, '')}\r\n`, 'latin1'));

const MAX_LINE = 120;

/** What a fix may hold whatever came in: a fix claims a position only with a sane one. */
function expectWellFormed(f: GnssFix): void {
  expect(typeof f.stamp).toBe('bigint');
  expect(f.covariance).toHaveLength(9);
  if (f.fixType !== 'none') {
    expect(Math.abs(f.latitude)).toBeLessThanOrEqual(90);
    expect(Math.abs(f.longitude)).toBeLessThanOrEqual(180);
  }
  for (const v of [f.latitude, f.longitude, f.altitudeMsl, f.hdop, f.speed, f.track, f.heading]) expect(typeof v).toBe('number');
  expect(Number.isFinite(f.satellites)).toBe(true);
}

function run(chunks: Uint8Array[]): { fixes: GnssFix[]; errors: number; accepted: number; maxBuffered: number } {
  const d = createNmeaDecoder({ sensorId: 'g', maxLineLength: MAX_LINE });
  const fixes: GnssFix[] = [];
  let maxBuffered = 0;
  for (const c of chunks) {
    fixes.push(...d.push(c, 1n));
    maxBuffered = Math.max(maxBuffered, d.bufferedBytes);
  }
  fixes.push(...d.flush());
  const errors = Object.values(d.stats.errors).reduce((a, b) => a + b, 0);
  return { fixes, errors, accepted: d.stats.accepted, maxBuffered };
}

describe('createNmeaDecoder under fuzzing', () => {
  it('random bytes: never throws, bounded buffer, well-formed fixes', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (chunks) => {
      const r = run(chunks);
      expect(r.maxBuffered).toBeLessThanOrEqual(MAX_LINE + 2);
      r.fixes.forEach(expectWellFormed);
    }), { numRuns: 300 });
  });

  it('NMEA-like noise (digits, commas, $, *, line ends) is counted, never crashes', () => {
    const alphabet = fc.constantFrom(...'$GPGGARMC,.*0123456789ABCDEFNSEW\r\n'.split(''));
    fc.assert(fc.property(fc.array(fc.string({ unit: alphabet, maxLength: 200 }), { maxLength: 20 }), (parts) => {
      const r = run(parts.map((p) => Buffer.from(p, 'latin1')));
      r.fixes.forEach(expectWellFormed);
      const lines = parts.join('').split(/\n/).filter((l) => l.replace(/\r$/, '').length > 0 && !l.startsWith('#')).length;
      // Every non-empty line is either accepted or counted (a line may hold several sentences).
      expect(r.accepted + r.errors).toBeGreaterThanOrEqual(lines > 0 ? 1 : 0);
    }), { numRuns: 200 });
  });

  it('bit-flipped and truncated real sentences are counted, never a malformed fix', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ line: fc.nat(REAL_LINES.length - 1), bit: fc.nat(), cut: fc.nat(), mode: fc.constantFrom('flip', 'cut', 'keep') }), { minLength: 1, maxLength: 30 }),
      (edits) => {
        let damaged = 0;
        const bytes = edits.map(({ line, bit, cut, mode }) => {
          const b = Buffer.from(REAL_LINES[line]);
          if (mode === 'flip') {
            const at = bit % ((b.length - 2) * 8);
            b[at >> 3] ^= 1 << (at & 7);
            damaged++;
            return b;
          }
          if (mode === 'cut') {
            damaged++;
            return Buffer.concat([b.subarray(0, 1 + (cut % (b.length - 3))), Buffer.from('\r\n')]);
          }
          return b;
        });
        const r = run([Buffer.concat(bytes)]);
        r.fixes.forEach(expectWellFormed);
        // A flipped bit or a cut always breaks the checksum (or the framing): each is counted.
        expect(r.errors).toBeGreaterThanOrEqual(damaged > 0 ? 1 : 0);
        expect(r.accepted).toBeLessThanOrEqual(edits.length * 2);
      },
    ), { numRuns: 300 });
  });

  it('10k random pushes keep the line buffer within its limit', () => {
    const d = createNmeaDecoder({ sensorId: 'g', maxLineLength: MAX_LINE });
    const rng = createRng(11);
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      const chunk = rng.next() < 0.5
        ? REAL_LINES[rng.int(0, REAL_LINES.length - 1)].subarray(0, rng.int(0, 90))
        : Uint8Array.from({ length: rng.int(0, 64) }, () => (rng.next() < 0.02 ? 0x0a : rng.int(0x20, 0x7e)));
      d.push(chunk, BigInt(i));
      max = Math.max(max, d.bufferedBytes);
    }
    d.flush();
    expect(max).toBeLessThanOrEqual(MAX_LINE + 2);
    expect(Object.values(d.stats.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
