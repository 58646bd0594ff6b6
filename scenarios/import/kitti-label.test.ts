import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyAffine, invertAffine, normalizeAngle, rotateByAffine } from './affine.js';
import { kittiProjectVelo, parseKittiCalib, veloToRect } from './kitti-calib.js';
import { kittiLabelToGroundTruth, parseKittiLabels } from './kitti-label.js';

const FRAME = fileURLToPath(new URL('../../test/fixtures/kitti/000001/', import.meta.url));
const LABEL_TEXT = readFileSync(`${FRAME}label_2.txt`, 'utf8');
const calib = parseKittiCalib(readFileSync(`${FRAME}calib.txt`, 'utf8'), 'calib.txt');
const toRect = veloToRect(calib);

describe('parseKittiLabels', () => {
  it('reads the seven lines of frame 000001', () => {
    const { labels, skipped } = parseKittiLabels(LABEL_TEXT, 'label_2.txt');
    expect(skipped).toBe(0);
    expect(labels.map((l) => l.type)).toEqual(['Truck', 'Car', 'Cyclist', 'DontCare', 'DontCare', 'DontCare', 'DontCare']);
    expect(labels[0]).toMatchObject({ height: 2.85, width: 2.63, length: 12.34, location: { x: 0.47, y: 1.49, z: 69.44 }, rotationY: -1.56 });
    expect(labels[0].box2d).toEqual([599.41, 156.4, 629.75, 189.25]);
  });

  it('skips, counts and reports lines that do not parse, keeping the rest', () => {
    const lines = LABEL_TEXT.trim().split('\n');
    const text = [lines[0], 'Car 0.00 0 1.85 387.63 181.54 423.81 abc 1.67 1.87 3.69 -16.53 2.39 58.49 1.57', lines[1], 'garbage', lines[2], 'Van 0 0 0 0 0 0 0 -1 1 1 0 0 0 0'].join('\n');
    const warnings: string[] = [];
    const { labels, skipped } = parseKittiLabels(text, 'label_2.txt', (m) => warnings.push(m));
    expect(labels.map((l) => l.type)).toEqual(['Truck', 'Car', 'Cyclist']);
    expect(skipped).toBe(3);
    expect(warnings).toEqual([
      'label_2.txt:2: field 8 "abc" is not a finite number (line skipped)',
      'label_2.txt:4: label line has 1 fields; expected 15 (or 16 with a score) (line skipped)',
      'label_2.txt:6: Van has a non-positive size (h -1, w 1, l 1) (line skipped)',
    ]);
  });
});

describe('kittiLabelToGroundTruth', () => {
  const labels = parseKittiLabels(LABEL_TEXT, 'label_2.txt').labels.filter((l) => l.type !== 'DontCare');
  const objects = labels.map((l, i) => kittiLabelToGroundTruth(l, toRect, i));

  it('lowercases labels and gives size as [l, w, h] and an unknown (zero) velocity', () => {
    expect(objects.map((o) => o.label)).toEqual(['truck', 'car', 'cyclist']);
    expect(objects[0].size).toEqual({ x: 12.34, y: 2.63, z: 2.85 });
    expect(objects[0].velocity).toEqual({ x: 0, y: 0, z: 0 });
  });

  it('puts the box centre half a height above the labelled bottom centre, in the Velodyne frame', () => {
    for (const [i, o] of objects.entries()) {
      const bottom = applyAffine(invertAffine(toRect), labels[i].location);
      // Velodyne z is up; the rectified camera is level to within a degree.
      expect(o.position.z - bottom.z).toBeCloseTo(labels[i].height / 2, 1);
      expect(Math.hypot(o.position.x - bottom.x, o.position.y - bottom.y)).toBeLessThan(0.05);
    }
    // The truck is straight ahead, 69 m out.
    expect(objects[0].position.x).toBeCloseTo(69.7, 1);
    expect(Math.abs(objects[0].position.y)).toBeLessThan(1);
  });

  it('yaw = −rotation_y − π/2 agrees with the heading carried through the calibration', () => {
    for (const [i, o] of objects.entries()) {
      const ry = labels[i].rotationY;
      // KITTI boxes point along rect-camera (cos ry, 0, −sin ry).
      const heading = rotateByAffine(invertAffine(toRect), { x: Math.cos(ry), y: 0, z: -Math.sin(ry) });
      expect(Math.abs(normalizeAngle(Math.atan2(heading.y, heading.x) - o.yaw))).toBeLessThan(0.01);
      expect(o.yaw).toBeGreaterThan(-Math.PI);
      expect(o.yaw).toBeLessThanOrEqual(Math.PI);
    }
  });

  it("projects each box's corners onto the annotated 2D box in image 2", () => {
    for (const [i, o] of objects.entries()) {
      const c = Math.cos(o.yaw), s = Math.sin(o.yaw);
      const us: number[] = [], vs: number[] = [];
      for (const dx of [-0.5, 0.5]) for (const dy of [-0.5, 0.5]) for (const dz of [-0.5, 0.5]) {
        const lx = dx * o.size.x, ly = dy * o.size.y;
        const px = kittiProjectVelo(calib, 2, { x: o.position.x + c * lx - s * ly, y: o.position.y + s * lx + c * ly, z: o.position.z + dz * o.size.z })!;
        us.push(px.u);
        vs.push(px.v);
      }
      const [x1, y1, x2, y2] = labels[i].box2d;
      const projected = [Math.min(...us), Math.min(...vs), Math.max(...us), Math.max(...vs)];
      // Measured: within 0.25 px on all three objects.
      projected.forEach((v, k) => expect(Math.abs(v - [x1, y1, x2, y2][k])).toBeLessThan(0.5));
    }
  });
});
