import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import { CandumpReader, MAX_CANDUMP_LINE, formatCandumpLine, parseCandumpLine } from './candump.js';

describe('parseCandumpLine', () => {
  it('reads the can-utils example line, time to the nanosecond without floats', () => {
    const r = parseCandumpLine('(1436509052.249713) can0 60B#0123456789ABCDEF');
    expect(r).toEqual({
      ok: true,
      frame: { time: 1436509052249713000n, channel: 'can0', id: 0x60b, extended: false, fd: false, data: Uint8Array.from([1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]) },
    });
  });

  it('extended IDs, empty payloads, FD when allowed', () => {
    expect(parseCandumpLine('(1.5) vcan0 18FEF115#01')).toMatchObject({ ok: true, frame: { id: 0x18fef115, extended: true, time: 1_500_000_000n } });
    expect(parseCandumpLine('(1.000001) can0 123#')).toMatchObject({ ok: true, frame: { data: new Uint8Array(0) } });
    expect(parseCandumpLine('(1.0) can0 123##1AABB', { allowFd: true })).toMatchObject({ ok: true, frame: { fd: true, data: Uint8Array.from([0xaa, 0xbb]) } });
  });

  it('counts what it does not support, with a code', () => {
    expect(parseCandumpLine('(1.0) can0 123##1AABB')).toMatchObject({ ok: false, code: 'can-fd-unsupported' });
    expect(parseCandumpLine('(1.0) can0 123#R')).toMatchObject({ ok: false, code: 'remote-frame-unsupported' });
    expect(parseCandumpLine('(1.0) can0 123#R3')).toMatchObject({ ok: false, code: 'remote-frame-unsupported' });
    expect(parseCandumpLine('(1.0) can0 20000080#0000000000000000')).toMatchObject({ ok: false, code: 'error-frame-unsupported' });
    expect(parseCandumpLine('(1.0) can0 12#00')).toMatchObject({ ok: false, code: 'bad-id' });
    expect(parseCandumpLine('(1.0) can0 123#0')).toMatchObject({ ok: false, code: 'bad-data' });
    expect(parseCandumpLine('(1.0) can0 123#001122334455667788')).toMatchObject({ ok: false, code: 'bad-data' });
    expect(parseCandumpLine('(abc) can0 123#00')).toMatchObject({ ok: false, code: 'bad-timestamp' });
    expect(parseCandumpLine('hello')).toMatchObject({ ok: false, code: 'malformed' });
    expect(parseCandumpLine('x'.repeat(MAX_CANDUMP_LINE + 1))).toMatchObject({ ok: false, code: 'too-long' });
  });

  it('formatCandumpLine is its inverse', () => {
    const frame = { time: 1436509052249713000n, channel: 'can1', id: 0x210, extended: false, fd: false, data: Uint8Array.from([0x93, 0x38, 0x26, 8]) };
    expect(formatCandumpLine(frame)).toBe('(1436509052.249713) can1 210#93382608');
    expect(parseCandumpLine(formatCandumpLine(frame))).toEqual({ ok: true, frame });
  });
});

describe('CandumpReader (stream framing)', () => {
  const text = '(1.000000) can0 100#01\r\n(2.000000) can0 101#0203\n(3.000000) can0 102#04';

  it('frames lines across arbitrary slices, CRLF included; flush takes the last line', () => {
    const reader = new CandumpReader();
    const bytes = new TextEncoder().encode(text);
    const out = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...reader.push(bytes.subarray(i, i + 3)));
    out.push(...reader.flush());
    expect(out.map((f) => f.id)).toEqual([0x100, 0x101, 0x102]);
    expect(reader.stats.accepted).toBe(3);
  });

  it('drops an over-long line up to its newline, counted once, and resumes', () => {
    const reader = new CandumpReader();
    const out = reader.push(new TextEncoder().encode('A'.repeat(1000)));
    expect(reader.buffered).toBe(0);
    out.push(...reader.push(new TextEncoder().encode('B'.repeat(1000) + '\n(1.0) can0 100#01\n')));
    expect(out.map((f) => f.id)).toEqual([0x100]);
    expect(reader.stats.errors).toEqual({ 'too-long': 1 });
  });

  it('random bytes never throw and the buffer stays within its limit over 10k pushes (fast-check + seeded noise)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 30 }), (chunks) => {
        const reader = new CandumpReader();
        for (const c of chunks) {
          reader.push(c);
          expect(reader.buffered).toBeLessThanOrEqual(MAX_CANDUMP_LINE);
        }
        reader.flush();
      }),
      { numRuns: 200 },
    );
    const rng = createRng(3);
    const reader = new CandumpReader();
    for (let i = 0; i < 10_000; i++) {
      const c = new Uint8Array(rng.int(0, 80));
      for (let k = 0; k < c.length; k++) c[k] = rng.next() < 0.01 ? 10 : rng.int(0, 255);
      reader.push(c);
      expect(reader.buffered).toBeLessThanOrEqual(MAX_CANDUMP_LINE);
    }
    expect(reader.stats.errorCount).toBeGreaterThan(0);
  });
});
