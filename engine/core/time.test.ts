import { describe, it, expect } from 'vitest';
import protobuf from 'protobufjs';
import {
  NS_PER_S,
  createClock,
  formatStamp,
  millisToNanos,
  nanosToMillis,
  nanosToSecNsec,
  nanosToSeconds,
  secNsecToNanos,
  secondsToNanos,
  toBigInt,
} from './time.js';
import { loadProtos } from './proto.js';
import { createRng } from './prng.js';

/** Uniform [0, 1) numbers from a seed, so a failure reproduces. */
const seededRandom = (seed: number): (() => number) => createRng(seed).next;


// 2023-11-14T22:13:20Z: a typical sensor stamp, far beyond 2^53 nanoseconds.
const EPOCH_S = 1_700_000_000;

/** protobufjs's Long class (the `long` package it bundles), typed by the members used here. */
const Long = protobuf.util.Long as unknown as { fromString(s: string, unsigned: boolean): protobuf.Long; isLong(v: unknown): boolean };

describe('secondsToNanos', () => {
  it('is exact for values a double holds exactly', () => {
    expect(secondsToNanos(0)).toBe(0n);
    expect(secondsToNanos(1.5)).toBe(1_500_000_000n);
    expect(secondsToNanos(EPOCH_S)).toBe(1_700_000_000_000_000_000n);
    expect(secondsToNanos(EPOCH_S + 0.5)).toBe(1_700_000_000_500_000_000n);
    expect(secondsToNanos(-1.25)).toBe(-1_250_000_000n);
  });

  it('keeps nanosecond precision below 2^53 ns (about 104 days)', () => {
    expect(secondsToNanos(0.123456789)).toBe(123_456_789n);
    expect(secondsToNanos(86_400.000000001)).toBe(86_400_000_000_001n);
  });

  it('at epoch scale lands within 1 ns of the exact value of the double', () => {
    const next = seededRandom(1);
    for (let i = 0; i < 2000; i++) {
      const s = EPOCH_S + next() * 1e8;
      // s = whole + frac exactly (Sterbenz), so frac·1e9 is the only rounding: compare against
      // the exact rational value of the double, computed in bigint from its binary expansion.
      const exactNsTimes2p30 = BigInt(Math.floor(s)) * NS_PER_S * 2n ** 30n + BigInt((s - Math.floor(s)) * 2 ** 30) * NS_PER_S;
      const exact = exactNsTimes2p30 / 2n ** 30n;
      const got = secondsToNanos(s);
      const diff = got - exact;
      expect(diff >= -1n && diff <= 1n, `s=${s} got=${got} exact≈${exact}`).toBe(true);
    }
  });

  it('is more precise than the naive BigInt(Math.round(s * 1e9)) at epoch scale', () => {
    const s = EPOCH_S + 0.123456789;
    const naive = BigInt(Math.round(s * 1e9));
    const split = secondsToNanos(s);
    // The double nearest 1_700_000_000.123456789 is 1_700_000_000.1234567165...
    expect(split).toBe(1_700_000_000_123_456_717n);
    expect(naive % 256n).toBe(0n); // s·1e9 is above 2^53, so the naive value is a multiple of 256
    expect(naive).not.toBe(split);
  });

  it('refuses non-finite input', () => {
    expect(() => secondsToNanos(Number.NaN)).toThrow(RangeError);
    expect(() => secondsToNanos(Infinity)).toThrow(/finite/);
  });
});

describe('nanosToSeconds', () => {
  it('gives the nearest double at epoch scale (within half an ulp, 2^-23 s)', () => {
    const next = seededRandom(2);
    const halfUlpNs = 120n; // doubles in [2^30, 2^31) s are 2^-22 s ≈ 238 ns apart
    for (let i = 0; i < 2000; i++) {
      const ns = BigInt(EPOCH_S) * NS_PER_S + BigInt(Math.floor(next() * 1e9)) + BigInt(Math.floor(next() * 1e6)) * NS_PER_S;
      const s = nanosToSeconds(ns);
      const back = secondsToNanos(s);
      const diff = back > ns ? back - ns : ns - back;
      expect(diff <= halfUlpNs, `ns=${ns} back=${back}`).toBe(true);
    }
  });

  it('round-trips every double at epoch scale exactly', () => {
    const next = seededRandom(3);
    for (let i = 0; i < 2000; i++) {
      const s = EPOCH_S + next() * 1e6;
      expect(nanosToSeconds(secondsToNanos(s))).toBe(s);
    }
  });

  it('handles negative stamps', () => {
    expect(nanosToSeconds(-1_500_000_000n)).toBe(-1.5);
    expect(nanosToSeconds(-1n)).toBe(-1e-9);
  });
});

describe('milliseconds', () => {
  it('converts both ways', () => {
    expect(nanosToMillis(1_500_000n)).toBe(1.5);
    expect(millisToNanos(1.5)).toBe(1_500_000n);
    expect(millisToNanos(60)).toBe(60_000_000n);
  });
});

describe('nanosToSecNsec / secNsecToNanos', () => {
  it('splits into whole seconds and nanoseconds', () => {
    expect(nanosToSecNsec(1_700_000_000_123_456_789n)).toEqual({ sec: 1_700_000_000, nsec: 123_456_789 });
    expect(nanosToSecNsec(0n)).toEqual({ sec: 0, nsec: 0 });
    expect(nanosToSecNsec(999_999_999n)).toEqual({ sec: 0, nsec: 999_999_999 });
    expect(nanosToSecNsec(NS_PER_S)).toEqual({ sec: 1, nsec: 0 });
  });

  it('keeps nsec in [0, 1e9) before the epoch, as foxglove.Time requires', () => {
    expect(nanosToSecNsec(-1n)).toEqual({ sec: -1, nsec: 999_999_999 });
    expect(nanosToSecNsec(-NS_PER_S)).toEqual({ sec: -1, nsec: 0 });
    expect(nanosToSecNsec(-1_500_000_000n)).toEqual({ sec: -2, nsec: 500_000_000 });
  });

  it('round-trips', () => {
    const next = seededRandom(4);
    for (let i = 0; i < 500; i++) {
      const ns = BigInt(Math.floor((next() - 0.5) * 4e9)) * NS_PER_S + BigInt(Math.floor(next() * 1e9));
      expect(secNsecToNanos(nanosToSecNsec(ns))).toBe(ns);
    }
  });

  it('reads protobuf Timestamp spellings and nullish values', () => {
    expect(secNsecToNanos({ seconds: 5, nanos: 7 })).toBe(5_000_000_007n);
    expect(secNsecToNanos({ sec: 5n, nsec: 7 })).toBe(5_000_000_007n);
    expect(secNsecToNanos(null)).toBe(0n);
    expect(secNsecToNanos(undefined)).toBe(0n);
    expect(secNsecToNanos({})).toBe(0n);
  });

  it('reads the Long seconds of a google.protobuf.Timestamp as protobufjs decodes it', () => {
    const protos = loadProtos();
    const Transform = protos.type('foxglove.FrameTransform');
    const bytes = Transform.encode(Transform.fromObject({ timestamp: { seconds: 1_700_000_000, nanos: 42 }, parent_frame_id: 'a', child_frame_id: 'b' })).finish();
    const msg = Transform.decode(bytes) as unknown as { timestamp: { seconds: protobuf.Long; nanos: number } };
    expect(Long.isLong(msg.timestamp.seconds)).toBe(true);
    expect(secNsecToNanos(msg.timestamp)).toBe(1_700_000_000_000_000_042n);
  });
});

describe('toBigInt', () => {
  it('passes bigint through and converts number and decimal strings', () => {
    expect(toBigInt(5n)).toBe(5n);
    expect(toBigInt(-7)).toBe(-7n);
    expect(toBigInt('18446744073709551615')).toBe(18_446_744_073_709_551_615n);
  });

  it('converts protobufjs Long values, signed and unsigned, across the whole 64-bit range', () => {
    const signed = [0n, 1n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n, -(2n ** 32n) + 5n, 1_700_000_000_123_456_789n, -1_700_000_000_123_456_789n, 2n ** 63n - 1n, -(2n ** 63n)];
    for (const v of signed) expect(toBigInt(Long.fromString(v.toString(), false))).toBe(v);
    const unsigned = [0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n];
    for (const v of unsigned) expect(toBigInt(Long.fromString(v.toString(), true))).toBe(v);
  });

  it('converts the Long values that decoding int64 and uint64 fields yields', () => {
    const T = loadProtos().type('percept.PerceptionEvent');
    const bytes = T.encode(T.fromObject({ seq: '18446744073709551615', stamp_ns: '-1700000000123456789' })).finish();
    const msg = T.decode(bytes) as unknown as { seq: protobuf.Long; stamp_ns: protobuf.Long };
    expect(typeof msg.seq).toBe('object'); // a Long, not a lossy number
    expect(toBigInt(msg.seq)).toBe(2n ** 64n - 1n);
    expect(toBigInt(msg.stamp_ns)).toBe(-1_700_000_000_123_456_789n);
  });
});

describe('formatStamp', () => {
  it('prints ISO 8601 with nanoseconds', () => {
    expect(formatStamp(1_700_000_000_123_456_789n)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(formatStamp(0n)).toBe('1970-01-01T00:00:00.000000000Z');
  });

  it('prints stamps before the epoch', () => {
    expect(formatStamp(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });
});

describe('createClock', () => {
  it('is near the wall clock and never goes backwards', () => {
    const clock = createClock();
    const wall = BigInt(Date.now()) * 1_000_000n;
    let prev = clock();
    expect(prev - wall < 50_000_000n && wall - prev < 50_000_000n).toBe(true);
    for (let i = 0; i < 1000; i++) {
      const t = clock();
      expect(t >= prev).toBe(true);
      prev = t;
    }
  });
});
