import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import type { BoxDetection } from './box-detection.js';
import { iou } from './iou.js';
import { nms } from './nms.js';

const det = (index: number, box: [number, number, number, number], score: number, classId = 0): BoxDetection => ({ index, box, score, classId });

describe('iou', () => {
  it('follows area(A∩B) / area(A∪B)', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBe(50 / 150);
    expect(iou([0, 0, 10, 10], [2, 2, 4, 4])).toBe(4 / 100);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
  });

  it('gives 0 for empty and inverted boxes, and is symmetric', () => {
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
    expect(iou([10, 10, 0, 0], [0, 0, 10, 10])).toBe(0);
    const rng = createRng(7);
    for (let i = 0; i < 200; i++) {
      const a = [rng.uniform(0, 50), rng.uniform(0, 50)];
      const b = [rng.uniform(0, 50), rng.uniform(0, 50)];
      const A = [a[0], a[1], a[0] + rng.uniform(0, 30), a[1] + rng.uniform(0, 30)];
      const B = [b[0], b[1], b[0] + rng.uniform(0, 30), b[1] + rng.uniform(0, 30)];
      const v = iou(A, B);
      expect(v).toBe(iou(B, A));
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });
});

describe('nms', () => {
  const a = det(0, [0, 0, 10, 10], 0.9);
  const b = det(1, [1, 0, 11, 10], 0.8); // IoU with a: 90 / 110 = 0.818
  const c = det(2, [1, 0, 11, 10], 0.85, 1); // b's box, another class
  const d = det(3, [50, 50, 60, 60], 0.7);

  it('keeps the best box and suppresses IoU > threshold, highest score first', () => {
    expect(nms([b, d, a], { iouThreshold: 0.5 })).toEqual([a, d]);
  });

  it('suppresses only IoU strictly above the threshold', () => {
    expect(nms([a, b], { iouThreshold: 90 / 110 })).toEqual([a, b]);
    expect(nms([a, b], { iouThreshold: 90 / 110 - 1e-12 })).toEqual([a]);
  });

  it('is class-aware by default, agnostic on request', () => {
    expect(nms([a, b, c, d], { iouThreshold: 0.5 })).toEqual([a, c, d]);
    expect(nms([a, b, c, d], { iouThreshold: 0.5, classAware: false })).toEqual([a, d]);
  });

  it('breaks score ties by position, whatever the sort algorithm', () => {
    const first = det(0, [0, 0, 10, 10], 0.5);
    const second = det(1, [0, 1, 10, 11], 0.5);
    expect(nms([first, second], { iouThreshold: 0.5 })).toEqual([first]);
    expect(nms([second, first], { iouThreshold: 0.5 })).toEqual([second]);
    const many = Array.from({ length: 50 }, (_, i) => det(i, [100 * i, 0, 100 * i + 10, 10], 0.5));
    expect(nms([...many], { iouThreshold: 0.5 })).toEqual(many);
  });

  it('a suppressed box suppresses nothing (greedy, not transitive)', () => {
    const x = det(0, [0, 0, 10, 10], 0.9);
    const y = det(1, [4, 0, 14, 10], 0.8); // IoU with x: 60 / 140 = 0.43
    const z = det(2, [8, 0, 18, 10], 0.7); // IoU with x: 20 / 180, with y: 0.43
    expect(nms([x, y, z], { iouThreshold: 0.4 })).toEqual([x, z]);
  });

  it('stops at maxDetections and considers only maxCandidates', () => {
    expect(nms([a, c, d], { iouThreshold: 0.5, maxDetections: 2 })).toEqual([a, c]);
    expect(nms([a, c, d], { iouThreshold: 0.5, maxCandidates: 1 })).toEqual([a]);
    expect(nms([], { iouThreshold: 0.5 })).toEqual([]);
  });

  it('never keeps NaN scores', () => {
    expect(nms([det(0, [0, 0, 1, 1], Number.NaN), d], { iouThreshold: 0.5 })).toEqual([d]);
  });

  it('agrees with a brute-force reference on random boxes', () => {
    const rng = createRng(11);
    for (let round = 0; round < 20; round++) {
      const dets = Array.from({ length: 60 }, (_, i) => {
        const x = rng.uniform(0, 100), y = rng.uniform(0, 100);
        return det(i, [x, y, x + rng.uniform(5, 40), y + rng.uniform(5, 40)], rng.int(0, 20) / 20, rng.int(0, 2));
      });
      const thr = rng.uniform(0.2, 0.7);
      for (const classAware of [true, false]) {
        const order = [...dets].sort((p, q) => q.score - p.score || p.index - q.index);
        const kept: BoxDetection[] = [];
        for (const cand of order) {
          if (kept.some((k) => (!classAware || k.classId === cand.classId) && iou(k.box, cand.box) > thr)) continue;
          kept.push(cand);
        }
        expect(nms(dets, { iouThreshold: thr, classAware })).toEqual(kept);
      }
    }
  });
});
