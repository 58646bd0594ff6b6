import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { parsePythonJson } from '../scenarios/import/python-json.js';
import { kittiCamera, nuscenesCameras } from './camera-models.js';
import { projectPoints } from './project.js';

const fixture = (path: string): string => fileURLToPath(new URL(`../test/fixtures/${path}`, import.meta.url));

function readFloats(path: string): Float32Array {
  const bytes = readFileSync(fixture(path));
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** Plain matrix code, independent of the importer: calib.txt rows as numbers. */
function readCalib(text: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const line of text.split('\n')) {
    const [key, rest] = line.split(':');
    if (rest) out[key.trim()] = rest.trim().split(/\s+/).map(Number);
  }
  return out;
}

function matMul(a: number[], aRows: number, aCols: number, b: number[], bCols: number): number[] {
  const out = new Array<number>(aRows * bCols).fill(0);
  for (let r = 0; r < aRows; r++) for (let c = 0; c < bCols; c++) for (let k = 0; k < aCols; k++) out[r * bCols + c] += a[r * aCols + k] * b[k * bCols + c];
  return out;
}

describe('kittiCamera', () => {
  const calibText = readFileSync(fixture('kitti/000001/calib.txt'), 'utf8');
  const points = readFloats('kitti/000001/velodyne.bin');

  it.each([2, 3, 0])('reproduces P%i·R0_rect·Tr_velo_to_cam·[x y z 1] within 1e-3 px on the real sweep', (index) => {
    const calib = readCalib(calibText);
    const R0 = calib.R0_rect, Tr = calib.Tr_velo_to_cam, P = calib[`P${index}`];
    // 4×4 versions: R0 padded, Tr with [0 0 0 1].
    const R0h = [R0[0], R0[1], R0[2], 0, R0[3], R0[4], R0[5], 0, R0[6], R0[7], R0[8], 0, 0, 0, 0, 1];
    const Trh = [...Tr, 0, 0, 0, 1];
    const full = matMul(P, 3, 4, matMul(R0h, 4, 4, Trh, 4), 4); // 3×4

    const cam = kittiCamera(calibText, index, 1242, 375);
    const r = projectPoints(points, 4, cam, { backend: 'cpu' });
    const count = points.length / 4;
    let compared = 0;
    let worst = 0;
    for (let i = 0; i < count; i++) {
      if (!r.inImage[i]) continue;
      const x = points[i * 4], y = points[i * 4 + 1], z = points[i * 4 + 2];
      const w = full[8] * x + full[9] * y + full[10] * z + full[11];
      const u = (full[0] * x + full[1] * y + full[2] * z + full[3]) / w;
      const v = (full[4] * x + full[5] * y + full[6] * z + full[7]) / w;
      worst = Math.max(worst, Math.abs(u - r.u[i]), Math.abs(v - r.v[i]));
      compared++;
    }
    expect(compared).toBeGreaterThan(10_000); // ~19k of the 120k points fall in image_2
    expect(worst).toBeLessThan(1e-3);
  });

  it('refuses a camera index outside 0..3', () => {
    expect(() => kittiCamera(calibText, 4, 1242, 375)).toThrow(RangeError);
  });
});

describe('nuscenesCameras', () => {
  const text = readFileSync(fixture('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json'), 'utf8');

  it('reads the six cameras with cam2img intrinsics and lidar2cam', () => {
    const cams = nuscenesCameras(text);
    expect(cams.map((c) => c.name).sort()).toEqual(['CAM_BACK', 'CAM_BACK_LEFT', 'CAM_BACK_RIGHT', 'CAM_FRONT', 'CAM_FRONT_LEFT', 'CAM_FRONT_RIGHT']);
    const front = cams.find((c) => c.name === 'CAM_FRONT')!;
    expect(front.camera.fx).toBeCloseTo(1266.417203046554, 9);
    expect(front.camera.cx).toBeCloseTo(816.2670197447984, 9);
    expect(front.camera.cameraFromSensor[3]).toBeCloseTo(0.01687305048108101, 12);
    expect(front.imagePath).toMatch(/CAM_FRONT__\d+\.jpg$/);
  });

  it('puts the LiDAR points ahead of CAM_FRONT into its image, as lidar2cam then cam2img does', () => {
    const pts = readFloats('nuscenes/n015-2018-07-24-11-22-45+0800__LIDAR_TOP__1532402927647951.pcd.bin');
    const info = parsePythonJson(text) as { data_list: { images: Record<string, { cam2img: number[][]; lidar2cam: number[][] }> }[] };
    const { cam2img, lidar2cam } = info.data_list[0].images.CAM_FRONT;
    const front = nuscenesCameras(text).find((c) => c.name === 'CAM_FRONT')!.camera;
    const r = projectPoints(pts, 5, front, { backend: 'ts' });
    let worst = 0, seen = 0;
    for (let i = 0; i < pts.length / 5; i++) {
      if (!r.inImage[i]) continue;
      const p = [pts[i * 5], pts[i * 5 + 1], pts[i * 5 + 2], 1];
      const c = [0, 1, 2].map((row) => lidar2cam[row].reduce((s, m, k) => s + m * p[k], 0));
      const px = [0, 1, 2].map((row) => cam2img[row].reduce((s, m, k) => s + m * c[k], 0));
      worst = Math.max(worst, Math.abs(px[0] / px[2] - r.u[i]), Math.abs(px[1] / px[2] - r.v[i]));
      seen++;
    }
    expect(seen).toBeGreaterThan(1000);
    expect(worst).toBeLessThan(1e-3);
  });
});
