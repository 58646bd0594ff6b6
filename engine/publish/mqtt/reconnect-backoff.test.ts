import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import { reconnectDelayMs } from './reconnect-backoff.js';

describe('reconnectDelayMs', () => {
  it('doubles from the minimum, stays within ±25 % and never passes the cap', () => {
    const rng = createRng(7);
    const random = (): number => rng.uniform(0, 1);
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = reconnectDelayMs(attempt, 250, 10_000, random);
      const nominal = Math.min(10_000, 250 * 2 ** attempt);
      expect(d).toBeGreaterThanOrEqual(Math.max(250, Math.floor(nominal * 0.75)));
      expect(d).toBeLessThanOrEqual(Math.min(10_000, Math.ceil(nominal * 1.25)));
    }
  });

  it('is exact at the jitter midpoint', () => {
    expect([0, 1, 2, 3, 10].map((a) => reconnectDelayMs(a, 100, 1000, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
  });
});
