import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import type { GnssFix, SensorFrame } from '../core/frames.js';
import { nearestSync } from './nearest-sync.js';
import type { DropReason } from './drop-reasons.js';

const MS = 1_000_000n;

function fix(sensorId: string, ms: number, seq = 0): GnssFix {
  return {
    modality: 'gnss', sensorId, frameId: sensorId, stamp: BigInt(ms) * MS, receivedAt: BigInt(ms) * MS, seq,
    fixType: '3d', latitude: 0, longitude: 0, altitudeMsl: 0, geoidSeparation: 0, satellites: 8, hdop: 1,
    speed: 0, track: 0, heading: NaN, covariance: [],
  };
}

/** Frames from [sensor, ms] pairs, in the order given (the arrival order). */
function frames(...spec: [string, number][]): SensorFrame[] {
  return spec.map(([id, ms], i) => fix(id, ms, i));
}

async function run(input: SensorFrame[], sensors = ['ref', 'a', 'b'], toleranceMs = 20, timeoutMs = 100) {
  const drops: [string, number, DropReason][] = [];
  const sets = await lastValueFrom(
    from(input).pipe(
      nearestSync({
        reference: 'ref', sensors, toleranceNs: BigInt(toleranceMs) * MS, timeoutNs: BigInt(timeoutMs) * MS,
        clock: () => 0n, onDropped: (f, _i, r) => drops.push([f.sensorId, Number(f.stamp / MS), r]),
      }),
      toArray(),
    ),
  );
  const view = sets.map((s) => ({
    stamp: Number(s.stamp / MS),
    frames: Object.fromEntries([...s.frames].map(([id, f]) => [id, Number(f.stamp / MS)])),
    missing: s.missing,
  }));
  return { sets: view, drops };
}

describe('nearestSync', () => {
  it('takes the nearest frame of each sensor within the tolerance', async () => {
    const { sets, drops } = await run(frames(['a', 94], ['b', 98], ['ref', 100], ['a', 105], ['b', 130], ['a', 140], ['ref', 150], ['b', 160], ['a', 175], ['b', 190]));
    expect(sets).toEqual([
      { stamp: 100, frames: { ref: 100, a: 105, b: 98 }, missing: [] },
      { stamp: 150, frames: { ref: 150, a: 140, b: 160 }, missing: [] },
    ]);
    expect(drops).toEqual([['a', 94, 'unmatched'], ['a', 175, 'stream-ended'], ['b', 130, 'stream-ended'], ['b', 190, 'stream-ended']]);
  });

  it('emits as soon as every sensor has moved past the window, without waiting for the stream to end', async () => {
    const seen: number[] = [];
    const input = frames(['ref', 100], ['a', 101], ['b', 102], ['a', 125], ['b', 126]);
    await lastValueFrom(
      from(input).pipe(
        nearestSync({ reference: 'ref', sensors: ['ref', 'a', 'b'], toleranceNs: 20n * MS, timeoutNs: 100n * MS, clock: () => 0n }),
        toArray(),
      ),
    ).then((sets) => sets.forEach((s) => seen.push(Number(s.seq))));
    // The set of ref@100 is settled by b@126 (≥ 100 + 20): one set, seq 0.
    expect(seen).toEqual([0]);
  });

  it('emits a partial set when a sensor stays silent past the timeout', async () => {
    const { sets } = await run(frames(['ref', 100], ['a', 100], ['ref', 150], ['a', 150], ['ref', 200], ['a', 200], ['ref', 250], ['a', 250]), ['ref', 'a', 'b'], 20, 100);
    expect(sets[0]).toEqual({ stamp: 100, frames: { ref: 100, a: 100 }, missing: ['b'] });
    expect(sets.every((s) => s.missing.includes('b'))).toBe(true);
    expect(sets.map((s) => s.stamp)).toEqual([100, 150, 200, 250]);
  });

  it('lets one frame serve two reference stamps (zero-order hold) and breaks ties toward the earlier frame', async () => {
    const { sets } = await run(frames(['a', 90], ['a', 110], ['ref', 100], ['ref', 110], ['a', 140]), ['ref', 'a'], 20);
    expect(sets).toEqual([
      { stamp: 100, frames: { ref: 100, a: 90 }, missing: [] },
      { stamp: 110, frames: { ref: 110, a: 110 }, missing: [] },
    ]);
  });

  it('reports late, out-of-order and unknown frames', async () => {
    const { drops } = await run(frames(['ref', 100], ['a', 100], ['b', 130], ['a', 125], ['b', 95], ['a', 90], ['x', 100]), ['ref', 'a', 'b'], 20);
    expect(drops).toContainEqual(['b', 95, 'out-of-order']);
    expect(drops).toContainEqual(['a', 90, 'out-of-order']);
    expect(drops).toContainEqual(['x', 100, 'unknown-sensor']);
    const late = await run(frames(['ref', 100], ['a', 125], ['b', 125], ['ref', 150], ['c', 101]), ['ref', 'a', 'b', 'c'], 20, 40);
    expect(late.drops).toContainEqual(['c', 101, 'late']);
  });

  it('depends only on stamps and arrival order', async () => {
    const input = frames(['a', 95], ['b', 98], ['ref', 100], ['a', 105], ['b', 130], ['a', 140], ['ref', 150], ['b', 160]);
    const first = await run(input);
    const second = await run(input);
    expect(second).toEqual(first);
  });
});

describe('nearestSync with inter-message lower bounds', () => {
  it('emits without waiting for a frame that could not be nearer than the one held', async () => {
    const emittedAfter: string[] = [];
    const input = frames(['a', 98], ['ref', 100], ['b', 101], ['a', 140]);
    const labels = ['a98', 'ref100', 'b101', 'a140'];
    let i = 0;
    const sets = await lastValueFrom(
      from(input).pipe(
        tap(() => i++),
        nearestSync({
          reference: 'ref', sensors: ['ref', 'a', 'b'], toleranceNs: 20n * MS, timeoutNs: 100n * MS, clock: () => 0n,
          // a and b run at 25 Hz at most: their next frames come ≥ 40 ms after the last.
          minIntervalNs: new Map([['a', 40n * MS], ['b', 40n * MS]]),
        }),
        tap(() => emittedAfter.push(labels[i - 1])),
        toArray(),
      ),
    );
    // b@101 is 1 ms off and b's next frame is ≥ 141: nothing better can come, so the set leaves at once.
    expect(emittedAfter).toEqual(['b101']);
    expect(Object.fromEntries([...sets[0].frames].map(([id, f]) => [id, Number(f.stamp / MS)]))).toEqual({ ref: 100, a: 98, b: 101 });
  });
});
