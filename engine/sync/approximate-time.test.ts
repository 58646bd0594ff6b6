import { readFileSync } from 'node:fs';
import { Subject, from, throwError, concat, toArray, firstValueFrom } from 'rxjs';
import { describe, it, expect } from 'vitest';
import { ApproximateTimeSynchronizer, approximateTime, type ApproximateTimeOptions } from './approximate-time.js';
import type { DropReason } from './drop-reasons.js';

interface Msg {
  stamp: bigint;
  id: string;
}

/** Names a message by its source letter and stamp: a0, b12, ... */
const msg = (source: number, stamp: number): Msg => ({ stamp: BigInt(stamp), id: `${'abcdefgh'[source]}${stamp}` });

/**
 * Feeds `arrivals` ([source, stamp] in arrival order) through the core and records, after each
 * arrival, which sets came out: the emission timing is part of what is tested.
 */
function run(sources: number, arrivals: [number, number][], options: Omit<ApproximateTimeOptions<Msg>, 'onDropped'>) {
  const sets: string[][] = [];
  const drops: [string, DropReason][] = [];
  const emittedAt: Record<string, string> = {};
  const sync = new ApproximateTimeSynchronizer<Msg>(sources, {
    ...options,
    onSet: (set) => sets.push(set.map((m) => m.id)),
    onDropped: (m, _i, reason) => drops.push([m.id, reason]),
  });
  for (const [source, stamp] of arrivals) {
    const before = sets.length;
    const m = msg(source, stamp);
    sync.add(source, m);
    for (const set of sets.slice(before)) emittedAt[set.join(',')] = m.id;
  }
  const beforeFlush = drops.length;
  sync.flush();
  return { sets, drops: drops.slice(0, beforeFlush), ended: drops.slice(beforeFlush).map(([id]) => id), emittedAt };
}

describe('ApproximateTimeSynchronizer: worked examples, traced by hand through the C++ rules', () => {
  it('pairs messages and publishes a set as soon as the pivot topic is exhausted, before the inputs end', () => {
    // a0, b1: heads 0 and 1 → candidate {a0,b1}, pivot b (the latest head), a0 to past; a's deque
    // is empty and the virtual search cannot prove optimality (a's next might be at 1) → wait.
    // a10: start head is now b1 = the pivot → every candidate for this pivot seen → publish.
    const r = run(2, [[0, 0], [1, 1], [0, 10], [1, 11], [0, 20], [1, 21]], { queueSize: 5 });
    expect(r.sets).toEqual([['a0', 'b1'], ['a10', 'b11']]);
    expect(r.emittedAt).toEqual({ 'a0,b1': 'a10', 'a10,b11': 'a20' });
    expect(r.drops).toEqual([]);
    expect(r.ended).toEqual(['a20', 'b21']);
  });

  it('publishes when the age test proves the candidate optimal although the start head is not the pivot (3 topics)', () => {
    // a0 b5 c3 → candidate {a0,b5,c3}: start a0, end b5 = pivot (time 5). a0 to past; a empty;
    // virtual times a=max(0,5)=5, b=5, c=3 → virtual start c3: (5−5)·1.1 = 0 < 3−0 → wait.
    // a20: heads a20 b5 c3 → end a20, start c3: (20−5)·1.1 = 16 ≥ 3 → not better, c3 to past;
    // start c ≠ pivot b, but (20−5)·1.1 = 16 ≥ pivot − start = 5 → publish {a0,b5,c3} on a20.
    const r = run(3, [[0, 0], [1, 5], [2, 3], [0, 20]], { queueSize: 5 });
    expect(r.sets).toEqual([['a0', 'b5', 'c3']]);
    expect(r.emittedAt).toEqual({ 'a0,b5,c3': 'a20' });
    expect(r.ended).toEqual(['a20']);
  });

  it('finds a better candidate after the first one and drops what precedes it as superseded', () => {
    // a0 b10 → candidate {a0,b10} (spread 10), pivot b. a12: heads a12 b10 → end a12, start b10:
    // (12−10)·1.1 = 2 < 10−0 → better: {a12,b10} becomes the candidate and a0, in the past vector,
    // can join no set. Start b = pivot → publish at once.
    const r = run(2, [[0, 0], [1, 10], [0, 12]], { queueSize: 5 });
    expect(r.sets).toEqual([['a12', 'b10']]);
    expect(r.drops).toEqual([['a0', 'superseded']]);
    expect(r.emittedAt).toEqual({ 'a12,b10': 'a12' });
  });

  it('lets the age penalty keep an earlier candidate', () => {
    // a0 b100 c100 → candidate {a0,b100,c100}, pivot c (equal ends: the highest index wins).
    // a190: heads a190 b100 c100 → end a190, start b100; the new set would have spread 90 < 100.
    // Better iff (190−100)·(1+p) < 100−0: with p = 0 (90) or 0.1 (99) it is; with p = 0.25 (112) not.
    const arrivals: [number, number][] = [[0, 0], [1, 100], [2, 100], [0, 190]];
    for (const agePenalty of [0, 0.1]) {
      const r = run(3, arrivals, { queueSize: 5, agePenalty });
      // New candidate, then start b ≠ pivot c, but (190−190)·(1+p) = 0 ≥ pivot − start = 0 → publish.
      expect(r.sets).toEqual([['a190', 'b100', 'c100']]);
      expect(r.drops).toEqual([['a0', 'superseded']]);
    }
    const r = run(3, arrivals, { queueSize: 5, agePenalty: 0.25 });
    // Not better; b100 to past; (190−100)·1.25 = 112 ≥ 100 − 0 → the old candidate is optimal.
    expect(r.sets).toEqual([['a0', 'b100', 'c100']]);
    expect(r.ended).toEqual(['a190']);
  });

  it('scales durations as rclcpp does: long double product, truncated to whole nanoseconds', () => {
    // a0 b12 c12 → candidate {a0,b12,c12}, pivot c. a22: end a22, start b12. Better iff
    // (22−12)·(1+0.2) < 12−0. The double 1 + 0.2 is 1.19999999999999995559…, so the exact product
    // is 11.9999999999999995559…; x86-64's long double keeps that and truncation gives 11 ns < 12
    // → better → {a22,b12,c12} (then 0 ≥ 12−12 publishes it). A plain double product rounds to 12
    // (and ROS 1, rounding to the nearest ns, also gets 12) and would publish {a0,b12,c12} instead.
    // (Checked against g++: (long double)10 * (1 + 0.2) truncates to 11.)
    const r = run(3, [[0, 0], [1, 12], [2, 12], [0, 22]], { queueSize: 5, agePenalty: 0.2 });
    expect(10 * (1 + 0.2)).toBe(12);
    expect(r.sets).toEqual([['a22', 'b12', 'c12']]);
    expect(r.drops).toEqual([['a0', 'superseded']]);
  });

  it('drops heads that would make a set wider than the max interval', () => {
    // a0 b10: spread 10 > 5 → a0 deleted (max-interval). a12: heads a12 b10 (spread 2) → candidate,
    // pivot a; b10 to past; virtual a=12, b=max(10,12)=12 → start a12: 0 < 12−10 → wait.
    // b20: end b20, start a12: (20−12)·1.1 = 8 ≥ 2 → not better; a12 to past; start a = pivot → publish.
    const r = run(2, [[0, 0], [1, 10], [0, 12], [1, 20]], { queueSize: 5, maxIntervalNs: 5n });
    expect(r.sets).toEqual([['a12', 'b10']]);
    expect(r.drops).toEqual([['a0', 'max-interval']]);
    expect(r.emittedAt).toEqual({ 'a12,b10': 'b20' });
  });

  it('drops the oldest message when a queue overflows, then refuses that topic as pivot until it is proven harmless', () => {
    // queueSize 2: b0 b10 b20 → b0 dropped (queue-overflow), b marked as having dropped messages.
    // a5: end b10, start a5; b (the would-be pivot) dropped messages → a5 deleted (superseded):
    // b0, now gone, might have been its better partner.
    // a15: end a15 → b's mark is cleared; candidate {a15,b10}, pivot a; b10 to past; heads a15 b20:
    // (20−15)·1.1 = 5 ≥ 15−10 → not better; a15 to past; start a = pivot → publish {a15,b10}.
    const r = run(2, [[1, 0], [1, 10], [1, 20], [0, 5], [0, 15]], { queueSize: 2 });
    expect(r.drops).toEqual([['b0', 'queue-overflow'], ['a5', 'superseded']]);
    expect(r.sets).toEqual([['a15', 'b10']]);
    expect(r.ended).toEqual(['b20']);
  });

  it('overflow while a candidate is open: recovers, drops, and searches again', () => {
    // queueSize 2. a0 b1 → candidate {a0,b1}, pivot b; a0 to past; waiting for a.
    // b2: b's deque+past = 2. b3: 3 > 2 → everything back to the deques, b1 (the oldest b) dropped,
    // candidate discarded, process again: heads a0 b2, b marked → a0 deleted as superseded.
    const r = run(2, [[0, 0], [1, 1], [1, 2], [1, 3], [0, 4], [0, 9]], { queueSize: 2 });
    // a4: heads a4 b2 → end a4 (b's mark cleared), candidate {a4,b2}, pivot a; b2 to past; heads a4 b3:
    // (4−4)·1.1 = 0 < 3−2 → better {a4,b3} (b2 superseded); b3 to past; b empty; virtual
    // b=max(3,4)=4 → 0 < 4−3 → wait. a9: heads a9… a's deque size is 2, so nothing runs until b sends.
    expect(r.drops).toEqual([['b1', 'queue-overflow'], ['a0', 'superseded'], ['b2', 'superseded']]);
    expect(r.sets).toEqual([]);
    expect(r.ended.sort()).toEqual(['a4', 'a9', 'b3']);
  });

  it('uses the inter-message lower bound to publish without waiting for the next message', () => {
    // As the first example, but a's messages are known to be ≥ 10 apart: after a0 b1 the virtual
    // time of a is max(0+10, 1) = 10 → (10−1)·1.1 = 9 ≥ pivot − start = 1 → proven at once, on b1.
    const bounded = run(2, [[0, 0], [1, 1], [0, 10]], { queueSize: 5, interMessageLowerBoundNs: [10n] });
    expect(bounded.emittedAt).toEqual({ 'a0,b1': 'b1' });
    const unbounded = run(2, [[0, 0], [1, 1], [0, 10]], { queueSize: 5 });
    expect(unbounded.emittedAt).toEqual({ 'a0,b1': 'a10' });
  });

  it('breaks ties as the C++ code does: the earliest head with the lowest index starts, the latest with the highest index ends', () => {
    // All equal: end = c (pivot), start = a. a to past; virtual a=5, b=5, c=5 → start b… the first
    // test (0 ≥ 5−5) holds → publish at once.
    const r = run(3, [[0, 5], [1, 5], [2, 5]], { queueSize: 3 });
    expect(r.sets).toEqual([['a5', 'b5', 'c5']]);
    expect(r.emittedAt).toEqual({ 'a5,b5,c5': 'c5' });
  });

  it('handles more sources than the C++ limit of nine', () => {
    const n = 12;
    const arrivals: [number, number][] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < n; i++) arrivals.push([i, k * 100 + i]);
    const sets: bigint[][] = [];
    const sync = new ApproximateTimeSynchronizer<Msg>(n, { queueSize: 4, onSet: (s) => sets.push(s.map((m) => m.stamp)) });
    for (const [i, t] of arrivals) sync.add(i, { stamp: BigInt(t), id: '' });
    expect(sets.map((s) => s[0])).toEqual([0n, 100n, 200n]);
    expect(sets[1]).toEqual(Array.from({ length: n }, (_, i) => BigInt(100 + i)));
  });

  it('warns once per source about stamps that go backwards or come closer than the bound', () => {
    const warnings: [number, string][] = [];
    const sync = new ApproximateTimeSynchronizer<Msg>(2, { queueSize: 9, interMessageLowerBoundNs: [undefined, 10n], onSet: () => undefined, onWarning: (i, kind) => warnings.push([i, kind]) });
    // As in C++, only a message that joins a non-empty deque is checked (against the one before it).
    for (const [i, t] of [[1, 0], [1, 4], [1, 5], [0, 5], [0, 3], [0, 1]] as const) sync.add(i, msg(i, t));
    expect(warnings).toEqual([[1, 'below-lower-bound'], [0, 'out-of-order']]);
  });

  it('keeps nanosecond precision on epoch stamps and reports a stamp beyond its exact range as bad-stamp', () => {
    const base = 1_700_000_000_123_456_789n;
    const sets: bigint[][] = [];
    const drops: [bigint, DropReason][] = [];
    const sync = new ApproximateTimeSynchronizer<Msg>(2, { queueSize: 5, onSet: (s) => sets.push(s.map((m) => m.stamp)), onDropped: (m, _i, r) => drops.push([m.stamp, r]) });
    sync.add(0, { stamp: base, id: '' });
    sync.add(1, { stamp: base + 1n, id: '' });
    sync.add(1, { stamp: 5n, id: '' }); // 1970: 54 years from the others, beyond ±2^52 ns
    sync.add(0, { stamp: base + 3n, id: '' });
    expect(sets).toEqual([[base, base + 1n]]);
    expect(drops).toEqual([[5n, 'bad-stamp']]);
    // After a flush it starts afresh, with a new base stamp.
    sync.flush();
    sync.add(0, { stamp: 5n, id: '' });
    sync.add(1, { stamp: 6n, id: '' });
    sync.add(0, { stamp: 15n, id: '' });
    expect(sets).toEqual([[base, base + 1n], [5n, 6n]]);
    expect(drops.filter(([, r]) => r === 'bad-stamp')).toHaveLength(1);
  });

  it('rejects bad options where they are written', () => {
    const s = new Subject<Msg>();
    expect(() => approximateTime([s], { queueSize: 1 })).toThrow(/at least 2 sources/);
    expect(() => approximateTime([s, s], { queueSize: 0 })).toThrow(/queueSize/);
    expect(() => approximateTime([s, s], { queueSize: 2, agePenalty: -0.5 })).toThrow(/agePenalty/);
  });
});

describe('ApproximateTimeSynchronizer against the C++ library', () => {
  it('gives the sets that ROS message_filters gives on 120 random inputs', () => {
    // Produced once by ROS 1's ApproximateTime (Debian libmessage-filters-dev); see the NOTICE
    // in test/fixtures/sync. 2, 3, 4 and 6 sources; queue sizes 1–20; age penalties 0–0.5;
    // max intervals, lower bounds (some violated), drop-outs, coarse grids with equal stamps.
    const url = new URL('../../test/fixtures/sync/approximate-time-golden.json', import.meta.url);
    const doc = JSON.parse(readFileSync(url, 'utf8')) as {
      baseStampNs: string;
      cases: { id: number; sources: number; queueSize: number; agePenalty: number; maxIntervalNs: string | null; lowerBoundsNs: string[]; arrivalSource: number[]; arrivalOffsetNs: number[]; sets: number[][] }[];
    };
    const base = BigInt(doc.baseStampNs);
    expect(doc.cases.length).toBe(120);
    let published = 0;
    for (const c of doc.cases) {
      const sets: number[][] = [];
      let accounted = 0;
      const sync = new ApproximateTimeSynchronizer<{ stamp: bigint; index: number }>(c.sources, {
        queueSize: c.queueSize,
        agePenalty: c.agePenalty,
        maxIntervalNs: c.maxIntervalNs === null ? undefined : BigInt(c.maxIntervalNs),
        interMessageLowerBoundNs: c.lowerBoundsNs.map(BigInt),
        onSet: (set) => sets.push(set.map((m) => m.index)),
        onDropped: () => accounted++,
      });
      const counts = new Array<number>(c.sources).fill(0);
      c.arrivalSource.forEach((source, j) => sync.add(source, { stamp: base + BigInt(c.arrivalOffsetNs[j]), index: counts[source]++ }));
      expect(sets, `case ${c.id}`).toEqual(c.sets);
      sync.flush();
      expect(accounted + sets.length * c.sources, `case ${c.id}`).toBe(c.arrivalSource.length);
      published += sets.length;
    }
    expect(published).toBe(670);
  });
});

describe('approximateTime (RxJS)', () => {
  it('emits each set while the sources are still open, in the order of the sources', () => {
    const a = new Subject<Msg>();
    const b = new Subject<Msg>();
    const out: string[][] = [];
    let completed = false;
    approximateTime([a, b], { queueSize: 5 }).subscribe({ next: (s) => out.push(s.map((m) => m.id)), complete: () => (completed = true) });
    a.next(msg(0, 0));
    b.next(msg(1, 1));
    expect(out).toEqual([]);
    a.next(msg(0, 10));
    expect(out).toEqual([['a0', 'b1']]);
    b.next(msg(1, 11));
    a.next(msg(0, 20));
    expect(out).toEqual([['a0', 'b1'], ['a10', 'b11']]);
    a.complete();
    expect(completed).toBe(false);
    b.complete();
    expect(completed).toBe(true);
  });

  it('reports what is still queued as stream-ended when all sources complete', async () => {
    const dropped: [string, number, DropReason][] = [];
    const sets = await firstValueFrom(
      approximateTime([from([msg(0, 0), msg(0, 10), msg(0, 20)]), from([msg(1, 1), msg(1, 11)])], {
        queueSize: 5,
        onDropped: (m, i, r) => dropped.push([m.id, i, r]),
      }).pipe(toArray()),
    );
    // a's three arrive first (from() is synchronous); then b1: candidate {a0,b1}, then heads a10 b1
    // → start b = pivot → publish; b11 likewise publishes {a10,b11}; a20 is left.
    expect(sets.map((s) => s.map((m) => m.id))).toEqual([['a0', 'b1'], ['a10', 'b11']]);
    expect(dropped).toEqual([['a20', 0, 'stream-ended']]);
  });

  it('propagates an error after the same flush', async () => {
    const dropped: string[] = [];
    const failing = concat(from([msg(1, 1)]), throwError(() => new Error('sensor gone')));
    const result = firstValueFrom(approximateTime([from([msg(0, 0), msg(0, 10), msg(0, 20)]), failing], { queueSize: 5, onDropped: (m) => dropped.push(m.id) }).pipe(toArray()));
    await expect(result).rejects.toThrow('sensor gone');
    expect(dropped).toEqual(['a10', 'a20']);
  });
});
