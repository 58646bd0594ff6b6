import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import { assign } from './hungarian.js';

/** The objective assign minimizes: Σ matched + maxCost · unmatched rows (forbidden pairs never). */
function bruteForce(cost: number[], rows: number, cols: number, maxCost: number): number {
  let best = Infinity;
  const used = new Array<boolean>(cols).fill(false);
  const visit = (r: number, total: number): void => {
    if (r === rows) {
      best = Math.min(best, total);
      return;
    }
    visit(r + 1, total + maxCost);
    for (let c = 0; c < cols; c++) {
      const v = cost[r * cols + c];
      if (used[c] || !(Number.isFinite(v) && v <= maxCost)) continue;
      used[c] = true;
      visit(r + 1, total + v);
      used[c] = false;
    }
  };
  visit(0, 0);
  return best;
}

function objective(cost: number[], rows: number, rowToCol: Int32Array, maxCost: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowToCol[r] >= 0 ? cost[r * (cost.length / rows) + rowToCol[r]] : maxCost;
  return total;
}

describe('assign (Hungarian with a cost threshold)', () => {
  it('matches brute force on random rectangular matrices with forbidden pairs', () => {
    const rng = createRng(42);
    for (let trial = 0; trial < 300; trial++) {
      const rows = rng.int(1, 6), cols = rng.int(1, 6);
      const maxCost = rng.uniform(2, 9);
      const cost = Array.from({ length: rows * cols }, () => (rng.next() < 0.25 ? Infinity : rng.uniform(0, 12)));
      const { rowToCol, colToRow, cost: total } = assign(cost, rows, cols, maxCost);
      // one to one, consistent both ways, only allowed pairs
      const seen = new Set<number>();
      rowToCol.forEach((c, r) => {
        if (c < 0) return;
        expect(seen.has(c)).toBe(false);
        seen.add(c);
        expect(colToRow[c]).toBe(r);
        expect(cost[r * cols + c]).toBeLessThanOrEqual(maxCost);
      });
      expect(objective(cost, rows, rowToCol, maxCost)).toBeCloseTo(bruteForce(cost, rows, cols, maxCost), 9);
      let matched = 0;
      rowToCol.forEach((c, r) => (matched += c >= 0 ? cost[r * cols + c] : 0));
      expect(total).toBeCloseTo(matched, 12);
    }
  });

  it('prefers one good pair to two poor ones', () => {
    // rows A, B; cols X, Y: A–X 1, A–Y 9, B–X 9, B–Y forbidden
    const { rowToCol } = assign([1, 9, 9, Infinity], 2, 2, 9.21);
    expect([...rowToCol]).toEqual([0, -1]);
  });

  it('without a threshold, matches as many pairs as it can at least cost', () => {
    const { rowToCol } = assign([1, 9, 9, Infinity], 2, 2, Infinity);
    expect([...rowToCol]).toEqual([1, 0]);
  });

  it('leaves everything unmatched when every pair is forbidden, and handles empty sides', () => {
    expect([...assign([Infinity, 20, NaN, 30], 2, 2, 10).rowToCol]).toEqual([-1, -1]);
    expect(assign([], 0, 3, 10).colToRow).toEqual(new Int32Array([-1, -1, -1]));
    expect(assign([], 4, 0, 10).rowToCol).toEqual(new Int32Array([-1, -1, -1, -1]));
  });

  it('refuses malformed input', () => {
    expect(() => assign([1, 2], 2, 2, 5)).toThrow(RangeError);
    expect(() => assign([1], 1, 1, -1)).toThrow(RangeError);
    expect(() => assign([1], 1.5, 1, 1)).toThrow(RangeError);
  });
});
