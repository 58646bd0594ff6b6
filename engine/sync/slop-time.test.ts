import { describe, expect, it } from 'vitest';
import { Subject, from, lastValueFrom, of, toArray } from 'rxjs';
import { createRng } from '../core/prng.js';
import type { DropReason } from './drop-reasons.js';
import { SlopTimeSync, slopTime } from './slop-time.js';

// Rules cited from ros2/message_filters src/message_filters/__init__.py, ApproximateTimeSynchronizer.add.

interface Msg {
  id: string;
  stamp: bigint;
}

const MS = 1_000_000n;

/** `"1@105"`: a message of source 1 stamped 105 ms, with id "1@105" (or the given id). */
function messages(...spec: string[]): [number, Msg][] {
  return spec.map((s) => {
    const [src, ms] = s.split('#')[0].split('@').map(Number);
    return [src, { id: s, stamp: BigInt(ms) * MS }];
  });
}

function drive(sourceCount: number, input: [number, Msg][], slopMs: bigint | number, queueSize = 5) {
  const sets: string[][] = [];
  const drops: [string, DropReason][] = [];
  const slopNs = BigInt(slopMs) * MS;
  const sync = new SlopTimeSync<Msg>(sourceCount, { slopNs, queueSize, onDropped: (m, _i, r) => drops.push([m.id, r]) }, (set) => sets.push(set.map((m) => m.id)));
  for (const [i, m] of input) sync.add(i, m);
  sync.flush();
  return { sets, drops };
}

describe('SlopTime', () => {
  it('emits a set once every queue has a message and their stamps span less than the slop', () => {
    const { sets, drops } = drive(2, messages('0@100', '1@105', '0@200', '1@215'), 10);
    expect(sets).toEqual([['0@100', '1@105']]);
    // 200 and 215 never pair; the Python removes only used messages, so they wait to the end.
    expect(drops).toEqual([['0@200', 'stream-ended'], ['1@215', 'stream-ended']]);
  });

  it('requires a span strictly below the slop: stamps exactly slop apart never pair, and slop 0 never emits', () => {
    // Candidates are kept when |Δ| ≤ slop, but a combination needs max − min < slop.
    expect(drive(2, messages('0@100', '1@110'), 10).sets).toEqual([]);
    expect(drive(2, messages('0@100', '1@100'), 0).sets).toEqual([]);
    expect(drive(1, messages('0@100'), 0).sets).toEqual([]);
    // A single source: the product of no other queues is one empty combination, span 0 < slop.
    expect(drive(1, messages('0@100'), 1).sets).toEqual([['0@100']]);
  });

  it('tries candidates nearest first, ties in queue order, in itertools.product order; the first fit wins', () => {
    // New 0@103: source 1 offers 100 and 106 (both 3 away, queue order kept by the stable sort),
    // source 2 offers 109 and 97 (both 6 away). The first product (1's first, 2's first) spans
    // < 10, so it is taken even where a tighter set exists. Both outcomes checked with the Python.
    expect(drive(3, messages('1@100', '1@106', '2@109', '2@97', '0@103'), 10).sets).toEqual([['0@103', '1@100', '2@109']]);
    expect(drive(3, messages('1@106', '1@100', '2@109', '2@97', '0@103'), 10).sets).toEqual([['0@103', '1@106', '2@109']]);
    // Source 1's nearest (100) cannot pair with 2's only candidate (111): the product moves on to 106.
    expect(drive(3, messages('1@100', '1@106', '2@111', '0@103'), 10).sets).toEqual([['0@103', '1@106', '2@111']]);
  });

  it('replaces a queued message with the same stamp (superseded), keeping its place in the queue', () => {
    // my_queue[stamp] = msg: a dict keeps a replaced key where it was.
    const { sets, drops } = drive(2, messages('1@106', '1@100', '1@106#again', '0@103'), 10);
    expect(sets).toEqual([['0@103', '1@106#again']]);
    expect(drops).toEqual([['1@106', 'superseded'], ['1@100', 'stream-ended']]);
  });

  it('evicts the smallest stamps past queueSize (queue-overflow), even the message just added', () => {
    // while len(my_queue) > queue_size: del my_queue[min(my_queue)]. 0@90 is the smallest of three
    // in a queue of 2, so it leaves at once and cannot be matched: 1@91 pairs with 0@100 instead.
    const { sets, drops } = drive(2, messages('0@100', '0@110', '0@90', '1@91'), 10, 2);
    expect(sets).toEqual([['0@100', '1@91']]);
    expect(drops).toEqual([['0@90', 'queue-overflow'], ['0@110', 'stream-ended']]);
  });

  it('drops negative stamps as bad-stamp', () => {
    const { sets, drops } = drive(2, messages('0@100', '1@-5', '1@101'), 10);
    expect(sets).toEqual([['0@100', '1@101']]);
    expect(drops).toEqual([['1@-5', 'bad-stamp']]);
  });

  it('agrees with the Python synchronizer on jittered, shuffled, repeated stamps (sets as arrival indices)', () => {
    // Expected: the Python add() run on the same messages (queue 4, slop 15 ms).
    const reference: Record<number, string> = {
      1: '3 10 4|12 11 13|17 18 19',
      2: '3 5 4|13 10 8|17 18 21|23 16 24|27 28 26|30 31 32|36 38 35|45 44 46|51 50 49',
      3: '11 8 10|18 16 17|24 25 23|28 29 30|32 33 31|53 55 56',
      4: '4 3 2|5 7 6|11 10 12|30 31 32|33 25 26|37 36 35',
      5: '13 8 9|16 17 18|23 21 22|37 41 36|42 45 43|46 48 49|53 50 54',
    };
    for (const [seed, expected] of Object.entries(reference)) {
      const out: string[] = [];
      const sync = new SlopTimeSync<{ stamp: bigint; k: number }>(3, { slopNs: 15n * MS, queueSize: 4 }, (set) => out.push(set.map((m) => m.k).join(' ')));
      tickMessages(Number(seed)).forEach(([i, stamp], k) => sync.add(i, { stamp, k }));
      expect(out.join('|')).toBe(expected);
    }
  });

  it('finds the same first combination as trying the whole product (brute force)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = createRng(seed);
      const n = rng.int(2, 4);
      const slopMs = rng.int(1, 20);
      const input = Array.from({ length: 60 }, (_, k): [number, Msg] => [rng.int(0, n - 1), { id: `m${k}`, stamp: BigInt(rng.int(0, 100)) * MS }]);
      expect(drive(n, input, slopMs, 6).sets).toEqual(bruteForce(n, input, BigInt(slopMs) * MS, 6));
    }
  });

  it('rejects a bad configuration at set-up', () => {
    expect(() => slopTime([], { slopNs: 1n, queueSize: 1 })).toThrow(RangeError);
    expect(() => slopTime([of<Msg>()], { slopNs: -1n, queueSize: 1 })).toThrow(RangeError);
    expect(() => slopTime([of<Msg>()], { slopNs: 1n, queueSize: 0 })).toThrow(RangeError);
  });
});

describe('slopTime over observables', () => {
  it('emits before completion and reports queued messages once at the end', () => {
    const a = new Subject<Msg>();
    const b = new Subject<Msg>();
    const seen: string[][] = [];
    const drops: [string, DropReason][] = [];
    let done = false;
    slopTime([a, b], { slopNs: 10n * MS, queueSize: 5, onDropped: (m, _i, r) => drops.push([m.id, r]) }).subscribe({
      next: (set) => seen.push(set.map((m) => m.id)),
      complete: () => (done = true),
    });
    const [[, a100], [, b104], [, a300]] = messages('0@100', '1@104', '0@300');
    a.next(a100);
    b.next(b104);
    expect(seen).toEqual([['0@100', '1@104']]);
    a.next(a300);
    b.complete();
    a.complete();
    expect(done).toBe(true);
    expect(drops).toEqual([['0@300', 'stream-ended']]);
  });

  it('with a source that never starts, reports every message once at the end', async () => {
    const drops: string[] = [];
    const input = messages('0@100', '0@200');
    const sets = await lastValueFrom(slopTime([from(input.map(([, m]) => m)), of<Msg>()], { slopNs: 10n * MS, queueSize: 5, onDropped: (m) => drops.push(m.id) }).pipe(toArray()));
    expect(sets).toEqual([]);
    expect(drops).toEqual(['0@100', '0@200']);
  });

  it('accounts for every message exactly once, keeps every set within the slop, and is deterministic', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = createRng(seed);
      const n = rng.int(1, 4);
      const input = Array.from({ length: 80 }, (_, k): [number, Msg] => [rng.int(0, n - 1), { id: `m${k}`, stamp: BigInt(rng.int(-3, 120)) * MS }]);
      const slopMs = rng.int(0, 15);
      const queueSize = rng.int(1, 5);
      const first = drive(n, input, slopMs, queueSize);
      expect(drive(n, input, slopMs, queueSize)).toEqual(first);
      const all = [...first.sets.flat(), ...first.drops.map(([id]) => id)].sort();
      expect(all).toEqual(input.map(([, m]) => m.id).sort());
      const stampOf = new Map(input.map(([, m]) => [m.id, m.stamp]));
      for (const set of first.sets) {
        const stamps = set.map((id) => stampOf.get(id)!);
        const span = stamps.reduce((a, b) => (a > b ? a : b)) - stamps.reduce((a, b) => (a < b ? a : b));
        expect(span < BigInt(slopMs) * MS).toBe(true);
      }
    }
  });
});

/** A transcription of the Python add() that tries every product in order, for comparison. */
function bruteForce(n: number, input: [number, Msg][], slop: bigint, queueSize: number): string[][] {
  const queues = Array.from({ length: n }, () => new Map<bigint, Msg>());
  const sets: string[][] = [];
  for (const [i, m] of input) {
    const q = queues[i];
    q.set(m.stamp, m);
    while (q.size > queueSize) q.delete([...q.keys()].reduce((a, b) => (a < b ? a : b)));
    const lists: bigint[][] = [];
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      if (j === i) continue;
      const near = [...queues[j].keys()].map((s) => ({ s, d: s > m.stamp ? s - m.stamp : m.stamp - s })).filter((x) => x.d <= slop);
      near.sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0));
      if (near.length === 0) ok = false;
      lists.push(near.map((x) => x.s));
    }
    if (!ok) continue;
    const product = lists.reduce<bigint[][]>((acc, list) => acc.flatMap((p) => list.map((s) => [...p, s])), [[]]);
    for (const combo of product) {
      const vv = [...combo];
      vv.splice(i, 0, m.stamp);
      const span = vv.reduce((a, b) => (a > b ? a : b)) - vv.reduce((a, b) => (a < b ? a : b));
      if (span < slop && vv.every((t, j) => queues[j].has(t))) {
        sets.push(vv.map((t, j) => queues[j].get(t)!.id));
        vv.forEach((t, j) => queues[j].delete(t));
        break;
      }
    }
  }
  return sets;
}

/** Three sources around a shared 50 ms tick, stamps on a 5 ms grid, some lost, repeated or delayed. */
function tickMessages(seed: number): [number, bigint][] {
  const rng = createRng(seed);
  const out: [number, bigint][] = [];
  for (let tick = 0; tick < 20; tick++) {
    for (let src = 0; src < 3; src++) {
      if (rng.next() < 0.1) continue;
      const stamp = BigInt(tick * 50 + rng.int(-2, 2) * 5 + 20) * MS;
      out.push([src, stamp]);
      if (rng.next() < 0.05) out.push([src, stamp]);
    }
  }
  const keyed = out.map((m, k) => ({ m, key: Number(m[1] / MS) + (rng.next() < 0.2 ? rng.uniform(0, 120) : 0), k }));
  keyed.sort((a, b) => a.key - b.key || a.k - b.k);
  return keyed.map((x) => x.m);
}
