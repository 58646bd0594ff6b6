import { describe, expect, it } from 'vitest';
import { ClassTable } from './classes.js';
import { gateCost, gateCostMatrix, mahalanobis2 } from './gating.js';

const classes = new ClassTable();

describe('gating', () => {
  it('computes the squared Mahalanobis distance', () => {
    expect(mahalanobis2(2, 0, 4, 0, 1)).toBeCloseTo(1, 15);
    expect(mahalanobis2(0, 2, 4, 0, 1)).toBeCloseTo(4, 15);
    // S = [[2, 1], [1, 2]]: S⁻¹ = [[2, −1], [−1, 2]] / 3; d = (1, 1) → 2/3
    expect(mahalanobis2(1, 1, 2, 1, 2)).toBeCloseTo(2 / 3, 15);
    expect(mahalanobis2(1, 1, 1, 1, 1)).toBe(Infinity);
  });

  it('costs a pair by S = P + R with R from the detection class', () => {
    // car: positionStd 0.4 → R = 0.16; P = 0.84 → S = 1 → d² = 1² + 2² = 5
    const track = { x: 0, y: 0, covariance: [0.84, 0, 0, 0.84], label: 'car' };
    expect(gateCost(track, { x: 1, y: 2, label: 'car' }, classes)).toBeCloseTo(5, 12);
    // beyond the χ² gate (9.21): d² = 3² + 1 = 10
    expect(gateCost(track, { x: 3, y: 1, label: 'car' }, classes)).toBe(Infinity);
  });

  it('refuses pairs beyond the class maximum distance even inside the Mahalanobis gate', () => {
    const vague = { x: 0, y: 0, covariance: [100, 0, 0, 100], label: 'pedestrian' };
    expect(gateCost(vague, { x: 1.9, y: 0, label: 'pedestrian' }, classes)).toBeLessThan(1);
    expect(gateCost(vague, { x: 2.1, y: 0, label: 'pedestrian' }, classes)).toBe(Infinity);
  });

  it('associates only compatible classes; clusters go with anything', () => {
    const t = (label: string) => ({ x: 0, y: 0, covariance: [1, 0, 0, 1], label });
    const d = (label: string) => ({ x: 0.5, y: 0, label });
    expect(gateCost(t('car'), d('truck'), classes)).toBeLessThan(1);
    expect(gateCost(t('car'), d('pedestrian'), classes)).toBe(Infinity);
    expect(gateCost(t('pedestrian'), d('cyclist'), classes)).toBe(Infinity);
    expect(gateCost(t('cluster'), d('pedestrian'), classes)).toBeLessThan(1);
    expect(gateCost(t('car'), d('cluster'), classes)).toBeLessThan(1);
    expect(gateCost(t('car'), d('unheard-of'), classes)).toBeLessThan(1);
  });

  it('builds a tracks × detections matrix', () => {
    const tracks = [{ x: 0, y: 0, covariance: [1, 0, 0, 1], label: 'car' }, { x: 10, y: 0, covariance: [1, 0, 0, 1], label: 'car' }];
    const m = gateCostMatrix(tracks, [{ x: 10.5, y: 0, label: 'car' }, { x: 0, y: 0.5, label: 'car' }, { x: 50, y: 0, label: 'car' }], classes);
    expect(m.length).toBe(6);
    expect(m[0]).toBe(Infinity);
    expect(m[1]).toBeCloseTo(0.25 / 1.16, 12);
    expect(m[3]).toBeCloseTo(0.25 / 1.16, 12);
    expect(m[2]).toBe(Infinity);
    expect(m[5]).toBe(Infinity);
  });

  it('validates class overrides', () => {
    expect(() => new ClassTable({ car: { gate: -1 } })).toThrow(/classes\.car\.gate/);
    expect(() => new ClassTable({ car: { model: 'bicycle' as never } })).toThrow(/model/);
    expect(new ClassTable({ deer: { model: 'cv', maxDistanceM: 3 } }).get('deer').maxDistanceM).toBe(3);
  });
});
