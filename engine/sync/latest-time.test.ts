import { describe, expect, it } from 'vitest';
import { Subject, from, lastValueFrom, of, toArray } from 'rxjs';
import { createRng } from '../core/prng.js';
import type { DropReason } from './drop-reasons.js';
import { LatestTimeSync, latestTime, type LatestTimeOptions } from './latest-time.js';

// Rules cited from ros2/message_filters include/message_filters/sync_policies/latest_time.hpp
// (add, Rate::compute_hz, find_pivot). Arrival times are each message's receivedAt; stamps are
// deliberately unrelated to them, since LatestTime decides on arrival times only.

interface Msg {
  id: string;
  stamp: bigint;
  receivedAt: bigint;
}

const MS = 1_000_000n;

/** `"0@10"`: a message of source 0 arriving at 10 ms, with id "0@10". */
function arrivals(...spec: string[]): [number, Msg][] {
  return spec.map((s, k) => {
    const [src, ms] = s.split('@').map(Number);
    return [src, { id: s, stamp: BigInt(1000 + k) * MS, receivedAt: BigInt(ms) * MS }];
  });
}

function drive(sourceCount: number, input: [number, Msg][], options: LatestTimeOptions<Msg> = {}) {
  const sets: { after: string; set: string[] }[] = [];
  const drops: [string, DropReason][] = [];
  let current = '';
  const sync = new LatestTimeSync<Msg>(sourceCount, { ...options, onDropped: (m, _i, r) => drops.push([m.id, r]) }, (set) =>
    sets.push({ after: current, set: set.map((m) => m.id) }),
  );
  for (const [i, m] of input) {
    current = m.id;
    sync.add(i, m);
  }
  sync.flush();
  return { sets, drops };
}

describe('LatestTime', () => {
  it('fires on the fastest source, holds the slower ones, and switches pivot while the fast one is late', () => {
    // Source 0 arrives every 10 ms, source 1 every 40 ms; source 0 falls silent from 40 to 130 ms.
    // The same outcome came from the C++ Rate/find_pivot compiled with these arrival times.
    const { sets, drops } = drive(2, arrivals('0@0', '1@2', '0@10', '0@20', '0@30', '0@40', '1@42', '1@82', '1@122', '0@130', '0@140', '0@150', '1@162'));
    expect(sets).toEqual([
      // add(): a source's first message only starts its Rate; 0@10 gives source 0 a rate (100 Hz)
      // and, being the fastest with a rate, the pivot; every source holds one → publish.
      { after: '0@10', set: ['0@10', '1@2'] },
      // 1@2 is held and repeated (zero-order hold).
      { after: '0@20', set: ['0@20', '1@2'] },
      { after: '0@30', set: ['0@30', '1@2'] },
      { after: '0@40', set: ['0@40', '1@2'] },
      // 1@42: source 1 now has a rate (25 Hz) but 0 is faster and not late → no publish.
      // 1@82: 42 ms since source 0's last arrival is 23.8 Hz, 76 Hz under its rate, beyond 10 × its
      // mean error (0 so far) → 0 is late; source 1 is the fastest not late → publish.
      { after: '1@82', set: ['0@40', '1@82'] },
      { after: '1@122', set: ['0@40', '1@122'] },
      // 0@130: a 90 ms period is a step change, so its rate restarts at 11 Hz, slower than
      // source 1 → no publish. 0@140: back to ~91 Hz and the pivot → publish.
      { after: '0@140', set: ['0@140', '1@122'] },
      { after: '0@150', set: ['0@150', '1@122'] },
      // 1@162: source 0 (12 ms since its last) is not late and still the pivot → no publish.
    ]);
    expect(drops).toEqual([
      ['0@0', 'superseded'],
      ['1@42', 'superseded'],
      ['0@130', 'superseded'],
      ['1@162', 'stream-ended'],
    ]);
  });

  it('waits for every source before the first set, and for a second message of the pivot', () => {
    // add(): until a source has a message, nothing publishes (is_full); a rate needs two arrivals.
    const { sets, drops } = drive(3, arrivals('0@0', '0@10', '0@20', '1@25', '0@30', '2@33', '0@40'));
    expect(sets).toEqual([{ after: '0@40', set: ['0@40', '1@25', '2@33'] }]);
    expect(drops).toEqual([['0@0', 'superseded'], ['0@10', 'superseded'], ['0@20', 'superseded'], ['0@30', 'superseded']]);
  });

  it('ignores a message whose arrival time did not advance (compute_hz returns false) but holds it', () => {
    const { sets, drops } = drive(2, arrivals('0@0', '1@1', '0@10', '0@10', '0@20'));
    // The second 0@10 has period 0: no rate update, no publish. It replaces the first copy, which a
    // set already used (no drop), and is itself replaced by 0@20 before any set used it (superseded).
    expect(sets.map((s) => s.set)).toEqual([['0@10', '1@1'], ['0@20', '1@1']]);
    expect(drops).toEqual([['0@0', 'superseded'], ['0@10', 'superseded']]);
  });

  it('uses the clock option, when given, instead of receivedAt', () => {
    let now = 0n;
    const input = arrivals('0@0', '1@0', '0@0', '0@0');
    const sets: string[][] = [];
    const sync = new LatestTimeSync<Msg>(2, { clock: () => now }, (set) => sets.push(set.map((m) => m.id)));
    for (const [i, m] of input) {
      now += 10n * MS;
      sync.add(i, m);
    }
    // By receivedAt every arrival is at 0 and nothing could publish; by the clock they are 10 ms apart.
    expect(sets).toEqual([['0@0', '1@0'], ['0@0', '1@0']]);
  });

  it('agrees with the C++ policy on jittered, lossy arrivals (indices of publishing arrivals)', () => {
    // Expected lists: the C++ Rate and find_pivot compiled with g++ and fed these very arrivals.
    const reference: Record<number, string> = {
      1: '3 5 6 8 10 12 13 15 16 18 19 21 22 24 26 28 29 31 33 35 37 38 40 41 43 44 45 47 48 51 53 54 56 57 60 61 63 64 67 68 70 71 73 74 76 77 78 81 83 84 86 89 90 92 93 96 97 99 100 102 104 106 108 109 112 113 115 116 118 120 122 123 125 126 129 130 132 133 135 138 139 141 142',
      2: '3 4 6 7 10 11 13 14 17 18 20 21 24 25 27 28 30 31 32 33 35 36 37 39 41 43 44 46 48 49 50 52 55 56 58 73 75 77 78 80 81 84 85 87 90 91 93 94 97 98 100 101 103 105 106 108 109 112 113 115 116 118 119 121 122 125 126 128 129 132 133',
    };
    for (const [seed, expected] of Object.entries(reference)) {
      const input = jitteredArrivals(Number(seed));
      const published: number[] = [];
      let k = 0;
      const sync = new LatestTimeSync<Msg>(3, {}, () => published.push(k));
      for (const [i, m] of input) {
        sync.add(i, m);
        k++;
      }
      expect(published.join(' ')).toBe(expected);
    }
  });

  it('drops negative stamps as bad-stamp without touching the rates', () => {
    const input = arrivals('0@0', '1@1', '0@10');
    input.splice(2, 0, [0, { id: 'neg', stamp: -5n, receivedAt: 5n * MS }]);
    const { sets, drops } = drive(2, input);
    expect(sets.map((s) => s.set)).toEqual([['0@10', '1@1']]);
    expect(drops).toEqual([['neg', 'bad-stamp'], ['0@0', 'superseded']]);
  });

  it('rejects a bad configuration at set-up', () => {
    expect(() => latestTime([])).toThrow(RangeError);
    expect(() => latestTime([of<Msg>(), of<Msg>()], { rateConfig: [{}, {}, {}] })).toThrow(RangeError);
    expect(() => latestTime([of<Msg>()], { rateConfig: { rateEmaAlpha: Number.NaN } })).toThrow(RangeError);
  });
});

describe('latestTime over observables', () => {
  it('emits before completion; at the end only held messages no set used are reported', () => {
    const a = new Subject<Msg>();
    const b = new Subject<Msg>();
    const seen: string[][] = [];
    const drops: [string, DropReason][] = [];
    latestTime([a, b], { onDropped: (m, _i, r) => drops.push([m.id, r]) }).subscribe((set) => seen.push(set.map((m) => m.id)));
    const [[, a0], [, b1], [, a10], [, b20]] = arrivals('0@0', '1@1', '0@10', '1@20');
    a.next(a0);
    b.next(b1);
    a.next(a10);
    expect(seen).toEqual([['0@10', '1@1']]);
    b.next(b20);
    a.complete();
    b.complete();
    // 0@10 was used and is held for reuse: not a drop. 1@20 was never used.
    expect(drops).toEqual([['0@0', 'superseded'], ['1@20', 'stream-ended']]);
  });

  it('keeps publishing on a source that ends early (its last message is held), and never on one that never starts', async () => {
    const input = arrivals('1@0', '0@0', '0@10', '0@20', '0@30');
    const early = from(input.filter(([i]) => i === 1).map(([, m]) => m));
    const fast = from(input.filter(([i]) => i === 0).map(([, m]) => m));
    // `early` is subscribed first and completes before `fast` delivers anything.
    const sets = await lastValueFrom(latestTime([early, fast]).pipe(toArray()));
    expect(sets.map((s) => s.map((m) => m.id))).toEqual([['1@0', '0@10'], ['1@0', '0@20'], ['1@0', '0@30']]);

    const drops: [string, DropReason][] = [];
    const none = await lastValueFrom(latestTime([fast, of<Msg>()], { onDropped: (m, _i, r) => drops.push([m.id, r]) }).pipe(toArray()));
    expect(none).toEqual([]);
    expect(drops).toEqual([['0@0', 'superseded'], ['0@10', 'superseded'], ['0@20', 'superseded'], ['0@30', 'stream-ended']]);
  });

  it('accounts for every message: dropped once, or published (possibly several times) and never dropped', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const input = jitteredArrivals(seed);
      const first = drive(3, input);
      expect(drive(3, input)).toEqual(first);
      const published = new Set(first.sets.flatMap((s) => s.set));
      const dropped = first.drops.map(([id]) => id);
      expect(new Set(dropped).size).toBe(dropped.length);
      for (const id of dropped) expect(published.has(id)).toBe(false);
      expect(published.size + dropped.length).toBe(input.length);
    }
  });
});

/** Three sources at about 50, 20 and 10 Hz with 5 % jitter and 3 % loss; source 0 is silent from 0.8 s to 1.2 s. */
function jitteredArrivals(seed: number): [number, Msg][] {
  const rng = createRng(seed);
  const periods = [20, 50, 100].map((p) => p * rng.uniform(0.8, 1.2));
  const events: [number, bigint][] = [];
  periods.forEach((p, src) => {
    let t = src; // first arrivals in source order, as the C++ reference requires
    events.push([src, BigInt(Math.round(t * 1e6))]);
    while (t < 2000) {
      t += p + rng.normal() * p * 0.05;
      if (src === 0 && t > 800 && t < 1200) continue;
      if (rng.next() < 0.03) continue;
      events.push([src, BigInt(Math.round(t * 1e6))]);
    }
  });
  const ordered = events
    .map((e, k) => ({ e, k }))
    .sort((x, y) => (x.e[1] < y.e[1] ? -1 : x.e[1] > y.e[1] ? 1 : x.k - y.k))
    .map((x) => x.e);
  return ordered.map(([src, t], k) => [src, { id: `m${k}`, stamp: BigInt(k) * MS, receivedAt: t }]);
}
