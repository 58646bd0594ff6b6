import { describe, expect, it } from 'vitest';
import { COCO_LABELS, labelOf } from './coco-labels.js';
import { computeLetterbox, identityLetterbox, unletterboxBox } from './letterbox.js';

describe('letterbox', () => {
  it('computes Ultralytics LetterBox pads (center, round(pad/2 − 0.1))', () => {
    // 1280×720 into 640: r = 0.5, 640×360, dh = 140.
    expect(computeLetterbox(1280, 720, 640, 640)).toEqual({ scale: 0.5, padX: 0, padY: 140, srcWidth: 1280, srcHeight: 720 });
    // 1600×900 (the nuScenes cameras) into 640: r = 0.4, 640×360.
    expect(computeLetterbox(1600, 900, 640, 640)).toMatchObject({ scale: 0.4, padX: 0, padY: 140 });
    // 100×95 into 64: r = 0.64, height round(60.8) = 61, total pad 3: top round(1.4) = 1 (bottom gets 2).
    expect(computeLetterbox(100, 95, 64, 64)).toMatchObject({ scale: 0.64, padX: 0, padY: 1 });
    // Portrait 480×640 into 640×640: r = 1, 480 wide, padX 80.
    expect(computeLetterbox(480, 640, 640, 640)).toMatchObject({ scale: 1, padX: 80, padY: 0 });
  });

  it('rounds halves to even as Python does', () => {
    // 5×10 into 4×5: r = 0.5, width round(2.5) = 2 in Python (3 with Math.round), padX round(0.9) = 1.
    expect(computeLetterbox(5, 10, 4, 5)).toEqual({ scale: 0.5, padX: 1, padY: 0, srcWidth: 5, srcHeight: 10 });
  });

  it('refuses sizes that are not positive', () => {
    expect(() => computeLetterbox(0, 10, 4, 4)).toThrow(/srcWidth/);
    expect(() => computeLetterbox(10, 10, 4, Number.NaN)).toThrow(/dstHeight/);
  });

  it('inverts the transform and clips to the source image', () => {
    const t = computeLetterbox(1280, 720, 640, 640);
    expect(unletterboxBox([100, 140, 300, 500], t)).toEqual([200, 0, 600, 720]);
    expect(unletterboxBox([-10, 130, 700, 510], t)).toEqual([0, 0, 1280, 720]);
    expect(unletterboxBox([1, 2, 3, 4], identityLetterbox(10, 10))).toEqual([1, 2, 3, 4]);
  });

  it('round-trips points of the image', () => {
    const t = computeLetterbox(1600, 900, 640, 384);
    const x = 123.5, y = 456.25;
    const box = unletterboxBox([x * t.scale + t.padX, y * t.scale + t.padY, 800 * t.scale + t.padX, 899 * t.scale + t.padY], t);
    expect(box[0]).toBeCloseTo(x, 9);
    expect(box[1]).toBeCloseTo(y, 9);
    expect(box[2]).toBeCloseTo(800, 9);
    expect(box[3]).toBeCloseTo(899, 9);
  });
});

describe('COCO labels', () => {
  it('has the 80 classes in the detectors’ order', () => {
    expect(COCO_LABELS).toHaveLength(80);
    expect(new Set(COCO_LABELS).size).toBe(80);
    expect([COCO_LABELS[0], COCO_LABELS[2], COCO_LABELS[9], COCO_LABELS[62], COCO_LABELS[79]])
      .toEqual(['person', 'car', 'traffic light', 'tv', 'toothbrush']);
    expect(labelOf(COCO_LABELS, 80)).toBe('class_80');
    expect(Object.isFrozen(COCO_LABELS)).toBe(true);
  });
});
