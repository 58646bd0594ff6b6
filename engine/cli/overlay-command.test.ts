import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { UsageError } from './cli-error.js';
import { runOverlayCommand, turbo } from './overlay-command.js';

const fixture = (path: string): string => fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
const KITTI = 'kitti/000001';
const NUSCENES = 'nuscenes/n015-2018-07-24-11-22-45+0800';
const dir = mkdtempSync(join(tmpdir(), 'percept-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function changedPixels(imagePath: string, overlayPath: string): Promise<{ width: number; height: number; changed: number }> {
  const a = await sharp(imagePath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const b = await sharp(overlayPath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(b.info.width).toBe(a.info.width);
  expect(b.info.height).toBe(a.info.height);
  let changed = 0;
  for (let i = 0; i < a.data.length; i += 3) {
    if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) changed++;
  }
  return { width: b.info.width, height: b.info.height, changed };
}

describe('percept overlay', () => {
  const quiet = (): void => void vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

  it('draws the KITTI sweep on image_2', async () => {
    quiet();
    const out = join(dir, 'kitti.png');
    await runOverlayCommand({ calib: fixture(`${KITTI}/calib.txt`), points: fixture(`${KITTI}/velodyne.bin`), image: fixture(`${KITTI}/image_2.png`), out });
    const r = await changedPixels(fixture(`${KITTI}/image_2.png`), out);
    expect([r.width, r.height]).toEqual([1242, 375]);
    expect(r.changed).toBeGreaterThan(30_000); // ~18.6k points, 2×2 dots
    vi.restoreAllMocks();
  });

  it('draws the nuScenes sweep on CAM_BACK', async () => {
    quiet();
    const out = join(dir, 'nuscenes.png');
    const image = fixture(`${NUSCENES}__CAM_BACK__1532402927637525.jpg`);
    await runOverlayCommand({ info: fixture(`${NUSCENES}.from_pkl.json`), points: fixture(`${NUSCENES}__LIDAR_TOP__1532402927647951.pcd.bin`), image, out, camera: 'CAM_BACK' });
    const r = await changedPixels(image, out);
    expect([r.width, r.height]).toEqual([1600, 900]);
    // JPEG → PNG is lossless, so only drawn pixels differ.
    expect(r.changed).toBeGreaterThan(5_000);
    vi.restoreAllMocks();
  });

  it('reports user errors as UsageError', async () => {
    const base = { points: fixture(`${KITTI}/velodyne.bin`), image: fixture(`${KITTI}/image_2.png`), out: join(dir, 'x.png') };
    await expect(runOverlayCommand(base)).rejects.toThrow(/--calib calib.txt is needed/);
    await expect(runOverlayCommand({ ...base, calib: join(dir, 'missing.txt') })).rejects.toThrow(UsageError);
    await expect(runOverlayCommand({ ...base, calib: fixture(`${KITTI}/calib.txt`), camera: '7' })).rejects.toThrow(/--camera for KITTI/);
    await expect(runOverlayCommand({ ...base, calib: fixture(`${KITTI}/label_2.txt`) })).rejects.toThrow(UsageError);
    await expect(runOverlayCommand({ ...base, format: 'waymo' })).rejects.toThrow(/--format/);
    await expect(runOverlayCommand({ ...base, info: fixture(`${NUSCENES}.from_pkl.json`), camera: 'CAM_TOP' })).rejects.toThrow(UsageError);
    await expect(runOverlayCommand({ ...base, calib: fixture(`${KITTI}/calib.txt`), image: fixture(`${KITTI}/calib.txt`) })).rejects.toThrow(/cannot decode/);
  });

  it('colours near red and far blue', () => {
    const [r1, , b1] = turbo(1);
    const [r0, , b0] = turbo(0.15);
    expect(r1).toBeGreaterThan(100);
    expect(b1).toBeLessThan(30);
    expect(b0).toBeGreaterThan(200);
    expect(r0).toBeLessThan(100);
  });
});
