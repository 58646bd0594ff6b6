import { describe, expect, it } from 'vitest';
import { Subject, concat, from, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { createRng } from '../core/prng.js';
import type { DropReason } from './drop-reasons.js';
import { DEFAULT_MAX_STAMP_JUMP_NS, ReorderBuffer, reorderWindow, type ReorderWindowOptions } from './reorder-window.js';

interface Msg {
  id: string;
  stamp: bigint;
  receivedAt: bigint;
}

const MS = 1_000_000n;

/** Messages stamped at the given milliseconds, ids `s<ms>` (a repeated stamp gets a suffix). */
function msgs(...ms: number[]): Msg[] {
  const seen = new Map<number, number>();
  return ms.map((t, k) => {
    const n = seen.get(t) ?? 0;
    seen.set(t, n + 1);
    return { id: n === 0 ? `s${t}` : `s${t}.${n}`, stamp: BigInt(t) * MS, receivedAt: BigInt(k) * MS };
  });
}

/** Pushes each message and records what came out after it; then ends. */
function drive(windowMs: number, input: Msg[], options: ReorderWindowOptions<Msg> = {}) {
  const steps: string[][] = [];
  const drops: [string, DropReason][] = [];
  let out: string[] = [];
  const buffer = new ReorderBuffer<Msg>(BigInt(windowMs) * MS, { ...options, onDropped: (m, r) => drops.push([m.id, r]) }, (m) => out.push(m.id));
  for (const m of input) {
    buffer.push(m);
    steps.push(out);
    out = [];
  }
  buffer.flush();
  return { steps, atEnd: out, drops };
}

describe('ReorderBuffer', () => {
  it('re-sorts within the window and releases a message once the newest stamp is the window past it', () => {
    const { steps, atEnd, drops } = drive(15, msgs(10, 30, 20, 40, 80));
    expect(steps).toEqual([
      [], // 10: newest 10
      ['s10'], // newest 30 ≥ 10 + 15
      [], // 20 waits: 30 − 20 < 15
      ['s20'], // newest 40: 20 leaves (40 − 20 ≥ 15); 30 waits (40 − 30 < 15)
      ['s30', 's40'], // newest 80
    ]);
    expect(atEnd).toEqual(['s80']);
    expect(drops).toEqual([]);
  });

  it('drops a message older than the last one released as late; an equal stamp still fits', () => {
    const { steps, drops } = drive(10, msgs(100, 120, 95, 100, 130));
    expect(steps).toEqual([[], ['s100'], [], ['s100.1'], ['s120']]);
    expect(drops).toEqual([['s95', 'late']]);
  });

  it('with window 0 passes messages straight through and drops backwards stamps as late', () => {
    const { steps, atEnd, drops } = drive(0, msgs(10, 20, 15, 20, 30));
    expect(steps).toEqual([['s10'], ['s20'], [], ['s20.1'], ['s30']]);
    expect(atEnd).toEqual([]);
    expect(drops).toEqual([['s15', 'late']]);
  });

  it('keeps equal stamps in arrival order', () => {
    const input = msgs(50, 10, 50, 10, 50);
    expect(drive(1000, input).atEnd).toEqual(['s10', 's10.1', 's50', 's50.1', 's50.2']);
  });

  it('drops negative stamps and stamps absurdly far from the newest as bad-stamp, either way', () => {
    const day = Number(DEFAULT_MAX_STAMP_JUMP_NS / MS);
    const { atEnd, drops } = drive(10, msgs(1_000 + day, -1, 1_000 + 2 * day + 1, 999, 1_000 + day + 5));
    expect(drops).toEqual([['s-1', 'bad-stamp'], [`s${1_000 + 2 * day + 1}`, 'bad-stamp'], ['s999', 'bad-stamp']]);
    expect(atEnd).toEqual([`s${1_000 + day}`, `s${1_000 + day + 5}`]);
    // The bound is an option.
    expect(drive(10, msgs(1_000, 1_200), { maxStampJumpNs: 100n * MS }).drops).toEqual([['s1200', 'bad-stamp']]);
  });

  it('releases the oldest early past maxBuffered; what then comes older is late', () => {
    const { steps, drops } = drive(1_000, msgs(30, 10, 20, 5, 40), { maxBuffered: 2 });
    expect(steps).toEqual([[], [], ['s10'], [], ['s20']]);
    expect(drops).toEqual([['s5', 'late']]);
  });

  it('can run on arrival time instead of stamps', () => {
    const byArrival = drive(2, msgs(3, 1, 2, 0, 4).map((m, k) => ({ ...m, receivedAt: BigInt(k) * MS })), { now: (m) => m.receivedAt });
    // receivedAt is the arrival index in ms, so arrival k releases the held stamps ≤ k − 2 ms.
    expect(byArrival.steps).toEqual([[], [], [], ['s0', 's1'], ['s2']]);
    expect(byArrival.atEnd).toEqual(['s3', 's4']);
  });

  it('rejects a bad configuration at set-up', () => {
    expect(() => reorderWindow(-1n)).toThrow(RangeError);
    expect(() => reorderWindow(1n, { maxBuffered: -1 })).toThrow(RangeError);
    expect(() => reorderWindow(1n, { maxStampJumpNs: -1n })).toThrow(RangeError);
  });
});

describe('reorderWindow operator', () => {
  it('releases before completion and flushes in order at the end', () => {
    const input = new Subject<Msg>();
    const out: string[] = [];
    let done = false;
    input.pipe(reorderWindow(10n * MS)).subscribe({ next: (m) => out.push(m.id), complete: () => (done = true) });
    const [a, b, c] = msgs(20, 15, 40);
    input.next(a);
    input.next(b);
    expect(out).toEqual([]);
    input.next(c);
    expect(out).toEqual(['s15', 's20']);
    input.complete();
    expect(out).toEqual(['s15', 's20', 's40']);
    expect(done).toBe(true);
  });

  it('on an error releases what it holds, then passes the error on', async () => {
    const out: string[] = [];
    const source = concat(from(msgs(20, 10)), throwError(() => new Error('decoder gone')));
    await expect(lastValueFrom(source.pipe(reorderWindow(100n * MS)))).rejects.toThrow('decoder gone');
    source.pipe(reorderWindow(100n * MS)).subscribe({ next: (m) => out.push(m.id), error: () => {} });
    expect(out).toEqual(['s10', 's20']);
  });

  it('passes an empty stream through', async () => {
    expect(await lastValueFrom(of<Msg>().pipe(reorderWindow(5n), toArray()))).toEqual([]);
  });

  it('property: output is sorted, every message comes out or is dropped once, and a wide window loses nothing', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = createRng(seed);
      const maxDelay = rng.int(0, 50);
      // Stamps every 10 ms, each delayed by up to maxDelay ms in arrival; a few bad ones.
      const input = Array.from({ length: 100 }, (_, k) => ({ k, at: k * 10 + rng.int(0, maxDelay) }))
        .sort((a, b) => a.at - b.at || a.k - b.k)
        .map(({ k }) => ({ id: `m${k}`, stamp: rng.next() < 0.03 ? -1n : BigInt(k * 10) * MS, receivedAt: 0n }));
      const windowMs = rng.int(0, 60);
      const drops: [string, DropReason][] = [];
      const out = await lastValueFrom(from(input).pipe(reorderWindow(BigInt(windowMs) * MS, { onDropped: (m, r) => drops.push([m.id, r]) }), toArray()));
      for (let i = 1; i < out.length; i++) expect(out[i].stamp >= out[i - 1].stamp).toBe(true);
      expect([...out.map((m) => m.id), ...drops.map(([id]) => id)].sort()).toEqual(input.map((m) => m.id).sort());
      if (windowMs >= maxDelay) expect(drops.every(([, r]) => r === 'bad-stamp')).toBe(true);
      const again = await lastValueFrom(from(input).pipe(reorderWindow(BigInt(windowMs) * MS), toArray()));
      expect(again.map((m) => m.id)).toEqual(out.map((m) => m.id));
    }
  });
});
