import { describe, expect, it } from 'vitest';
import { classifyByShape } from './shape-prior.js';

describe('classifyByShape', () => {
  it('names the usual road users from what is visible along and across their heading', () => {
    expect(classifyByShape({ length: 4.4, width: 1.8, height: 1.5, points: 200 }).label).toBe('car');
    expect(classifyByShape({ length: 1.9, width: 2.6, height: 1.4, points: 80 }).label).toBe('car'); // seen from the side, partly
    expect(classifyByShape({ length: 9, width: 2.5, height: 3.2, points: 400 }).label).toBe('truck');
    expect(classifyByShape({ length: 0.6, width: 0.5, height: 1.75, points: 40 }).label).toBe('pedestrian');
    expect(classifyByShape({ length: 1.8, width: 0.6, height: 1.7, points: 40 }).label).toBe('cyclist');
    expect(classifyByShape({ length: 0.3, width: 0.3, height: 0.4, points: 10 }).label).toBe('unknown');
  });

  it('takes a car seen end-on, its width and height only, for a car', () => {
    expect(classifyByShape({ length: 0.1, width: 1.8, height: 1.5, points: 90 }).label).toBe('car');
    // Far away the top ring that hits it can be well below the roof.
    expect(classifyByShape({ length: 0.1, width: 1.7, height: 0.8, points: 12 }).label).toBe('car');
    // A cyclist seen from the side shows as long a face, but along the heading.
    expect(classifyByShape({ length: 1.8, width: 0.1, height: 1.7, points: 40 }).label).toBe('cyclist');
  });

  it('does not name a pedestrian or cyclist from a handful of points', () => {
    expect(classifyByShape({ length: 0.6, width: 0.5, height: 1.2, points: 6 }).label).toBe('unknown');
  });

  it('is less sure with fewer points', () => {
    const many = classifyByShape({ length: 4.4, width: 1.8, height: 1.5, points: 200 }).score;
    const few = classifyByShape({ length: 4.4, width: 1.8, height: 1.5, points: 8 }).score;
    expect(few).toBeLessThan(many);
    expect(many).toBeLessThanOrEqual(1);
  });
});
