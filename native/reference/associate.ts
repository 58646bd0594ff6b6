/**
 * TypeScript reference of the association kernel (native/src/associate.h): cluster boxes
 * projected into cameras, IoU with 2D detections, and the one-to-one assignment (Hungarian,
 * TypeScript only — the matrices are tiny, the native backends only compute the IoU matrix).
 * The projection spells out the same operation order as ProjectBox so all backends agree exactly.
 */

/** The packed camera layout shared with the addon: width, height, fx, fy, cx, cy, k1, k2, p1, p2, k3, 3×4 matrix. */
export const CAMERA_RECORD = 23;

export interface BoxLike {
  cx: number;
  cy: number;
  length: number;
  width: number;
  yaw: number;
}

/**
 * The 8 corners (x, y, z) of an oriented box from minZ to maxZ: corner i takes the +length end
 * when bit 0 is set, +width with bit 1, maxZ with bit 2.
 */
export function boxCorners(box: BoxLike, minZ: number, maxZ: number, out = new Float64Array(24), offset = 0): Float64Array {
  const c = Math.cos(box.yaw), s = Math.sin(box.yaw);
  for (let i = 0; i < 8; i++) {
    const a = i & 1 ? box.length / 2 : -box.length / 2;
    const b = i & 2 ? box.width / 2 : -box.width / 2;
    out[offset + 3 * i] = box.cx + a * c - b * s;
    out[offset + 3 * i + 1] = box.cy + a * s + b * c;
    out[offset + 3 * i + 2] = i & 4 ? maxZ : minZ;
  }
  return out;
}

/** [x1, y1, x2, y2] of the projected box clipped to the image, or undefined when not visible. */
export function projectBoxReference(corners: Float64Array, offset: number, cam: Float64Array, camOffset: number, nearZ: number): [number, number, number, number] | undefined {
  const m = (i: number): number => cam[camOffset + 11 + i];
  const cx = new Float64Array(8), cy = new Float64Array(8), cz = new Float64Array(8);
  for (let i = 0; i < 8; i++) {
    const x = corners[offset + 3 * i], y = corners[offset + 3 * i + 1], z = corners[offset + 3 * i + 2];
    cx[i] = m(0) * x + m(1) * y + m(2) * z + m(3);
    cy[i] = m(4) * x + m(5) * y + m(6) * z + m(7);
    cz[i] = m(8) * x + m(9) * y + m(10) * z + m(11);
  }
  const px: number[] = [], py: number[] = [], pz: number[] = [];
  for (let i = 0; i < 8; i++) {
    if (cz[i] >= nearZ) {
      px.push(cx[i]);
      py.push(cy[i]);
      pz.push(cz[i]);
    }
  }
  for (let i = 0; i < 8; i++) {
    for (let bit = 1; bit <= 4; bit <<= 1) {
      if (i & bit) continue;
      const j = i | bit;
      if (cz[i] >= nearZ === cz[j] >= nearZ) continue;
      const t = (nearZ - cz[i]) / (cz[j] - cz[i]);
      px.push(cx[i] + t * (cx[j] - cx[i]));
      py.push(cy[i] + t * (cy[j] - cy[i]));
      pz.push(nearZ);
    }
  }
  if (px.length === 0) return undefined;
  const o = camOffset;
  const fx = cam[o + 2], fy = cam[o + 3], ppx = cam[o + 4], ppy = cam[o + 5];
  const k1 = cam[o + 6], k2 = cam[o + 7], p1 = cam[o + 8], p2 = cam[o + 9], k3 = cam[o + 10];
  let x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  for (let i = 0; i < px.length; i++) {
    const xn = px[i] / pz[i], yn = py[i] / pz[i];
    const r2 = xn * xn + yn * yn;
    const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
    const xd = xn * radial + 2 * p1 * xn * yn + p2 * (r2 + 2 * xn * xn);
    const yd = yn * radial + p1 * (r2 + 2 * yn * yn) + 2 * p2 * xn * yn;
    const u = fx * xd + ppx, v = fy * yd + ppy;
    if (i === 0) {
      x1 = x2 = u;
      y1 = y2 = v;
    } else {
      x1 = u < x1 ? u : x1;
      x2 = u > x2 ? u : x2;
      y1 = v < y1 ? v : y1;
      y2 = v > y2 ? v : y2;
    }
  }
  const w = cam[o], h = cam[o + 1];
  const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);
  x1 = clamp(x1, w);
  x2 = clamp(x2, w);
  y1 = clamp(y1, h);
  y2 = clamp(y2, h);
  return x2 > x1 && y2 > y1 ? [x1, y1, x2, y2] : undefined;
}

export function rectIou(r: ArrayLike<number>, ro: number, box: ArrayLike<number>, bo: number): number {
  if (Number.isNaN(r[ro])) return 0;
  const ix = (r[ro + 2] < box[bo + 2] ? r[ro + 2] : box[bo + 2]) - (r[ro] > box[bo] ? r[ro] : box[bo]);
  const iy = (r[ro + 3] < box[bo + 3] ? r[ro + 3] : box[bo + 3]) - (r[ro + 1] > box[bo + 1] ? r[ro + 1] : box[bo + 1]);
  if (!(ix > 0) || !(iy > 0)) return 0;
  const inter = ix * iy;
  const areaR = (r[ro + 2] - r[ro]) * (r[ro + 3] - r[ro + 1]);
  const areaB = (box[bo + 2] - box[bo]) * (box[bo + 3] - box[bo + 1]);
  const union = areaR + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** rects: cameras · clusters · 4 (NaN when not visible); iou: clusters × boxes (row-major). */
export function associateReference(
  corners: Float64Array,
  clusters: number,
  cameras: Float64Array,
  cameraCount: number,
  boxes: Float64Array,
  boxCamera: Int32Array,
  nearZ: number,
  rects: Float64Array,
  iou: Float64Array,
): void {
  for (let cam = 0; cam < cameraCount; cam++) {
    for (let k = 0; k < clusters; k++) {
      const r = projectBoxReference(corners, 24 * k, cameras, CAMERA_RECORD * cam, nearZ);
      rects.set(r ?? [NaN, NaN, NaN, NaN], 4 * (cam * clusters + k));
    }
  }
  const b = boxCamera.length;
  for (let k = 0; k < clusters; k++) {
    for (let j = 0; j < b; j++) iou[k * b + j] = rectIou(rects, 4 * (boxCamera[j] * clusters + k), boxes, 4 * j);
  }
}

/**
 * Minimum-cost one-to-one assignment (Kuhn–Munkres with potentials, O(n²m)) of a rows × cols
 * cost matrix; returns for each row its column or -1. Rectangular inputs are handled by
 * transposing so that rows ≤ cols.
 */
export function hungarian(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const result = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return result;
  if (rows > cols) {
    const t = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = cost[r * cols + c];
    const colToRow = hungarian(t, cols, rows);
    colToRow.forEach((r, c) => {
      if (r >= 0) result[r] = c;
    });
    return result;
  }
  const n = rows, m = cols;
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  for (let j = 1; j <= m; j++) if (p[j] > 0) result[p[j] - 1] = j - 1;
  return result;
}
