import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { ApproximateTimeSynchronizer } from './approximate-time.js';
import type { DropReason } from './drop-reasons.js';

interface Msg {
  stamp: bigint;
  source: number;
  /** Position within its source's stream. */
  index: number;
}

interface Input {
  /** Per source, non-decreasing stamps (in order per topic, as ROS assumes). */
  streams: number[][];
  /** Which source delivers next; a merge that keeps each source's order. */
  order: number[];
  queueSize: number;
  agePenalty: number;
  maxIntervalNs?: bigint;
}

const streamArb = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 25 }).map((gaps) => {
  let t = 0;
  return gaps.map((g) => (t += g));
});

const inputArb = (opts: { bigQueue?: boolean; maxInterval?: boolean } = {}): fc.Arbitrary<Input> =>
  fc
    .record({
      streams: fc.integer({ min: 2, max: 4 }).chain((n) => fc.array(streamArb, { minLength: n, maxLength: n })),
      seed: fc.array(fc.nat(), { minLength: 120, maxLength: 120 }),
      queueSize: opts.bigQueue ? fc.constant(1000) : fc.integer({ min: 1, max: 6 }),
      agePenalty: fc.constantFrom(0, 0.1, 0.5),
      maxIntervalNs: opts.maxInterval ? fc.option(fc.integer({ min: 0, max: 30 }).map(BigInt), { nil: undefined }) : fc.constant(undefined),
    })
    .map(({ streams, seed, ...rest }) => ({ streams, order: mergeOrder(streams, seed), ...rest }));

/** A random interleaving of the sources, each keeping its own order. */
function mergeOrder(streams: number[][], seed: number[]): number[] {
  const left = streams.map((s) => s.length);
  const order: number[] = [];
  let k = 0;
  for (;;) {
    const open = left.flatMap((n, i) => (n > 0 ? [i] : []));
    if (open.length === 0) return order;
    const i = open[seed[k++ % seed.length] % open.length];
    left[i]--;
    order.push(i);
  }
}

function runInput(input: Input, order = input.order) {
  const sets: Msg[][] = [];
  const drops: [Msg, number, DropReason][] = [];
  const sync = new ApproximateTimeSynchronizer<Msg>(input.streams.length, {
    queueSize: input.queueSize,
    agePenalty: input.agePenalty,
    maxIntervalNs: input.maxIntervalNs,
    onSet: (set) => sets.push(set),
    onDropped: (m, i, r) => drops.push([m, i, r]),
  });
  const next = input.streams.map(() => 0);
  const all: Msg[] = [];
  for (const source of order) {
    const index = next[source]++;
    const m = { stamp: BigInt(input.streams[source][index]), source, index };
    all.push(m);
    sync.add(source, m);
  }
  const publishedBeforeEnd = sets.length;
  sync.flush();
  expect(sets.length).toBe(publishedBeforeEnd);
  return { sets, drops, all };
}

describe('ApproximateTime properties (randomized)', () => {
  it('accounts for every message exactly once: published or dropped with a reason', () => {
    fc.assert(
      fc.property(inputArb({ maxInterval: true }), (input) => {
        const { sets, drops, all } = runInput(input);
        const seen = new Map<Msg, number>();
        for (const set of sets) {
          expect(set.length).toBe(input.streams.length);
          set.forEach((m, i) => {
            expect(m.source).toBe(i);
            seen.set(m, (seen.get(m) ?? 0) + 1);
          });
        }
        for (const [m, i] of drops) {
          expect(m.source).toBe(i);
          seen.set(m, (seen.get(m) ?? 0) + 1);
        }
        expect(seen.size).toBe(all.length);
        for (const count of seen.values()) expect(count).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('sets do not cross, and never exceed the max interval', () => {
    fc.assert(
      fc.property(inputArb({ maxInterval: true }), (input) => {
        const { sets } = runInput(input);
        for (let k = 1; k < sets.length; k++) {
          for (let i = 0; i < input.streams.length; i++) {
            expect(sets[k][i].index).toBeGreaterThan(sets[k - 1][i].index);
            expect(sets[k][i].stamp).toBeGreaterThanOrEqual(sets[k - 1][i].stamp);
          }
        }
        if (input.maxIntervalNs !== undefined) {
          for (const set of sets) {
            const stamps = set.map((m) => m.stamp);
            const spread = stamps.reduce((a, b) => (a > b ? a : b)) - stamps.reduce((a, b) => (a < b ? a : b));
            expect(spread).toBeLessThanOrEqual(input.maxIntervalNs);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sets are contiguous when no queue overflows and no max interval applies', () => {
    // Wiki: "there is at least one topic where there is no dropped message between the two sets".
    fc.assert(
      fc.property(inputArb({ bigQueue: true }), (input) => {
        const { sets } = runInput(input);
        for (let k = 1; k < sets.length; k++) {
          const adjacent = sets[k].some((m, i) => m.index === sets[k - 1][i].index + 1);
          expect(adjacent).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with queues that never overflow, the sets depend only on stamps; arrival order only decides how many are out by the end', () => {
    // The wiki's claim holds for what is published, but a set is published only once it is proven
    // optimal, which may need a later message of another source: with the C++ code (no end of
    // stream) the sets out by the end of two interleavings can differ in number. One is then a
    // prefix of the other.
    fc.assert(
      fc.property(inputArb({ bigQueue: true }), fc.array(fc.nat(), { minLength: 120, maxLength: 120 }), (input, seed) => {
        const a = runInput(input).sets.map((s) => s.map((m) => `${m.source}:${m.index}`).join(' '));
        const b = runInput(input, mergeOrder(input.streams, seed)).sets.map((s) => s.map((m) => `${m.source}:${m.index}`).join(' '));
        const common = Math.min(a.length, b.length);
        expect(a.slice(0, common)).toEqual(b.slice(0, common));
      }),
      { numRuns: 300 },
    );
  });

  it('does depend on arrival order once queues overflow (a documented limit of the C++ policy)', () => {
    // queueSize 1, a: 0 10, b: 1. Arriving a0 a10 b1: a10 overflows a's queue, a0 is dropped and a
    // is marked; then b1 is deleted because the would-be pivot a has dropped messages → no set.
    // Arriving a0 b1 a10: {a0,b1} is the candidate and a10 proves it (start b = pivot) → one set.
    const input: Input = { streams: [[0, 10], [1]], order: [0, 0, 1], queueSize: 1, agePenalty: 0 };
    const late = runInput(input).sets.map((s) => s.map((m) => m.index));
    const early = runInput(input, [0, 1, 0]).sets.map((s) => s.map((m) => m.index));
    expect(late).toEqual([]);
    expect(early).toEqual([[0, 0]]);
  });
});
