import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, of, throwError, concat, NEVER, toArray, from } from 'rxjs';
import { createRng } from '../core/prng.js';
import type { DropReason } from './drop-reasons.js';
import { ExactTimeSync, exactTime } from './exact-time.js';

// Rules cited from ros2/message_filters include/message_filters/sync_policies/exact_time.hpp.

interface Msg {
  id: string;
  stamp: bigint;
}

const msg = (id: string, stamp: number): Msg => ({ id, stamp: BigInt(stamp) });

/** Feeds [sourceIndex, message] pairs in arrival order to the plain class; returns sets and drops as ids. */
function drive(sourceCount: number, queueSize: number, input: [number, Msg][]) {
  const sets: string[][] = [];
  const drops: [string, number, DropReason][] = [];
  const sync = new ExactTimeSync<Msg>(sourceCount, { queueSize, onDropped: (m, i, r) => drops.push([m.id, i, r]) }, (set) => sets.push(set.map((m) => m.id)));
  for (const [i, m] of input) sync.add(i, m);
  sync.flush();
  return { sets, drops };
}

describe('ExactTime', () => {
  it('emits a tuple as soon as every source has a message with its stamp, in source order', () => {
    // add(): tuples_[stamp] slot i = msg; checkTuple(): full → signal.
    const { sets, drops } = drive(3, 5, [[2, msg('c1', 1)], [0, msg('a1', 1)], [1, msg('b2', 2)], [1, msg('b1', 1)]]);
    expect(sets).toEqual([['a1', 'b1', 'c1']]);
    // b2 is newer than the emitted tuple, so it survives until the end.
    expect(drops).toEqual([['b2', 1, 'stream-ended']]);
  });

  it('drops every incomplete tuple at or before an emitted stamp as superseded', () => {
    // checkTuple(): after a signal, clearOldTuples() drops tuples with stamp ≤ last_signal_time.
    const { sets, drops } = drive(2, 5, [[0, msg('a1', 1)], [1, msg('b2', 2)], [0, msg('a3', 3)], [1, msg('b3', 3)], [0, msg('a4', 4)]]);
    expect(sets).toEqual([['a3', 'b3']]);
    expect(drops).toEqual([['a1', 0, 'superseded'], ['b2', 1, 'superseded'], ['a4', 0, 'stream-ended']]);
  });

  it('drops the oldest tuples past queueSize as queue-overflow', () => {
    // checkTuple(): while tuples_.size() > queue_size_, drop from tuples_.begin() (the oldest stamp).
    const { sets, drops } = drive(2, 2, [[0, msg('a3', 3)], [0, msg('a1', 1)], [0, msg('a2', 2)], [1, msg('b1', 1)], [1, msg('b3', 3)]]);
    // a2 makes three tuples: the oldest (stamp 1, holding a1) goes. b1 then opens a new tuple 1,
    // again the oldest of three, and goes at once. b3 completes tuple 3, which clears tuple 2.
    expect(sets).toEqual([['a3', 'b3']]);
    expect(drops).toEqual([['a1', 0, 'queue-overflow'], ['b1', 1, 'queue-overflow'], ['a2', 0, 'superseded']]);
  });

  it('keeps every tuple with queueSize 0, as ROS does', () => {
    const input: [number, Msg][] = Array.from({ length: 100 }, (_, k) => [0, msg(`a${k}`, k)]);
    const { sets, drops } = drive(2, 0, [...input, [1, msg('b99', 99)]]);
    expect(sets).toEqual([['a99', 'b99']]);
    expect(drops.filter(([, , r]) => r === 'superseded')).toHaveLength(99);
  });

  it('lets a second message with the same stamp replace the first, reported as superseded', () => {
    // add(): std::get<i>(t) = evt overwrites the slot.
    const { sets, drops } = drive(2, 5, [[0, msg('a1', 1)], [0, msg('a1bis', 1)], [1, msg('b1', 1)]]);
    expect(sets).toEqual([['a1bis', 'b1']]);
    expect(drops).toEqual([['a1', 0, 'superseded']]);
  });

  it('treats a stamp older than the last emission as ROS does: it waits, and a later emission clears it', () => {
    const { sets, drops } = drive(2, 5, [[0, msg('a5', 5)], [1, msg('b5', 5)], [0, msg('a4', 4)], [1, msg('b4', 4)], [0, msg('a3', 3)], [0, msg('a6', 6)], [1, msg('b6', 6)]]);
    // Tuple 4 completes after tuple 5 went out: ROS emits it too (last_signal_time then moves back to 4).
    expect(sets).toEqual([['a5', 'b5'], ['a4', 'b4'], ['a6', 'b6']]);
    expect(drops).toEqual([['a3', 0, 'superseded']]);
  });

  it('drops negative stamps as bad-stamp and keeps going', () => {
    const { sets, drops } = drive(2, 5, [[0, msg('neg', -1)], [0, msg('a1', 1)], [1, msg('b1', 1)]]);
    expect(sets).toEqual([['a1', 'b1']]);
    expect(drops).toEqual([['neg', 0, 'bad-stamp']]);
  });

  it('rejects a bad configuration at set-up and a bad source index at once', () => {
    expect(() => exactTime([], { queueSize: 1 })).toThrow(RangeError);
    expect(() => exactTime([of(msg('a', 1))], { queueSize: -1 })).toThrow(RangeError);
    const sync = new ExactTimeSync<Msg>(2, { queueSize: 1 }, () => {});
    expect(() => sync.add(2, msg('a', 1))).toThrow(RangeError);
  });
});

describe('exactTime over observables', () => {
  it('emits before the sources complete, and reports what is held once they all have', () => {
    const a = new Subject<Msg>();
    const b = new Subject<Msg>();
    const seen: string[][] = [];
    const drops: [string, DropReason][] = [];
    let completed = false;
    exactTime([a, b], { queueSize: 5, onDropped: (m, _i, r) => drops.push([m.id, r]) }).subscribe({
      next: (set) => seen.push(set.map((m) => m.id)),
      complete: () => (completed = true),
    });
    a.next(msg('a1', 1));
    expect(seen).toEqual([]);
    b.next(msg('b1', 1));
    expect(seen).toEqual([['a1', 'b1']]);
    a.next(msg('a2', 2));
    a.complete();
    expect(completed).toBe(false);
    expect(drops).toEqual([]);
    b.complete();
    expect(completed).toBe(true);
    expect(drops).toEqual([['a2', 'stream-ended']]);
  });

  it('handles a source that never emits and one that ends early', async () => {
    const drops: [string, DropReason][] = [];
    const sets = await lastValueFrom(
      exactTime([from([msg('a1', 1), msg('a2', 2)]), of<Msg>(), from([msg('c1', 1)])], { queueSize: 5, onDropped: (m, _i, r) => drops.push([m.id, r]) }).pipe(toArray()),
    );
    expect(sets).toEqual([]);
    expect(drops).toEqual([['a1', 'stream-ended'], ['c1', 'stream-ended'], ['a2', 'stream-ended']]);
  });

  it('on a source error reports what is held, then passes the error on', async () => {
    const drops: string[] = [];
    const failing = concat(of(msg('b1', 1)), throwError(() => new Error('link down')));
    const run = lastValueFrom(exactTime([concat(of(msg('a2', 2)), NEVER), failing], { queueSize: 5, onDropped: (m) => drops.push(m.id) }));
    await expect(run).rejects.toThrow('link down');
    expect(drops.sort()).toEqual(['a2', 'b1']);
  });

  it('ignores sources that would start after another already failed', async () => {
    const drops: string[] = [];
    const run = lastValueFrom(exactTime([throwError(() => new Error('no device')), of(msg('b1', 1))], { queueSize: 5, onDropped: (m) => drops.push(m.id) }));
    await expect(run).rejects.toThrow('no device');
    expect(drops).toEqual([]);
  });

  it('accounts for every message exactly once, deterministically (random arrivals)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = createRng(seed);
      const sourceCount = rng.int(1, 4);
      const input: [number, Msg][] = [];
      for (let k = 0; k < 80; k++) {
        const stamp = rng.next() < 0.05 ? -rng.int(1, 5) : rng.int(0, 30);
        input.push([rng.int(0, sourceCount - 1), msg(`m${k}`, stamp)]);
      }
      const queueSize = rng.int(0, 6);
      const first = drive(sourceCount, queueSize, input);
      expect(drive(sourceCount, queueSize, input)).toEqual(first);
      const published = first.sets.flat();
      const dropped = first.drops.map(([id]) => id);
      expect([...published, ...dropped].sort()).toEqual(input.map(([, m]) => m.id).sort());
      // Every set holds one message per source, all with the same stamp.
      const byId = new Map(input.map(([i, m]) => [m.id, { i, stamp: m.stamp }]));
      for (const set of first.sets) {
        expect(set.map((id) => byId.get(id)!.i)).toEqual([...Array(sourceCount).keys()]);
        expect(new Set(set.map((id) => byId.get(id)!.stamp)).size).toBe(1);
      }
    }
  });
});
