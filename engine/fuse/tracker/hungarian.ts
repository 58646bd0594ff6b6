/**
 * Optimal one-to-one assignment with a cost threshold, on the Kuhn–Munkres solver the camera
 * association already uses (native/reference/associate.ts: O(n²m), rectangular).
 *
 * Leaving a row unassigned costs `maxCost`; pairs above `maxCost` (or not finite) are forbidden.
 * This is the rows × (cols + rows) formulation: each row gets a private "unassigned" column, so
 * the solver minimizes Σ matched costs + maxCost · unmatched rows. It is the same optimum as
 * padding both sides with maxCost/2, and it prefers one good pair over two poor ones — a plain
 * maximum-cardinality matching would pair everything that passes the gate.
 */
import { hungarian } from '../../../native/reference/associate.js';

export interface AssignmentResult {
  /** For each row its column, or -1. */
  rowToCol: Int32Array;
  /** For each column its row, or -1. */
  colToRow: Int32Array;
  /** Σ of the matched costs. */
  cost: number;
}

/**
 * cost: rows × cols, row-major. maxCost: a finite threshold ≥ 0, or Infinity for a
 * maximum-cardinality, minimum-cost matching of the finite entries.
 */
export function assign(cost: ArrayLike<number>, rows: number, cols: number, maxCost: number): AssignmentResult {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) throw new RangeError(`rows and cols must be integers ≥ 0, got ${rows}×${cols}`);
  if (cost.length < rows * cols) throw new RangeError(`cost has ${cost.length} entries for ${rows}×${cols}`);
  if (!(maxCost >= 0)) throw new RangeError(`maxCost must be ≥ 0 (or Infinity), got ${maxCost}`);
  const rowToCol = new Int32Array(rows).fill(-1);
  const colToRow = new Int32Array(cols).fill(-1);
  if (rows === 0 || cols === 0) return { rowToCol, colToRow, cost: 0 };

  const allowed = (c: number): boolean => Number.isFinite(c) && c <= maxCost;
  let solved: Int32Array;
  if (Number.isFinite(maxCost)) {
    // Forbidden pairs cost more than a row's own "unassigned" column, which is always free.
    const forbidden = 2 * maxCost + 1;
    const width = cols + rows;
    const m = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = cost[r * cols + c];
        m[r * width + c] = allowed(v) ? v : forbidden;
      }
      for (let c = cols; c < width; c++) m[r * width + c] = c - cols === r ? maxCost : forbidden;
    }
    solved = hungarian(m, rows, width);
  } else {
    // No threshold: forbidden entries must still never beat any set of allowed ones.
    let span = 0;
    for (let i = 0; i < rows * cols; i++) if (Number.isFinite(cost[i])) span = Math.max(span, Math.abs(cost[i]));
    const forbidden = (span + 1) * (Math.min(rows, cols) + 1) * 2;
    const m = new Float64Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) m[i] = Number.isFinite(cost[i]) ? cost[i] : forbidden;
    solved = hungarian(m, rows, cols);
  }
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const c = solved[r];
    if (c < 0 || c >= cols || !allowed(cost[r * cols + c])) continue;
    rowToCol[r] = c;
    colToRow[c] = r;
    total += cost[r * cols + c];
  }
  return { rowToCol, colToRow, cost: total };
}
