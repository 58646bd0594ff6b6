import { describe, expect, it } from 'vitest';
import { DEFAULT_LIFECYCLE, Lifecycle, existenceAfterHit, existenceAfterMiss, validateLifecycle } from './track.js';

describe('track lifecycle', () => {
  it('updates existence by Bayes with detection and false-alarm probabilities', () => {
    // 0.7·0.5 / (0.7·0.5 + 0.3·0.5) = 0.7
    expect(existenceAfterHit(0.5, 0.7, 0.3)).toBeCloseTo(0.7, 15);
    // 0.3·0.5 / (1 − 0.35) = 0.230769…
    expect(existenceAfterMiss(0.5, 0.7)).toBeCloseTo(0.15 / 0.65, 15);
  });

  it('confirms at 3 hits within 5 updates, even with a miss between', () => {
    const l = new Lifecycle(DEFAULT_LIFECYCLE, 1);
    expect(l.state).toBe('tentative');
    l.hit();
    l.miss();
    expect(l.isDead()).toBe(false);
    expect(l.state).toBe('tentative');
    l.hit();
    expect(l.state).toBe('confirmed');
    expect(l.hits).toBe(3);
  });

  it('deletes a tentative track that can no longer reach 3 hits', () => {
    const l = new Lifecycle({ ...DEFAULT_LIFECYCLE, deleteExistence: 0.01 }, 1);
    l.miss();
    l.miss();
    expect(l.isDead()).toBe(false);
    l.miss(); // 1 hit + 1 update left < 3
    expect(l.isDead()).toBe(true);
  });

  it('coasts on a miss, comes back on a hit, dies after maxMisses', () => {
    const l = new Lifecycle({ ...DEFAULT_LIFECYCLE, deleteExistence: 0.001 }, 1);
    for (let i = 0; i < 6; i++) l.hit();
    expect(l.existence).toBeCloseTo(DEFAULT_LIFECYCLE.maxExistence, 6);
    l.miss();
    expect(l.state).toBe('coasting');
    l.miss();
    l.miss();
    expect(l.isDead()).toBe(false);
    l.hit();
    expect(l.state).toBe('confirmed');
    expect(l.misses).toBe(0);
    for (let i = 0; i < 4; i++) l.miss();
    expect(l.isDead()).toBe(false);
    l.miss();
    expect(l.isDead()).toBe(true);
  });

  it('dies sooner when its existence falls below deleteExistence', () => {
    const l = new Lifecycle(DEFAULT_LIFECYCLE, 1);
    for (let i = 0; i < 2; i++) l.hit();
    // 0.5 → 0.7 → 0.845 (confirmed); misses: 0.621, 0.329, 0.128, 0.042
    expect(l.existence).toBeCloseTo(0.49 / 0.58, 12);
    for (let i = 0; i < 3; i++) l.miss();
    expect(l.isDead()).toBe(false);
    l.miss();
    expect(l.existence).toBeLessThan(DEFAULT_LIFECYCLE.deleteExistence);
    expect(l.isDead()).toBe(true);
  });

  it('judges a tentative track by N-of-M alone, however weak the detection it was born from', () => {
    const l = new Lifecycle(DEFAULT_LIFECYCLE, 0.05);
    expect(l.existence).toBeLessThan(DEFAULT_LIFECYCLE.deleteExistence);
    expect(l.isDead()).toBe(false);
    l.hit();
    expect(l.isDead()).toBe(false);
    l.hit();
    expect(l.state).toBe('confirmed');
    // Confirmed, its existence counts again: still low (0.12), one miss takes it below 0.1.
    l.miss();
    expect(l.misses).toBeLessThan(DEFAULT_LIFECYCLE.maxMisses);
    expect(l.isDead()).toBe(true);
  });

  it('validates its parameters', () => {
    expect(() => validateLifecycle({ ...DEFAULT_LIFECYCLE, confirmHits: 6 })).toThrow(/confirmHits/);
    expect(() => validateLifecycle({ ...DEFAULT_LIFECYCLE, detectionProbability: 1 })).toThrow(/detectionProbability/);
    expect(() => validateLifecycle({ ...DEFAULT_LIFECYCLE, deleteExistence: 0.6 })).toThrow(/deleteExistence/);
  });
});
