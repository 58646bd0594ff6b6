/** One named figure: keys are flat and dotted (`area.thing.unit`). */
export interface Figure {
  key: string;
  value: number;
  /** What the number is, for the table: "ms (median of 5)", "× sensor time", ... */
  note: string;
}

export interface Benchmark {
  name: string;
  run(): Promise<Figure[]>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` `times` times and returns each run's wall time in milliseconds. */
export async function timeRuns(times: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}
