import type { CameraModel } from '../../engine/core/geometry.js';
import { worldToSensor, type SensorPose } from './sensor-pose.js';

/**
 * World polygons → pixel polygons for one camera pose: into the optical frame, clipped against the
 * near plane and a frustum slightly wider than the image (so distortion is only ever evaluated where
 * it is well behaved), then projected through the plumb_bob model vertex by vertex. Long edges are
 * split first so that straight world lines bend as the lens bends them.
 */

const NEAR = 0.2;
const FRUSTUM_MARGIN = 0.05;
/** Longest projected edge, in pixels, drawn as one straight segment when the lens distorts. */
const MAX_EDGE_PIXELS = 48;
const MAX_VERTICES = 512;

/** A clipping plane through the camera: inside where a·x + b·y + c·z + d ≥ 0. */
type Plane = readonly [number, number, number, number];

export class CameraProjector {
  readonly #cam: CameraModel;
  readonly #planes: readonly Plane[];
  readonly #distorts: boolean;
  #pose: SensorPose | undefined;
  // Scratch buffers, reused: one polygon at a time.
  readonly #a = new Float64Array(MAX_VERTICES * 3);
  readonly #b = new Float64Array(MAX_VERTICES * 3);
  readonly #p = new Float64Array(3);
  readonly u = new Float64Array(MAX_VERTICES);
  readonly v = new Float64Array(MAX_VERTICES);

  constructor(cam: CameraModel) {
    this.#cam = cam;
    const xMin = -cam.cx / cam.fx - FRUSTUM_MARGIN;
    const xMax = (cam.width - cam.cx) / cam.fx + FRUSTUM_MARGIN;
    const yMin = -cam.cy / cam.fy - FRUSTUM_MARGIN;
    const yMax = (cam.height - cam.cy) / cam.fy + FRUSTUM_MARGIN;
    this.#planes = [
      [0, 0, 1, -NEAR],
      [1, 0, -xMin, 0],
      [-1, 0, xMax, 0],
      [0, 1, -yMin, 0],
      [0, -1, yMax, 0],
    ];
    this.#distorts = cam.distortionModel === 'plumb_bob' && cam.distortion.some((k) => k !== 0);
  }

  setPose(pose: SensorPose): void {
    this.#pose = pose;
  }

  /** Optical-frame depth of a world point (for painter's ordering). */
  depth(x: number, y: number, z: number): number {
    worldToSensor(this.#pose!, x, y, z, this.#p);
    return this.#p[2];
  }

  /**
   * Projects the world polygon xyz (n vertices, flat x,y,z) into this.u / this.v; returns the vertex
   * count there, 0 when nothing of it is in view.
   */
  project(xyz: ArrayLike<number>, n: number): number {
    const pose = this.#pose!;
    let src = this.#a;
    let dst = this.#b;
    const p = this.#p;
    for (let i = 0; i < n; i++) {
      worldToSensor(pose, xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2], p);
      src[3 * i] = p[0];
      src[3 * i + 1] = p[1];
      src[3 * i + 2] = p[2];
    }
    let count = n;
    for (const plane of this.#planes) {
      count = clipAgainstPlane(src, count, dst, plane);
      if (count < 3) return 0;
      const tmp = src;
      src = dst;
      dst = tmp;
    }
    if (this.#distorts) {
      count = this.#splitLongEdges(src, count, dst);
      src = dst;
    }
    const cam = this.#cam;
    for (let i = 0; i < count; i++) {
      let x = src[3 * i] / src[3 * i + 2];
      let y = src[3 * i + 1] / src[3 * i + 2];
      if (this.#distorts) {
        const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0] = cam.distortion;
        const r2 = x * x + y * y;
        const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
        const xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
        const yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
        x = xd;
        y = yd;
      }
      this.u[i] = cam.fx * x + cam.cx;
      this.v[i] = cam.fy * y + cam.cy;
    }
    return count;
  }

  #splitLongEdges(src: Float64Array, n: number, dst: Float64Array): number {
    const cam = this.#cam;
    let out = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = src[3 * i], ay = src[3 * i + 1], az = src[3 * i + 2];
      const bx = src[3 * j], by = src[3 * j + 1], bz = src[3 * j + 2];
      const du = cam.fx * (bx / bz - ax / az);
      const dv = cam.fy * (by / bz - ay / az);
      const pieces = Math.max(1, Math.min(32, Math.ceil(Math.hypot(du, dv) / MAX_EDGE_PIXELS)));
      for (let k = 0; k < pieces && out < MAX_VERTICES; k++) {
        const f = k / pieces;
        dst[3 * out] = ax + (bx - ax) * f;
        dst[3 * out + 1] = ay + (by - ay) * f;
        dst[3 * out + 2] = az + (bz - az) * f;
        out++;
      }
    }
    return out;
  }
}

/** Sutherland–Hodgman against one plane; returns the new vertex count in dst. */
function clipAgainstPlane(src: Float64Array, n: number, dst: Float64Array, plane: Plane): number {
  const [a, b, c, d] = plane;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const si = a * src[3 * i] + b * src[3 * i + 1] + c * src[3 * i + 2] + d;
    const sj = a * src[3 * j] + b * src[3 * j + 1] + c * src[3 * j + 2] + d;
    if (si >= 0 && out < MAX_VERTICES) {
      dst[3 * out] = src[3 * i];
      dst[3 * out + 1] = src[3 * i + 1];
      dst[3 * out + 2] = src[3 * i + 2];
      out++;
    }
    if ((si >= 0) !== (sj >= 0) && out < MAX_VERTICES) {
      const f = si / (si - sj);
      dst[3 * out] = src[3 * i] + (src[3 * j] - src[3 * i]) * f;
      dst[3 * out + 1] = src[3 * i + 1] + (src[3 * j + 1] - src[3 * i + 1]) * f;
      dst[3 * out + 2] = src[3 * i + 2] + (src[3 * j + 2] - src[3 * i + 2]) * f;
      out++;
    }
  }
  return out;
}
