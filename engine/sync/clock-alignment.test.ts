import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createRng, type Rng } from '../core/prng.js';
import { alignClock, alignClocks, ClockAligner, type ClockJump } from './clock-alignment.js';
import type { DropReason } from './drop-reasons.js';
import { loadKittiRawStamps } from '../../test/fixtures/kitti_raw/load-kitti-raw.js';

const MS = 1_000_000n;
const S = 1_000_000_000n;
/** An engine clock near 2024 in Unix nanoseconds: far beyond 2^53, as real stamps are. */
const ENGINE_EPOCH = 1_718_000_000n * S;

interface Sample {
  stamp: bigint;
  receivedAt: bigint;
  /** When the data was really acquired, on the engine clock: what alignment should give. */
  truth: bigint;
}

/** Transport delay: mostly exponential (mean 4 ms), 5% stalls of 20–200 ms; never negative. */
function delayNs(rng: Rng): bigint {
  const d = rng.next() < 0.05 ? rng.uniform(20e6, 200e6) : -Math.log(1 - rng.next()) * 4e6;
  return BigInt(Math.round(d));
}

/**
 * A sensor ticking every periodNs on its own clock, whose stamp s maps to engine time
 * s + offset + drift·(s − s0), as ClockAligner models it.
 */
function simulate(rng: Rng, o: { sensorStart: bigint; offsetNs: bigint; driftPpm: number; periodNs: bigint; count: number }): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < o.count; k++) {
    const stamp = o.sensorStart + BigInt(k) * o.periodNs;
    const truth = stamp + o.offsetNs + BigInt(Math.round((Number(stamp - o.sensorStart) * o.driftPpm) / 1e6));
    out.push({ stamp, receivedAt: truth + delayNs(rng), truth });
  }
  return out;
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('ClockAligner, fixed modes', () => {
  it("'sensor' adds only the fixed offset", () => {
    const aligner = new ClockAligner({ mode: 'sensor', offsetNs: -15n * MS });
    expect(aligner.align(ENGINE_EPOCH, ENGINE_EPOCH + 40n * MS)).toEqual({ stamp: ENGINE_EPOCH - 15n * MS, jumped: false });
    expect(aligner.align(ENGINE_EPOCH + 100n * MS, ENGINE_EPOCH + 103n * MS)).toEqual({ stamp: ENGINE_EPOCH + 85n * MS, jumped: false });
    expect(aligner.offsetNs).toBe(-15n * MS);
    expect(aligner.driftPpm).toBe(0);
  });

  it("'arrival' takes receivedAt plus the offset and ignores the stamp", () => {
    const aligner = new ClockAligner({ mode: 'arrival', offsetNs: -20n * MS });
    expect(aligner.align(5n, ENGINE_EPOCH)).toEqual({ stamp: ENGINE_EPOCH - 20n * MS, jumped: false });
    expect(aligner.align(0n, ENGINE_EPOCH + S)).toEqual({ stamp: ENGINE_EPOCH + S - 20n * MS, jumped: false });
    expect(aligner.jumps).toBe(0);
  });

  it("'sensor' reports a jump of its clock but keeps its fixed offset", () => {
    const jumps: ClockJump[] = [];
    const aligner = new ClockAligner({ mode: 'sensor', onJump: (j) => jumps.push(j) });
    for (let k = 0n; k < 10n; k++) aligner.align(ENGINE_EPOCH + k * 100n * MS, ENGINE_EPOCH + k * 100n * MS + 2n * MS);
    const r = aligner.align(5n * S, ENGINE_EPOCH + S + 2n * MS);
    expect(r).toEqual({ stamp: 5n * S, jumped: true });
    expect(aligner.jumps).toBe(1);
    expect(jumps[0].stepNs).toBeLessThan(-ENGINE_EPOCH + 10n * S);
  });
});

describe("ClockAligner, 'estimate'", () => {
  it('finds a 3.2 s offset within 1 ms from 2 s of 20 Hz data, drift ±50 ppm', () => {
    for (const [seed, driftPpm] of [[1, 50], [2, -50], [3, 0], [4, 37]] as const) {
      const rng = createRng(seed);
      const offsetNs = 3_200_000_000n;
      const samples = simulate(rng, { sensorStart: ENGINE_EPOCH - offsetNs, offsetNs, driftPpm, periodNs: 50n * MS, count: 41 });
      const aligner = new ClockAligner({ mode: 'estimate' });
      let last: bigint | undefined;
      for (const s of samples) last = aligner.align(s.stamp, s.receivedAt)!.stamp;
      const lastSample = samples[samples.length - 1];
      expect(Number(abs(last! - lastSample.truth))).toBeLessThan(1e6);
      expect(Number(abs(aligner.offsetNs - (lastSample.truth - lastSample.stamp)))).toBeLessThan(1e6);
      expect(aligner.samples).toBe(41);
    }
  });

  it('estimates ±50 ppm drift within 5 ppm after 60 s, from a sensor clock counting from boot', () => {
    for (const [seed, driftPpm] of [[11, 50], [12, -50], [13, 20]] as const) {
      const rng = createRng(seed);
      const samples = simulate(rng, { sensorStart: 812n * S, offsetNs: ENGINE_EPOCH, driftPpm, periodNs: 50n * MS, count: 1201 });
      const aligner = new ClockAligner({ mode: 'estimate' });
      for (const s of samples) aligner.align(s.stamp, s.receivedAt);
      expect(Math.abs(aligner.driftPpm - driftPpm)).toBeLessThan(5);
    }
  });

  it('keeps the alignment error small, never later than the arrival, over 5 minutes', () => {
    const rng = createRng(21);
    const samples = simulate(rng, { sensorStart: 3n * S, offsetNs: ENGINE_EPOCH + 123_456_789n, driftPpm: -45, periodNs: 100n * MS, count: 3000 });
    const aligner = new ClockAligner({ mode: 'estimate' });
    const errorsMs: number[] = [];
    samples.forEach((s, k) => {
      const aligned = aligner.align(s.stamp, s.receivedAt)!.stamp;
      expect(aligned).toBeLessThanOrEqual(s.receivedAt);
      if (k >= 20) errorsMs.push(Math.abs(Number(aligned - s.truth)) / 1e6);
    });
    // The delays have mean ~14 ms; after 2 s the aligned stamps are a small fraction of that off.
    expect(percentile(errorsMs, 50)).toBeLessThan(0.2);
    expect(percentile(errorsMs, 99)).toBeLessThan(0.6);
    expect(Math.max(...errorsMs)).toBeLessThan(1);
    expect(aligner.jumps).toBe(0);
  });

  it('aligns the irregular real KITTI stamps (OXTS 9.98–11.02 ms apart, cam0, Velodyne) read on a drifting clock', () => {
    const stamps = loadKittiRawStamps();
    for (const [stream, seed] of [['oxts', 61], ['image_00', 62], ['velodyne', 63]] as const) {
      const rng = createRng(seed);
      const truths = stamps[stream];
      // The sensor clock runs 3.2 s behind and 40 ppm slow against the engine clock.
      const sensorStamps = truths.map((t) => t - 3_200_000_000n - BigInt(Math.round(Number(t - truths[0]) * 40e-6)));
      const aligner = new ClockAligner({ mode: 'estimate' });
      const errorsMs = truths.map((truth, k) => Math.abs(Number(aligner.align(sensorStamps[k], truth + delayNs(rng))!.stamp - truth)) / 1e6);
      expect(percentile(errorsMs.slice(20), 95)).toBeLessThan(1);
      expect(errorsMs[errorsMs.length - 1]).toBeLessThan(1);
      expect(aligner.jumps).toBe(0);
    }
  });

  it('uses bounded memory: one point per bucket over the window', () => {
    const rng = createRng(5);
    const samples = simulate(rng, { sensorStart: 0n, offsetNs: ENGINE_EPOCH, driftPpm: 10, periodNs: 10n * MS, count: 20_000 });
    const aligner = new ClockAligner({ mode: 'estimate', windowNs: 10n * S, bucketNs: 500n * MS });
    let most = 0;
    for (const s of samples) {
      aligner.align(s.stamp, s.receivedAt);
      most = Math.max(most, aligner.windowPoints);
    }
    // 200 s at 100 Hz went in; 21 points at most were held.
    expect(most).toBe(21);
    expect(Math.abs(aligner.driftPpm - 10)).toBeLessThan(5);
    const last = samples[samples.length - 1];
    expect(Number(abs(aligner.offsetNs - (last.truth - last.stamp)))).toBeLessThan(1e6);
  });

  it('stays exact to the nanosecond over weeks of sensor time', () => {
    const aligner = new ClockAligner({ mode: 'estimate', bucketNs: 3600n * S, windowNs: 48n * 3600n * S });
    const period = 600n * S + 123n;
    for (let k = 0n; k < 6n * 24n * 30n; k++) {
      const stamp = 5n + k * period;
      const r = aligner.align(stamp, stamp + ENGINE_EPOCH + 1_000_001n)!;
      expect(r.stamp).toBe(stamp + ENGINE_EPOCH + 1_000_001n);
    }
  });

  it('re-aligns within one sample after a GPS week rollover (+619,315,200 s)', () => {
    const rng = createRng(31);
    const jumps: ClockJump[] = [];
    const aligner = new ClockAligner({ mode: 'estimate', onJump: (j) => jumps.push(j) });
    const samples = simulate(rng, { sensorStart: ENGINE_EPOCH - 18n * S, offsetNs: 18n * S, driftPpm: 5, periodNs: 100n * MS, count: 200 });
    const rollover = 619_315_200n * S;
    const results = samples.map((s, k) => {
      const shifted = k >= 100 ? s.stamp + rollover : s.stamp;
      return aligner.align(shifted, s.receivedAt)!;
    });
    expect(results.filter((r) => r.jumped).length).toBe(1);
    expect(results[100].jumped).toBe(true);
    expect(aligner.jumps).toBe(1);
    expect(jumps).toHaveLength(1);
    const stepError = jumps[0].stepNs - rollover;
    expect(Number(abs(stepError))).toBeLessThan(200e6);
    // The revealing sample is aligned to its own arrival, and it and everything after it to the right time.
    expect(results[100].stamp).toBe(samples[100].receivedAt);
    for (let k = 100; k < 200; k++) expect(Number(abs(results[k].stamp - samples[k].truth))).toBeLessThan(250e6);
    for (let k = 110; k < 200; k++) expect(Number(abs(results[k].stamp - samples[k].truth))).toBeLessThan(2e6);
    expect(aligner.samples).toBe(100);
  });

  it('re-aligns after a reboot that restarts the sensor clock near 0', () => {
    const rng = createRng(41);
    const before = simulate(rng, { sensorStart: 500n * S, offsetNs: ENGINE_EPOCH, driftPpm: 30, periodNs: 50n * MS, count: 200 });
    // Ten seconds without data, then the clock counts from boot again with another offset.
    const after = simulate(rng, { sensorStart: 2n * S, offsetNs: ENGINE_EPOCH + 518n * S, driftPpm: 30, periodNs: 50n * MS, count: 200 });
    const aligner = new ClockAligner({ mode: 'estimate' });
    const results = [...before, ...after].map((s) => aligner.align(s.stamp, s.receivedAt)!);
    expect(results.findIndex((r) => r.jumped)).toBe(200);
    expect(aligner.jumps).toBe(1);
    for (let k = 240; k < 400; k++) expect(Number(abs(results[k].stamp - after[k - 200].truth))).toBeLessThan(1e6);
  });

  it('re-aligns after a backwards step of 2 s (a clock set back)', () => {
    const rng = createRng(43);
    const samples = simulate(rng, { sensorStart: ENGINE_EPOCH, offsetNs: 0n, driftPpm: 0, periodNs: 50n * MS, count: 200 });
    const aligner = new ClockAligner({ mode: 'estimate' });
    const results = samples.map((s, k) => aligner.align(k >= 120 ? s.stamp - 2n * S : s.stamp, s.receivedAt)!);
    expect(results.filter((r) => r.jumped).map((r) => results.indexOf(r))).toEqual([120]);
    for (let k = 150; k < 200; k++) expect(Number(abs(results[k].stamp - samples[k].truth))).toBeLessThan(1e6);
  });

  it('does not take delay stalls below the jump threshold for jumps', () => {
    const rng = createRng(51);
    const samples = simulate(rng, { sensorStart: 0n, offsetNs: ENGINE_EPOCH, driftPpm: 0, periodNs: 50n * MS, count: 400 });
    // A 600 ms stall: twelve frames arrive at once.
    for (let k = 200; k < 212; k++) samples[k].receivedAt = samples[211].truth + 1n * MS;
    const aligner = new ClockAligner({ mode: 'estimate' });
    for (const s of samples) aligner.align(s.stamp, s.receivedAt);
    expect(aligner.jumps).toBe(0);
  });

  it('keeps a reordered sample that beats its bucket', () => {
    const aligner = new ClockAligner({ mode: 'estimate' });
    aligner.align(1_000n * MS, ENGINE_EPOCH + 1_010n * MS);
    aligner.align(1_300n * MS, ENGINE_EPOCH + 1_310n * MS);
    // Late but with the least delay yet: the estimate follows it.
    aligner.align(1_100n * MS, ENGINE_EPOCH + 1_101n * MS);
    const r = aligner.align(1_350n * MS, ENGINE_EPOCH + 1_360n * MS)!;
    expect(Number(r.stamp - (ENGINE_EPOCH + 1_351n * MS))).toBeLessThan(0.2e6);
  });

  it('rejects bad input with a count and keeps its state', () => {
    const aligner = new ClockAligner({ mode: 'estimate' });
    aligner.align(10n * S, ENGINE_EPOCH + 10n * S + 3n * MS);
    const offset = aligner.offsetNs;
    expect(aligner.align(-1n, ENGINE_EPOCH)).toBeUndefined();
    expect(aligner.align(10n * S, -5n)).toBeUndefined();
    expect(aligner.align(1n << 63n, ENGINE_EPOCH)).toBeUndefined();
    expect(aligner.align(1.5 as unknown as bigint, ENGINE_EPOCH)).toBeUndefined();
    expect(aligner.rejected).toBe(4);
    expect(aligner.offsetNs).toBe(offset);
    expect(aligner.samples).toBe(1);
    expect(aligner.jumps).toBe(0);
    // A fixed offset that carries a stamp below 0 rejects it rather than emit a negative stamp.
    const sensor = new ClockAligner({ mode: 'sensor', offsetNs: -5n * S });
    expect(sensor.align(1n * S, 1n * S)).toBeUndefined();
    expect(sensor.rejected).toBe(1);
    expect(() => new ClockAligner({ mode: 'nope' as 'sensor' })).toThrow(RangeError);
    expect(() => new ClockAligner({ mode: 'estimate', bucketNs: 0n })).toThrow(RangeError);
  });
});

describe('alignClock operator', () => {
  it('emits new frames with aligned stamps and drops bad ones as bad-stamp', async () => {
    const frames = [
      { sensorId: 'gps', stamp: 1n * S, receivedAt: ENGINE_EPOCH + 1n * S + 2n * MS, seq: 0 },
      { sensorId: 'gps', stamp: -3n, receivedAt: ENGINE_EPOCH + 1_050n * MS, seq: 1 },
      { sensorId: 'gps', stamp: 1_100n * MS, receivedAt: ENGINE_EPOCH + 1_101n * MS, seq: 2 },
    ];
    const dropped: [number, number, DropReason][] = [];
    const out = await lastValueFrom(
      from(frames).pipe(alignClock({ mode: 'estimate', onDropped: (f, i, reason) => dropped.push([f.seq, i, reason]) }), toArray()),
    );
    expect(out.map((f) => f.seq)).toEqual([0, 2]);
    expect(out[0]).not.toBe(frames[0]);
    expect(frames[0].stamp).toBe(1n * S);
    expect(out[0].stamp).toBe(ENGINE_EPOCH + 1n * S + 2n * MS);
    expect(out[1].stamp).toBe(ENGINE_EPOCH + 1_101n * MS);
    expect(dropped).toEqual([[1, 0, 'bad-stamp']]);
  });

  it('keeps no state across subscriptions', async () => {
    const frames = [{ stamp: 0n, receivedAt: ENGINE_EPOCH }, { stamp: 100n * MS, receivedAt: ENGINE_EPOCH + 100n * MS }];
    const op = alignClock({ mode: 'estimate' });
    const a = await lastValueFrom(from(frames).pipe(op, toArray()));
    const b = await lastValueFrom(from(frames).pipe(op, toArray()));
    expect(b).toEqual(a);
  });

  it('alignClocks keeps one aligner per sensor and passes unnamed sensors through', async () => {
    const frames = [
      { sensorId: 'lidar', stamp: 5n * S, receivedAt: ENGINE_EPOCH },
      { sensorId: 'cam', stamp: ENGINE_EPOCH - 30n * MS, receivedAt: ENGINE_EPOCH + 2n * MS },
      { sensorId: 'radar', stamp: 77n, receivedAt: ENGINE_EPOCH },
      { sensorId: 'lidar', stamp: 5_100n * MS, receivedAt: ENGINE_EPOCH + 99n * MS },
    ];
    const out = await lastValueFrom(
      from(frames).pipe(
        alignClocks(new Map([['lidar', { mode: 'estimate' as const }], ['cam', { mode: 'sensor' as const, offsetNs: 10n * MS }]])),
        toArray(),
      ),
    );
    expect(out.map((f) => f.stamp)).toEqual([ENGINE_EPOCH, ENGINE_EPOCH - 20n * MS, 77n, ENGINE_EPOCH + 99n * MS]);
  });
});
