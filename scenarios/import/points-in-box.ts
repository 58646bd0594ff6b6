import type { Vec3 } from '../../engine/core/geometry.js';

/** An upright box: centre, size along its own x (length), y (width), z (height), and yaw about z. */
export interface UprightBox {
  centre: Vec3;
  size: Vec3;
  yaw: number;
}

/** Points (x, y, z at the start of each `strideFloats` record) that fall inside the box. */
export function countPointsInBox(points: Float32Array, strideFloats: number, box: UprightBox): number {
  const c = Math.cos(box.yaw), s = Math.sin(box.yaw);
  const hx = box.size.x / 2, hy = box.size.y / 2, hz = box.size.z / 2;
  let n = 0;
  for (let i = 0; i + 2 < points.length; i += strideFloats) {
    const dx = points[i] - box.centre.x, dy = points[i + 1] - box.centre.y, dz = points[i + 2] - box.centre.z;
    if (Math.abs(dz) > hz) continue;
    // Into the box's own axes: rotate by −yaw.
    const u = c * dx + s * dy, v = -s * dx + c * dy;
    if (Math.abs(u) <= hx && Math.abs(v) <= hy) n++;
  }
  return n;
}
