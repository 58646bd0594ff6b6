/**
 * TypeScript reference of ground removal + BEV clustering (native/src/cluster_cpu.cc). Same
 * stages, same arithmetic order, so labels and ids match the native backends exactly and floats
 * to the last bit (yaw up to atan2's last-ulp differences between V8 and libm).
 */
import { cellOf, type BevGrid, type GridShape } from './bev.js';

export interface ClusterParams {
  fields: { x: number; y: number; z: number };
  /** A point is ground when z − its cell's reference ≤ this (metres). */
  groundThreshold: number;
  /** Cells whose ground reference is above this have no ground (e.g. car roofs seen from a roof-mounted LiDAR). */
  maxGroundZ: number;
  /** The reference is the lowest z over (2r+1)² cells around the point's cell. */
  groundRadius: number;
  /** Cells within this Chebyshev distance connect (1 = 8-neighbour). */
  linkRadius: number;
  /** Components with fewer non-ground points become noise. */
  minPoints: number;
}

export const LABEL_GROUND = -1;
export const LABEL_NOISE = -2;
/** Outside the grid, or a non-finite coordinate. */
export const LABEL_OUTSIDE = -3;

/** Doubles per cluster in the packed record array. */
export const CLUSTER_RECORD = 12;
/** Field offsets inside one packed cluster record. */
export const CLUSTER_FIELDS = ['id', 'count', 'cx', 'cy', 'cz', 'minZ', 'maxZ', 'boxCx', 'boxCy', 'length', 'width', 'yaw'] as const;

export interface PackedClusters {
  labels: Int32Array;
  /** CLUSTER_RECORD doubles per cluster, in id order. */
  records: Float64Array;
}

interface Stage1 {
  cellOf: Int32Array;
  ground: Uint8Array;
  /** Per cell: the smallest cell index of its component, -1 when no non-ground point. */
  root: Int32Array;
}

function stage1(points: Float32Array, stride: number, grid: BevGrid, shape: GridShape, prm: ClusterParams): Stage1 {
  const { x: fx, y: fy, z: fz } = prm.fields;
  const n = Math.floor(points.length / stride);
  const cells = shape.width * shape.height;
  const cells1 = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    cells1[i] = Number.isFinite(points[o + fz]) ? cellOf(points[o + fx], points[o + fy], grid, shape) : -1;
  }
  const lowest = new Float32Array(cells);
  const seen = new Uint8Array(cells);
  const touched: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = cells1[i];
    if (c < 0) continue;
    const z = points[i * stride + fz];
    if (!seen[c]) {
      seen[c] = 1;
      lowest[c] = z;
      touched.push(c);
    } else if (z < lowest[c]) {
      lowest[c] = z;
    }
  }
  const reference = new Float32Array(cells);
  const gr = prm.groundRadius;
  for (const c of touched) {
    const row = Math.floor(c / shape.width), col = c % shape.width;
    let ref = lowest[c];
    for (let r = Math.max(0, row - gr); r <= Math.min(shape.height - 1, row + gr); r++) {
      for (let k = Math.max(0, col - gr); k <= Math.min(shape.width - 1, col + gr); k++) {
        const d = r * shape.width + k;
        if (seen[d] && lowest[d] < ref) ref = lowest[d];
      }
    }
    reference[c] = ref;
  }
  const ground = new Uint8Array(n);
  const root = new Int32Array(cells).fill(-1);
  const occupied: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = cells1[i];
    if (c < 0) continue;
    const ref = reference[c];
    const z = points[i * stride + fz];
    if (ref <= prm.maxGroundZ && z - ref <= prm.groundThreshold) {
      ground[i] = 1;
    } else if (root[c] < 0) {
      root[c] = c;
      occupied.push(c);
    }
  }
  // Union-find; the larger root always hooks under the smaller, so roots are component minima.
  const find = (x: number): number => {
    while (root[x] !== x) {
      root[x] = root[root[x]];
      x = root[x];
    }
    return x;
  };
  const lr = prm.linkRadius;
  for (const c of occupied) {
    const row = Math.floor(c / shape.width), col = c % shape.width;
    for (let r = row; r <= Math.min(shape.height - 1, row + lr); r++) {
      for (let k = Math.max(0, col - lr); k <= Math.min(shape.width - 1, col + lr); k++) {
        const d = r * shape.width + k;
        if (d <= c || root[d] < 0) continue;
        let a = find(c), b = find(d);
        if (a === b) continue;
        if (a < b) [a, b] = [b, a];
        root[a] = b;
      }
    }
  }
  for (const c of occupied) root[c] = find(c);
  return { cellOf: cells1, ground, root };
}

/** Ground removal and clustering; see native/cluster.ts for the options' meaning. */
export function clusterBevReference(
  points: Float32Array,
  stride: number,
  grid: BevGrid,
  shape: GridShape,
  prm: ClusterParams,
  labels: Int32Array = new Int32Array(Math.floor(points.length / stride)),
): PackedClusters {
  const s1 = stage1(points, stride, grid, shape, prm);
  const { x: fx, y: fy, z: fz } = prm.fields;
  const n = s1.cellOf.length;
  const slot = new Map<number, number>();
  const rootCells: number[] = [];
  const slotCounts: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = s1.cellOf[i];
    if (c < 0 || s1.ground[i]) continue;
    const r = s1.root[c];
    let s = slot.get(r);
    if (s === undefined) {
      s = rootCells.length;
      slot.set(r, s);
      rootCells.push(r);
      slotCounts.push(0);
    }
    slotCounts[s]++;
  }
  const order = rootCells.map((_, s) => s).sort((a, b) => rootCells[a] - rootCells[b]);
  const idOfSlot = new Int32Array(rootCells.length).fill(LABEL_NOISE);
  const sizes: number[] = [];
  for (const s of order) {
    if (slotCounts[s] < prm.minPoints) continue;
    idOfSlot[s] = sizes.length;
    sizes.push(slotCounts[s]);
  }
  const k = sizes.length;
  const sx = new Float64Array(k), sy = new Float64Array(k), sz = new Float64Array(k);
  const minZ = new Float64Array(k), maxZ = new Float64Array(k);
  const members: number[][] = sizes.map(() => []);
  for (let i = 0; i < n; i++) {
    const c = s1.cellOf[i];
    const label = c < 0 ? LABEL_OUTSIDE : s1.ground[i] ? LABEL_GROUND : idOfSlot[slot.get(s1.root[c])!];
    labels[i] = label;
    if (label < 0) continue;
    const o = i * stride;
    const z = points[o + fz];
    if (members[label].length === 0) {
      minZ[label] = z;
      maxZ[label] = z;
    } else {
      if (z < minZ[label]) minZ[label] = z;
      if (z > maxZ[label]) maxZ[label] = z;
    }
    sx[label] += points[o + fx];
    sy[label] += points[o + fy];
    sz[label] += z;
    members[label].push(i);
  }
  const records = new Float64Array(k * 12);
  for (let id = 0; id < k; id++) {
    const pts = members[id].map((i) => [points[i * stride + fx], points[i * stride + fy]] as const);
    const box = minAreaRect(convexHull(pts));
    const cnt = sizes[id];
    records.set([id, cnt, sx[id] / cnt, sy[id] / cnt, sz[id] / cnt, minZ[id], maxZ[id], box.cx, box.cy, box.length, box.width, box.yaw], id * 12);
  }
  return { labels, records };
}

type P2 = readonly [number, number];

/** Andrew's monotone chain, counter-clockwise, collinear points dropped (as cluster_cpu.cc). */
export function convexHull(input: readonly P2[]): P2[] {
  const pts = dropInterior(input).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hull: P2[] = [];
  const cross = (o: P2, a: P2, b: P2): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  for (const p of pts) {
    while (hull.length >= 2 && cross(hull[hull.length - 2], hull[hull.length - 1], p) <= 0) hull.pop();
    hull.push(p);
  }
  const lower = hull.length + 1;
  for (let i = pts.length - 1; i >= 0; i--) {
    while (hull.length >= lower && cross(hull[hull.length - 2], hull[hull.length - 1], pts[i]) <= 0) hull.pop();
    hull.push(pts[i]);
  }
  if (hull.length > 1) hull.pop();
  return hull;
}

/**
 * Drops points strictly inside the octagon of the 8 extreme points (along x, y, x+y, x−y): they
 * cannot be hull vertices (Akl–Toussaint), and it keeps the sort short. Same as DropInterior in
 * cluster_cpu.cc, decision for decision.
 */
function dropInterior(pts: readonly P2[]): P2[] {
  if (pts.length < 16) return [...pts];
  const score = (p: P2, d: number): number => {
    switch (d) {
      case 0: return -p[1];
      case 1: return p[0] - p[1];
      case 2: return p[0];
      case 3: return p[0] + p[1];
      case 4: return p[1];
      case 5: return p[1] - p[0];
      case 6: return -p[0];
      default: return -p[0] - p[1];
    }
  };
  const ext = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 1; i < pts.length; i++) {
    for (let d = 0; d < 8; d++) if (score(pts[i], d) > score(pts[ext[d]], d)) ext[d] = i;
  }
  const poly = ext.map((i) => pts[i]);
  return pts.filter((p) => {
    let inside = true, anyEdge = false;
    for (let d = 0; d < 8 && inside; d++) {
      const a = poly[d], b = poly[(d + 1) % 8];
      if (a[0] === b[0] && a[1] === b[1]) continue;
      anyEdge = true;
      const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
      if (!(cross > 0)) inside = false;
    }
    return !(inside && anyEdge);
  });
}

export interface OrientedBox {
  cx: number;
  cy: number;
  /** length ≥ width; yaw of the length axis in (−π/2, π/2]. */
  length: number;
  width: number;
  yaw: number;
}

/** Minimum-area enclosing rectangle of a convex hull: one of its sides lies on a hull edge. */
export function minAreaRect(hull: readonly P2[]): OrientedBox {
  const h = hull.length;
  const box: OrientedBox = { cx: hull[0][0], cy: hull[0][1], length: 0, width: 0, yaw: 0 };
  let best = Infinity;
  for (let i = 0; i < h; i++) {
    const j = (i + 1) % h;
    const ox = hull[i][0], oy = hull[i][1];
    const ex = hull[j][0] - ox, ey = hull[j][1] - oy;
    const len = Math.sqrt(ex * ex + ey * ey);
    if (!(len > 0)) continue;
    const ux = ex / len, uy = ey / len;
    let minA = 0, maxA = 0, minB = 0, maxB = 0;
    for (let k = 0; k < h; k++) {
      const dx = hull[k][0] - ox, dy = hull[k][1] - oy;
      const a = dx * ux + dy * uy;
      const b = dy * ux - dx * uy;
      if (a < minA) minA = a;
      if (a > maxA) maxA = a;
      if (b < minB) minB = b;
      if (b > maxB) maxB = b;
    }
    const area = (maxA - minA) * (maxB - minB);
    if (!(area < best)) continue;
    best = area;
    const ma = (minA + maxA) / 2, mb = (minB + maxB) / 2;
    box.cx = ox + ma * ux - mb * uy;
    box.cy = oy + ma * uy + mb * ux;
    const extentA = maxA - minA, extentB = maxB - minB;
    let dx = ux, dy = uy;
    if (extentA >= extentB) {
      box.length = extentA;
      box.width = extentB;
    } else {
      box.length = extentB;
      box.width = extentA;
      dx = -uy;
      dy = ux;
    }
    if (dx < 0 || (dx === 0 && dy < 0)) {
      dx = -dx;
      dy = -dy;
    }
    box.yaw = Math.atan2(dy, dx);
  }
  return box;
}
