import { describe, expect, it } from 'vitest';
import { createRng } from '../core/prng.js';
import { MotAccumulator, type MotObject } from './clear-mot.js';

const at = (id: number | string, x: number, y = 0): MotObject => ({ id, position: { x, y } });

describe('MotAccumulator on hand-computed sequences', () => {
  it('counts a miss, a false positive and matches with their distances', () => {
    const acc = new MotAccumulator();
    // o1 matched by h1 at 0.5 m; o2 has nothing within 2 m (miss); h2 is nowhere near (FP).
    const r = acc.frame([at(1, 0), at(2, 10)], [at('h1', 0.5), at('h2', 20)]);
    expect(r.matches).toEqual([{ gt: 1, hypothesis: 'h1', distance: 0.5, switched: false }]);
    expect(r.misses).toEqual([2]);
    expect(r.falsePositives).toEqual(['h2']);
    const s = acc.summary();
    expect(s).toMatchObject({ matches: 1, misses: 1, falsePositives: 1, idSwitches: 0, gtCount: 2, hypothesisCount: 2, frames: 1 });
    expect(s.mota).toBeCloseTo(1 - 2 / 2);
    expect(s.motp).toBeCloseTo(0.5);
    expect(s.precision).toBeCloseTo(0.5);
    expect(s.recall).toBeCloseTo(0.5);
  });

  it('keeps the previous correspondence while it stays within the threshold, then counts the switch', () => {
    const acc = new MotAccumulator();
    acc.frame([at(1, 0)], [at('a', 0.1)]);
    // b is closer now, but a is still within 2 m: a keeps the object, b is a false positive.
    const kept = acc.frame([at(1, 0)], [at('a', 1.5), at('b', 0.2)]);
    expect(kept.matches).toEqual([{ gt: 1, hypothesis: 'a', distance: 1.5, switched: false }]);
    expect(kept.falsePositives).toEqual(['b']);
    // a drifts beyond 2 m: b takes over — an ID switch (a is now a false positive).
    const moved = acc.frame([at(1, 0)], [at('a', 2.5), at('b', 0.2)]);
    expect(moved.matches).toEqual([{ gt: 1, hypothesis: 'b', distance: 0.2, switched: true }]);
    // b keeps it; no further switch.
    const after = acc.frame([at(1, 0)], [at('b', 0.1)]);
    expect(after.matches[0].switched).toBe(false);
    const s = acc.summary();
    expect(s).toMatchObject({ gtCount: 4, matches: 4, misses: 0, falsePositives: 2, idSwitches: 1 });
    expect(s.mota).toBeCloseTo(1 - (0 + 2 + 1) / 4);
    expect(s.motp).toBeCloseTo((0.1 + 1.5 + 0.2 + 0.1) / 4);
  });

  it('takes the threshold as inclusive and measures in the ground plane only', () => {
    const acc = new MotAccumulator({ thresholdM: 2 });
    expect(acc.frame([at(1, 0)], [at('a', 2)]).matches).toHaveLength(1);
    expect(acc.frame([at(1, 0)], [at('a', 2.0001)]).matches).toHaveLength(0);
    const high = acc.frame([{ id: 1, position: { x: 0, y: 0, z: 0 } as { x: number; y: number } }], [{ id: 'a', position: { x: 0, y: 0, z: 30 } as { x: number; y: number } }]);
    expect(high.matches[0].distance).toBe(0);
  });

  it('prefers more matches over a smaller total distance (Hungarian with gated pairs)', () => {
    const acc = new MotAccumulator();
    // Greedy would give o1↔a (0.1) and leave o2 unmatched; the optimum matches both.
    const r = acc.frame([at(1, 0), at(2, 1.95)], [at('a', 0.1), at('b', -1.5)]);
    expect(r.matches.map((m) => [m.gt, m.hypothesis]).sort()).toEqual([[1, 'b'], [2, 'a']]);
    expect(r.misses).toEqual([]);
  });

  it('refuses duplicate ids within a frame and a matrix of the wrong size', () => {
    const acc = new MotAccumulator();
    expect(() => acc.frame([at(1, 0), at(1, 5)], [])).toThrow(/twice/);
    expect(() => acc.frameWithDistances([1], ['a', 'b'], [0.1])).toThrow(/entries/);
  });

  it('gives NaN ratios when there is nothing to divide by', () => {
    const acc = new MotAccumulator();
    acc.frame([], []);
    const s = acc.summary();
    expect(s.frames).toBe(1);
    for (const k of ['mota', 'motp', 'precision', 'recall'] as const) expect(s[k]).toBeNaN();
  });

  it('scores perfect tracking as MOTA 1, MOTP 0 on a seeded random scene', () => {
    const rng = createRng(7);
    const acc = new MotAccumulator();
    const objects = Array.from({ length: 12 }, (_, i) => ({ id: i, x: rng.next() * 80 - 40, y: rng.next() * 80 - 40 }));
    for (let t = 0; t < 30; t++) {
      const present = objects.filter(() => rng.next() > 0.2).map((o) => at(o.id, o.x + t * 0.3, o.y));
      acc.frame(present, present.map((o) => ({ id: `trk${o.id}`, position: o.position })).reverse());
    }
    const s = acc.summary();
    expect(s.mota).toBe(1);
    expect(s.motp).toBe(0);
    expect(s.idSwitches).toBe(0);
  });
});

describe('MotAccumulator on the published toy examples', () => {
  // py-motmetrics' test_mota_motp (distances given directly; NaN = impossible pair), figures from its asserts.
  it("py-motmetrics' event sequence: FP frame, miss frame, match, double switch, history kept", () => {
    const acc = new MotAccumulator();
    acc.frameWithDistances([], ['a', 'b'], []);
    acc.frameWithDistances([1, 2], [], []);
    const match = acc.frameWithDistances([1, 2], ['a', 'b'], [1, 0.5, 0.3, 1]);
    expect(match.matches.map((m) => [m.gt, m.hypothesis, m.distance])).toEqual([[1, 'b', 0.5], [2, 'a', 0.3]]);
    const swap = acc.frameWithDistances([1, 2], ['a', 'b'], [0.2, NaN, NaN, 0.1]);
    expect(swap.matches.map((m) => [m.gt, m.hypothesis, m.switched])).toEqual([[1, 'a', true], [2, 'b', true]]);
    // A better new pairing exists, but the previous correspondences are still allowed: kept.
    const history = acc.frameWithDistances([1, 2], ['a', 'b'], [5, 1, 1, 5]);
    expect(history.matches.map((m) => [m.gt, m.hypothesis, m.distance, m.switched])).toEqual([[1, 'a', 5, false], [2, 'b', 5, false]]);
    acc.frameWithDistances([], [], []);
    const s = acc.summary();
    expect(s).toMatchObject({ matches: 6, falsePositives: 2, misses: 2, idSwitches: 2, gtCount: 8, hypothesisCount: 8, frames: 6 });
    expect(s.mota).toBeCloseTo(1 - (2 + 2 + 2) / 8);
    expect(s.motp).toBeCloseTo(11.1 / 6);
  });

  it("py-motmetrics' test_ids: switch, ascend (new hypothesis takes over) and migrate (no switch)", () => {
    const acc = new MotAccumulator();
    acc.frameWithDistances([], [], []);
    acc.frameWithDistances([1, 2], [1, 2], [1, 0, 0, 1]);
    acc.frameWithDistances([1, 2], [1, 2], [0.4, NaN, NaN, 0.4]);
    acc.frameWithDistances([1, 2], [1, 2], [0, 1, 1, 0]);
    acc.frameWithDistances([1, 2], [2, 3], [1, 0, 0.4, 0.7]);
    // Object 3 is new: its first correspondence (to hypothesis 2, which tracked object 2) is no switch.
    acc.frameWithDistances([1, 3], [2, 3], [1, 0, 0.4, 0.7]);
    acc.frameWithDistances([], [], []);
    const s = acc.summary();
    expect(s).toMatchObject({ matches: 10, falsePositives: 0, misses: 0, idSwitches: 3, gtCount: 10, frames: 7 });
    expect(s.mota).toBeCloseTo(1 - 3 / 10);
    expect(s.motp).toBeCloseTo(1.6 / 10);
  });

  it('Bernardin & Stiefelhagen, figure 3: MOTA averages over all objects, not over frames', () => {
    const acc = new MotAccumulator();
    for (let t = 0; t < 4; t++) acc.frameWithDistances([1, 2, 3, 4], [], []);
    for (let t = 0; t < 4; t++) acc.frameWithDistances([4], [4], [0]);
    expect(acc.summary().mota).toBeCloseTo(0.2);
  });

  it('MOT16 (Milan et al. 2016), figure 3(a): the mapping moves from the red track to the blue one — one ID switch', () => {
    const acc = new MotAccumulator();
    // The target walks along x; red follows it for three frames, then drifts off; blue picks it up.
    const red = [0.2, 1.2, 2.3, 5.5, 7.0];
    const blue = [undefined, undefined, undefined, 3.1, 4.0];
    for (let t = 0; t < 5; t++) {
      const hyps = [at('red', red[t], 0.1)];
      if (blue[t] !== undefined) hyps.push(at('blue', blue[t]!, -0.1));
      acc.frame([at(1, t)], hyps);
    }
    const s = acc.summary();
    expect(s).toMatchObject({ gtCount: 5, matches: 5, misses: 0, idSwitches: 1, falsePositives: 2 });
    expect(s.mota).toBeCloseTo(1 - (0 + 2 + 1) / 5);
  });

  it('MOT16, figure 3(b): tracked, lost for a frame, then reacquired by a new track — a miss and a switch across the gap', () => {
    const acc = new MotAccumulator();
    acc.frame([at(1, 0)], [at('red', 0.1)]);
    acc.frame([at(1, 1)], [at('red', 1.1)]);
    acc.frame([at(1, 2)], []);
    acc.frame([at(1, 3)], [at('blue', 3.1)]);
    acc.frame([at(1, 4)], [at('blue', 4.1)]);
    const s = acc.summary();
    expect(s).toMatchObject({ gtCount: 5, matches: 4, misses: 1, falsePositives: 0, idSwitches: 1 });
    expect(s.mota).toBeCloseTo(1 - 2 / 5);
  });

  it('MOT16, figure 3(c) in spirit: the same track back after a gap is no switch', () => {
    const acc = new MotAccumulator();
    acc.frame([at(1, 0)], [at('red', 0.1)]);
    acc.frame([at(1, 1)], []);
    acc.frame([at(1, 2)], [at('red', 2.1)]);
    expect(acc.summary()).toMatchObject({ matches: 2, misses: 1, idSwitches: 0 });
  });
});
