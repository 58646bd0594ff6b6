import { describe, expect, it } from 'vitest';
import { createRng } from '../../engine/core/prng.js';
import { backoffDelay, backoffSchema } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap without jitter', () => {
    const options = backoffSchema.parse({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, options))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads each delay within ± jitter, reproducibly from a seeded source', () => {
    const options = backoffSchema.parse({ initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.2 });
    const a = createRng(7);
    const b = createRng(7);
    const delays = Array.from({ length: 200 }, () => backoffDelay(1, options, a.next));
    expect(delays).toEqual(Array.from({ length: 200 }, () => backoffDelay(1, options, b.next)));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1200);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});
