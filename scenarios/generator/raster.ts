/**
 * A tiny RGB rasterizer: convex polygons filled by scanline, no anti-aliasing. Enough for flat-shaded
 * synthetic camera images, and several times faster than rasterizing SVG for the same picture.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width·height·3 bytes, rows top to bottom. */
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

export function createImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** A row of `pixels` copies of the colour, built by doubling so a polygon's fill is one memcpy per row. */
function colorRun(color: Rgb, pixels: number): Uint8Array {
  const run = new Uint8Array(Math.max(1, pixels) * 3);
  run[0] = color[0];
  run[1] = color[1];
  run[2] = color[2];
  for (let filled = 3; filled < run.length; filled *= 2) run.copyWithin(filled, 0, Math.min(filled, run.length - filled));
  return run;
}

/** Vertical gradient from `top` at row 0 to `bottom` at the last row, over the whole image. */
export function fillVerticalGradient(img: RgbImage, top: Rgb, bottom: Rgb): void {
  const rowBytes = img.width * 3;
  for (let y = 0; y < img.height; y++) {
    const f = y / Math.max(1, img.height - 1);
    const run = colorRun(
      [Math.round(top[0] + (bottom[0] - top[0]) * f), Math.round(top[1] + (bottom[1] - top[1]) * f), Math.round(top[2] + (bottom[2] - top[2]) * f)],
      img.width,
    );
    img.data.set(run, y * rowBytes);
  }
}

/**
 * Fills the convex polygon (u[i], v[i]), i < n, in pixel coordinates (pixel centres at +0.5).
 * Pixels whose centre lies inside are painted.
 */
export function fillConvexPolygon(img: RgbImage, u: Float64Array, v: Float64Array, n: number, color: Rgb): void {
  if (n < 3) return;
  let vMin = Infinity, vMax = -Infinity, uMin = Infinity, uMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (v[i] < vMin) vMin = v[i];
    if (v[i] > vMax) vMax = v[i];
    if (u[i] < uMin) uMin = u[i];
    if (u[i] > uMax) uMax = u[i];
  }
  const y0 = Math.max(0, Math.ceil(vMin - 0.5));
  const y1 = Math.min(img.height - 1, Math.ceil(vMax - 0.5) - 1);
  if (y0 > y1 || uMax < 0 || uMin > img.width) return;
  const widest = Math.min(img.width, Math.ceil(uMax - uMin) + 2);
  const run = colorRun(color, widest);
  const data = img.data;
  const rowBytes = img.width * 3;
  for (let y = y0; y <= y1; y++) {
    const yc = y + 0.5;
    let left = Infinity;
    let right = -Infinity;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const vi = v[i], vj = v[j];
      if ((vi <= yc && vj > yc) || (vj <= yc && vi > yc)) {
        const x = u[i] + ((yc - vi) * (u[j] - u[i])) / (vj - vi);
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
    if (!(left < right)) continue;
    const x0 = Math.max(0, Math.ceil(left - 0.5));
    const x1 = Math.min(img.width, Math.ceil(right - 0.5));
    if (x1 <= x0) continue;
    const count = Math.min(x1 - x0, widest);
    data.set(run.subarray(0, count * 3), y * rowBytes + x0 * 3);
  }
}
