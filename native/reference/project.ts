/**
 * Plain TypeScript reference of the `project` kernel: the ground truth the C++ and CUDA backends
 * are tested against, and the fallback when the addon cannot be loaded.
 *
 * Every expression is evaluated in double, in exactly the order project_math.h uses, and rounded
 * to float32 once at the end, so the three backends agree bit for bit (x86-64 has no implicit
 * fused multiply-add and the CUDA code uses explicitly rounded intrinsics).
 */
import type { ProjectionCamera } from '../project.js';

export interface ProjectionOutputs {
  u: Float32Array;
  v: Float32Array;
  depth: Float32Array;
  inImage: Uint8Array;
}

function hasDistortion(camera: ProjectionCamera): boolean {
  return camera.distortion.some((k) => k !== 0);
}

/**
 * Projects `count` points into each camera; outputs are camera-major (camera c, point i at
 * c·count + i). A point is in the image when 0 ≤ u < width, 0 ≤ v < height (u, v, depth as the
 * float32 values written) and depth > minDepth; non-finite points never are.
 */
export function projectPointsReference(
  points: Float32Array,
  stride: number,
  cameras: readonly ProjectionCamera[],
  minDepth: number,
  out: ProjectionOutputs,
): void {
  const count = Math.floor(points.length / stride);
  const fround = Math.fround;
  for (let c = 0; c < cameras.length; c++) {
    const cam = cameras[c];
    const m = cam.cameraFromSensor;
    const m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3];
    const m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7];
    const m8 = m[8], m9 = m[9], m10 = m[10], m11 = m[11];
    const { fx, fy, cx, cy, width, height } = cam;
    const [k1, k2, p1, p2, k3] = cam.distortion;
    const distort = hasDistortion(cam);
    const base = c * count;
    for (let i = 0; i < count; i++) {
      const o = i * stride;
      const x = points[o], y = points[o + 1], z = points[o + 2];
      const xc = m0 * x + m1 * y + m2 * z + m3;
      const yc = m4 * x + m5 * y + m6 * z + m7;
      const zc = m8 * x + m9 * y + m10 * z + m11;
      const iz = 1 / zc;
      let xn = xc * iz;
      let yn = yc * iz;
      if (distort) {
        const r2 = xn * xn + yn * yn;
        const radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
        const xd = xn * radial + 2 * p1 * xn * yn + p2 * (r2 + 2 * xn * xn);
        const yd = yn * radial + p1 * (r2 + 2 * yn * yn) + 2 * p2 * xn * yn;
        xn = xd;
        yn = yd;
      }
      const u = fround(fx * xn + cx);
      const v = fround(fy * yn + cy);
      const d = fround(zc);
      // x - x is 0 only for finite x: a NaN/Inf point is never in the image.
      const finite = x - x === 0 && y - y === 0 && z - z === 0;
      out.u[base + i] = u;
      out.v[base + i] = v;
      out.depth[base + i] = d;
      out.inImage[base + i] = finite && u >= 0 && u < width && v >= 0 && v < height && d > minDepth ? 1 : 0;
    }
  }
}

/**
 * Z-buffer of one camera: each pixel holds the smallest float32 depth of the points that land in
 * it (pixel = floor(u), floor(v)), +Inf where none does. Equal depths: the lower point index wins,
 * which for a depth value changes nothing but keeps the rule identical to the index-carrying GPU key.
 */
export function depthImageReference(
  points: Float32Array,
  stride: number,
  camera: ProjectionCamera,
  minDepth: number,
  out: Float32Array,
): Float32Array {
  const count = Math.floor(points.length / stride);
  const proj: ProjectionOutputs = {
    u: new Float32Array(count),
    v: new Float32Array(count),
    depth: new Float32Array(count),
    inImage: new Uint8Array(count),
  };
  projectPointsReference(points, stride, [camera], minDepth, proj);
  const width = camera.width;
  out.fill(Infinity, 0, width * camera.height);
  for (let i = 0; i < count; i++) {
    if (!proj.inImage[i]) continue;
    const pixel = Math.floor(proj.v[i]) * width + Math.floor(proj.u[i]);
    if (proj.depth[i] < out[pixel]) out[pixel] = proj.depth[i];
  }
  return out;
}
