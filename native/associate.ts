/**
 * Camera association: each cluster's oriented 3D box (from clusterBev) is projected into every
 * camera (its 8 corners, clipped at the near plane, plumb_bob distortion, bounding rectangle
 * clipped to the image), compared with that camera's 2D detection boxes by IoU, and matched one
 * to one per camera (Hungarian by default) above a threshold.
 *
 * The IoU matrix runs on CUDA / the addon's CPU / TypeScript (identical to the bit: the corners
 * are computed here once and the projection avoids FMA contraction); the assignment itself is
 * always TypeScript — a frame's matrices are a few dozen rows.
 */
import { chooseBackend, type BackendRequest } from './backend.js';
import { loadNative } from './index.js';
import { validateCamera, type CameraModel } from './project.js';
import { associateReference, boxCorners, CAMERA_RECORD, hungarian } from './reference/associate.js';

export { boxCorners, hungarian } from './reference/associate.js';
export type { CameraModel } from './project.js';

/** What association needs of a cluster (BevCluster fits). */
export interface AssociableCluster {
  id: number;
  minZ: number;
  maxZ: number;
  box: { cx: number; cy: number; length: number; width: number; yaw: number };
}

export interface Assignment {
  camera: number;
  /** Index of the box within its camera's list. */
  box: number;
  /** Index into the `clusters` argument. */
  cluster: number;
  /** The cluster's id. */
  clusterId: number;
  iou: number;
}

export interface AssociationResult {
  assignments: Assignment[];
  /** clusters × totalBoxes, row-major; camera c's boxes are columns boxOffsets[c] … boxOffsets[c+1]−1. */
  iou: Float64Array;
  boxOffsets: Int32Array;
  /** Projected rectangles, cameras × clusters × [x1, y1, x2, y2]; NaN when not visible. */
  rects: Float64Array;
}

export interface AssociateOptions {
  /** Pairs below this IoU are never assigned. Default 0.3. */
  iouThreshold?: number;
  /** Near plane (metres, camera z) for clipping boxes that straddle the camera. Default 0.1. */
  nearZ?: number;
  /** 'hungarian' (default, maximizes matches then total IoU) or 'greedy' (highest IoU first). */
  method?: 'hungarian' | 'greedy';
  backend?: BackendRequest;
}

interface AssociateAddon {
  associateBoxes(corners: Float64Array, clusters: number, cameras: Float64Array, cameraCount: number, boxes: Float64Array, boxCamera: Int32Array, nearZ: number, rects: Float64Array, iou: Float64Array, backend: string): Float64Array;
}

export function associateBoxes(
  clusters: readonly AssociableCluster[],
  cameras: readonly CameraModel[],
  boxes2d: readonly ArrayLike<number>[],
  options: AssociateOptions = {},
): AssociationResult {
  if (!Array.isArray(clusters)) throw new TypeError('clusters must be an array');
  if (!Array.isArray(cameras)) throw new TypeError('cameras must be an array of camera models');
  if (!Array.isArray(boxes2d)) throw new TypeError('boxes2d must be an array (one [x1, y1, x2, y2, …] list per camera)');
  if (boxes2d.length !== cameras.length) throw new RangeError(`boxes2d has ${boxes2d.length} lists for ${cameras.length} cameras`);
  const iouThreshold = options.iouThreshold ?? 0.3;
  if (typeof iouThreshold !== 'number' || !(iouThreshold >= 0 && iouThreshold <= 1)) throw new RangeError(`iouThreshold must be in [0, 1], got ${iouThreshold}`);
  const nearZ = options.nearZ ?? 0.1;
  if (typeof nearZ !== 'number' || !Number.isFinite(nearZ) || nearZ <= 0) throw new RangeError(`nearZ must be a finite number > 0, got ${nearZ}`);
  const method = options.method ?? 'hungarian';
  if (method !== 'hungarian' && method !== 'greedy') throw new TypeError(`method must be 'hungarian' or 'greedy', got ${JSON.stringify(method)}`);

  const k = clusters.length;
  const corners = new Float64Array(24 * k);
  clusters.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || c.box === null || typeof c.box !== 'object') throw new TypeError(`clusters[${i}] must be a cluster with a box`);
    const values = [c.minZ, c.maxZ, c.box.cx, c.box.cy, c.box.length, c.box.width, c.box.yaw];
    if (!values.every(Number.isFinite)) throw new RangeError(`clusters[${i}] has a non-finite box or z range`);
    boxCorners(c.box, c.minZ, c.maxZ, corners, 24 * i);
  });
  const packed = new Float64Array(CAMERA_RECORD * cameras.length);
  cameras.forEach((camera, i) => {
    const c = validateCamera(camera, `cameras[${i}]`);
    packed.set([c.width, c.height, c.fx, c.fy, c.cx, c.cy, ...c.distortion.slice(0, 5)], CAMERA_RECORD * i);
    packed.set(c.cameraFromSensor.subarray(0, 12), CAMERA_RECORD * i + 11);
  });
  const boxOffsets = new Int32Array(cameras.length + 1);
  boxes2d.forEach((list, c) => {
    if (list === null || typeof list !== 'object' || typeof list.length !== 'number') throw new TypeError(`boxes2d[${c}] must be an array of numbers`);
    if (list.length % 4 !== 0) throw new RangeError(`boxes2d[${c}].length (${list.length}) is not a multiple of 4`);
    boxOffsets[c + 1] = boxOffsets[c] + list.length / 4;
  });
  const total = boxOffsets[cameras.length];
  const boxes = new Float64Array(4 * total);
  const boxCamera = new Int32Array(total);
  boxes2d.forEach((list, c) => {
    for (let j = 0; j < list.length; j += 4) {
      const x1 = list[j], y1 = list[j + 1], x2 = list[j + 2], y2 = list[j + 3];
      if (![x1, y1, x2, y2].every(Number.isFinite) || x2 < x1 || y2 < y1) {
        throw new RangeError(`boxes2d[${c}] box ${j / 4} must be finite [x1, y1, x2, y2] with x2 ≥ x1, y2 ≥ y1`);
      }
      const at = boxOffsets[c] + j / 4;
      boxes.set([x1, y1, x2, y2], 4 * at);
      boxCamera[at] = c;
    }
  });

  const rects = new Float64Array(4 * cameras.length * k);
  const iou = new Float64Array(k * total);
  const backend = chooseBackend(options.backend).name;
  if (backend === 'ts') associateReference(corners, k, packed, cameras.length, boxes, boxCamera, nearZ, rects, iou);
  else associateAddon().associateBoxes(corners, k, packed, cameras.length, boxes, boxCamera, nearZ, rects, iou, backend);

  const assignments: Assignment[] = [];
  for (let c = 0; c < cameras.length; c++) {
    const m = boxOffsets[c + 1] - boxOffsets[c];
    const sub = new Float64Array(k * m);
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) sub[i * m + j] = iou[i * total + boxOffsets[c] + j];
    const match = method === 'hungarian' ? hungarianByIou(sub, k, m, iouThreshold) : greedyByIou(sub, k, m, iouThreshold);
    match.forEach((j, i) => {
      if (j >= 0) assignments.push({ camera: c, box: j, cluster: i, clusterId: clusters[i].id, iou: sub[i * m + j] });
    });
  }
  return { assignments, iou, boxOffsets, rects };
}

/** One-to-one, maximizing the number of pairs at or above the threshold, then their total IoU. */
function hungarianByIou(iou: Float64Array, rows: number, cols: number, threshold: number): Int32Array {
  // Pairs below the threshold cost more than any valid pair, so they are only used to fill up
  // the forced min(rows, cols) assignments and are dropped afterwards.
  const cost = iou.map((v) => (v >= threshold && v > 0 ? 1 - v : 2));
  const match = hungarian(cost, rows, cols);
  return match.map((j, i) => (j >= 0 && iou[i * cols + j] >= threshold && iou[i * cols + j] > 0 ? j : -1));
}

function greedyByIou(iou: Float64Array, rows: number, cols: number, threshold: number): Int32Array {
  const pairs: number[] = [];
  for (let t = 0; t < iou.length; t++) if (iou[t] >= threshold && iou[t] > 0) pairs.push(t);
  pairs.sort((a, b) => iou[b] - iou[a] || a - b);
  const match = new Int32Array(rows).fill(-1);
  const taken = new Uint8Array(cols);
  for (const t of pairs) {
    const i = Math.floor(t / cols), j = t % cols;
    if (match[i] < 0 && !taken[j]) {
      match[i] = j;
      taken[j] = 1;
    }
  }
  return match;
}

function associateAddon(): AssociateAddon {
  const loaded = loadNative();
  if (!loaded.ok) throw new Error(loaded.error);
  const addon = loaded.addon as unknown as Partial<AssociateAddon>;
  if (typeof addon.associateBoxes !== 'function') {
    throw new Error(`native addon ${loaded.path} has no association kernel: rebuild it with \`npm run install\``);
  }
  return addon as AssociateAddon;
}
