import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { COCO_LABELS } from '../encode/coco-labels.js';
import { UsageError } from './cli-error.js';
import { boxColour, runOverlayCommand, turbo } from './overlay-command.js';

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

  /** Runs the command with stdout captured, as lines. */
  async function overlayLines(opts: Parameters<typeof runOverlayCommand>[0]): Promise<string[]> {
    let text = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      text += String(chunk);
      return true;
    });
    try {
      await runOverlayCommand(opts);
    } finally {
      vi.restoreAllMocks();
    }
    return text.split('\n').filter((l) => l.length > 0);
  }

  /** The detection lines (`label score [x1, y1, x2, y2]`), most confident first. */
  function detectionsOf(lines: string[]): { label: string; score: number; box: number[] }[] {
    return lines.flatMap((l) => {
      const m = /^(.+) (\d\.\d{3}) \[([^\]]+)\]$/.exec(l);
      return m ? [{ label: m[1], score: Number(m[2]), box: m[3].split(', ').map(Number) }] : [];
    });
  }

  /** Pixels on the left and right edges of a box's outline, at half its height. */
  async function outlinePixels(path: string, box: number[]): Promise<number[][]> {
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const y = Math.round((box[1] + box[3]) / 2);
    return [Math.round(box[0]) + 1, Math.round(box[2]) - 2].map((x) => {
      const o = (y * info.width + x) * info.channels;
      return [data[o], data[o + 1], data[o + 2]];
    });
  }

  it('draws the KITTI sweep and the coco detector\'s boxes', async () => {
    const out = join(dir, 'kitti-detect.png');
    const lines = await overlayLines({
      calib: fixture(`${KITTI}/calib.txt`), points: fixture(`${KITTI}/velodyne.bin`), image: fixture(`${KITTI}/image_2.png`), out, detect: 'coco',
    });
    const found = detectionsOf(lines);
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((d) => d.score)).toEqual([...found.map((d) => d.score)].sort((a, b) => b - a));
    expect(lines.at(-1)).toMatch(new RegExp(`^wrote .*: \\d+ of \\d+ points in KITTI camera 2, ${found.length} detections by coco \\(1242×375\\)$`));
    const top = found[0];
    const colour = boxColour(COCO_LABELS.indexOf(top.label));
    expect(await outlinePixels(out, top.box)).toEqual([colour, colour]);
    const r = await changedPixels(fixture(`${KITTI}/image_2.png`), out);
    expect(r.changed).toBeGreaterThan(30_000);
  });

  it('draws boxes alone with --detect and no --points', async () => {
    const out = join(dir, 'nuscenes-detect.png');
    const image = fixture(`${NUSCENES}__CAM_FRONT__1532402927612460.jpg`);
    const lines = await overlayLines({ image, out, detect: true });
    const found = detectionsOf(lines);
    expect(found.map((d) => d.label)).toContain('car');
    expect(lines.at(-1)).toBe(`wrote ${out}: ${found.length} detections by coco (1600×900)`);
    for (const d of found.slice(0, 3)) {
      const colour = boxColour(COCO_LABELS.indexOf(d.label));
      expect((await outlinePixels(out, d.box)).some((p) => p.join() === colour.join())).toBe(true);
    }
    const r = await changedPixels(image, out);
    expect(r.changed).toBeGreaterThan(1_000);
  });

  it('reports a bad --detect model, and no --points without --detect, as one-line UsageErrors', async () => {
    const base = { image: fixture(`${KITTI}/image_2.png`), out: join(dir, 'y.png') };
    const missing = join(dir, 'missing.onnx');
    const err = await runOverlayCommand({ ...base, detect: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`--detect: model not found: ${missing}`);
    await expect(runOverlayCommand({ ...base, detect: fixture(`${KITTI}/calib.txt`) })).rejects.toThrow(/^--detect: cannot load model [^\n]*$/);
    await expect(runOverlayCommand(base)).rejects.toThrow(/required option '--points <file>' not specified/);
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
