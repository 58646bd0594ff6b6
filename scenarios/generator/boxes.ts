/**
 * Actors are boxes standing on the ground and turned only about z. The ray test is the slab method in
 * the box's own frame, on plain numbers so it can sit in the LiDAR's inner loop.
 */

/**
 * Distance along the ray o + t·d (t ≥ 0, in units of |d|) to where it enters the box, or Infinity.
 * The box: centre (bx, by) on the ground, heading (cos, sin), half length hl, half width hw, height h.
 */
export function rayBoxEntry(
  ox: number, oy: number, oz: number, dx: number, dy: number, dz: number,
  bx: number, by: number, cos: number, sin: number, hl: number, hw: number, h: number,
): number {
  const rx = ox - bx;
  const ry = oy - by;
  const lox = cos * rx + sin * ry;
  const loy = -sin * rx + cos * ry;
  const ldx = cos * dx + sin * dy;
  const ldy = -sin * dx + cos * dy;
  let near = 0;
  let far = Infinity;
  // x slab
  if (ldx === 0) {
    if (lox < -hl || lox > hl) return Infinity;
  } else {
    let t1 = (-hl - lox) / ldx;
    let t2 = (hl - lox) / ldx;
    if (t1 > t2) { const tmp = t1; t1 = t2; t2 = tmp; }
    if (t1 > near) near = t1;
    if (t2 < far) far = t2;
    if (near > far) return Infinity;
  }
  // y slab
  if (ldy === 0) {
    if (loy < -hw || loy > hw) return Infinity;
  } else {
    let t1 = (-hw - loy) / ldy;
    let t2 = (hw - loy) / ldy;
    if (t1 > t2) { const tmp = t1; t1 = t2; t2 = tmp; }
    if (t1 > near) near = t1;
    if (t2 < far) far = t2;
    if (near > far) return Infinity;
  }
  // z slab: from the ground to the roof
  if (dz === 0) {
    if (oz < 0 || oz > h) return Infinity;
  } else {
    let t1 = -oz / dz;
    let t2 = (h - oz) / dz;
    if (t1 > t2) { const tmp = t1; t1 = t2; t2 = tmp; }
    if (t1 > near) near = t1;
    if (t2 < far) far = t2;
    if (near > far) return Infinity;
  }
  return near;
}

/** Whether a world point lies inside the box (with a margin, metres, on every side). */
export function pointInBox(
  px: number, py: number, pz: number, bx: number, by: number, yaw: number, length: number, width: number, height: number, margin = 0,
): boolean {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  const rx = px - bx;
  const ry = py - by;
  const lx = c * rx + s * ry;
  const ly = -s * rx + c * ry;
  return Math.abs(lx) <= length / 2 + margin && Math.abs(ly) <= width / 2 + margin && pz >= -margin && pz <= height + margin;
}
