import { describe, expect, it } from 'vitest';
import { projectPoint, type CameraModel } from '../../engine/core/geometry.js';
import { CameraProjector } from './camera-projection.js';
import { createImage, fillConvexPolygon } from './raster.js';
import type { SensorPose } from './sensor-pose.js';

const cam: CameraModel = {
  width: 1600, height: 900, fx: 1266.42, fy: 1266.42, cx: 816.27, cy: 491.51, distortionModel: 'plumb_bob', distortion: [-0.02, 0.005, 0.001, -0.0005, 0],
};
// World = optical frame: an identity pose, so vertices can be checked against projectPoint.
const identity: SensorPose = { r: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), ox: 0, oy: 0, oz: 0 };

describe('CameraProjector', () => {
  it('projects vertices exactly as the engine camera model does, distortion included', () => {
    const p = new CameraProjector(cam);
    p.setPose(identity);
    const tri = [-2, -1, 10, 2.5, -0.8, 12, 0.3, 1.5, 9];
    const n = p.project(tri, 3);
    expect(n).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 3; i++) {
      const want = projectPoint(cam, { x: tri[3 * i], y: tri[3 * i + 1], z: tri[3 * i + 2] })!;
      const hit = Array.from({ length: n }, (_, k) => Math.hypot(p.u[k] - want.u, p.v[k] - want.v));
      expect(Math.min(...hit)).toBeLessThan(1e-6);
    }
  });

  it('clips what is behind the camera and drops what is wholly out of view', () => {
    const p = new CameraProjector(cam);
    p.setPose(identity);
    expect(p.project([-1, 0, -5, 1, 0, -5, 0, 1, -5], 3)).toBe(0);
    expect(p.project([100, 0, 5, 120, 0, 5, 110, 1, 5], 3)).toBe(0);
    // A ground quad from behind to ahead of the camera is cut at the near plane, not flipped.
    const n = p.project([-3, 1.5, -10, 3, 1.5, -10, 3, 1.5, 50, -3, 1.5, 50], 4);
    expect(n).toBeGreaterThanOrEqual(4);
    for (let k = 0; k < n; k++) expect(p.v[k]).toBeGreaterThan(cam.cy);
  });
});

describe('fillConvexPolygon', () => {
  it('paints the pixels whose centres are inside', () => {
    const img = createImage(10, 6);
    fillConvexPolygon(img, Float64Array.from([2, 6, 6, 2]), Float64Array.from([1, 1, 4, 4]), 4, [10, 20, 30]);
    const painted: string[] = [];
    for (let y = 0; y < 6; y++) for (let x = 0; x < 10; x++) if (img.data[(y * 10 + x) * 3] === 10) painted.push(`${x},${y}`);
    expect(painted).toEqual(['2,1', '3,1', '4,1', '5,1', '2,2', '3,2', '4,2', '5,2', '2,3', '3,3', '4,3', '5,3']);
    expect(Array.from(img.data.subarray((1 * 10 + 2) * 3, (1 * 10 + 2) * 3 + 3))).toEqual([10, 20, 30]);
  });
});
