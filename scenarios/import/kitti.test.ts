import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sensorCameraModel, sensorExtrinsic, validateRig } from '../../engine/config/load-rig.js';
import { pointFloats, type CameraFrame, type PointCloud } from '../../engine/core/frames.js';
import { invertTransform, projectPoint, transformPoint } from '../../engine/core/geometry.js';
import { ImportError } from './import-error.js';
import { KITTI_EPOCH, importKitti } from './kitti.js';
import { kittiProjectVelo, parseKittiCalib } from './kitti-calib.js';
import { readScenarioFile, type ScenarioContents } from './testing/read-scenario-file.js';

const FRAME = fileURLToPath(new URL('../../test/fixtures/kitti/000001/', import.meta.url));
const FRAME_FILES = ['velodyne.bin', 'image_2.png', 'calib.txt', 'label_2.txt'];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'percept-kitti-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of frame 000001 in its own folder, optionally with some files replaced or left out. */
async function frameCopy(name: string, change: Record<string, Uint8Array | string | null> = {}): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const file of FRAME_FILES) {
    if (change[file] === null) continue;
    if (change[file] !== undefined) await writeFile(join(dir, file), change[file]!);
    else await copyFile(join(FRAME, file), join(dir, file));
  }
  return dir;
}

async function importError(options: Parameters<typeof importKitti>[0]): Promise<ImportError> {
  try {
    await importKitti(options);
  } catch (err) {
    if (err instanceof ImportError) return err;
    throw err;
  }
  throw new Error('expected an ImportError');
}

describe('importKitti on frame 000001', () => {
  let contents: ScenarioContents;
  let result: Awaited<ReturnType<typeof importKitti>>;
  beforeAll(async () => {
    result = await importKitti({ dir: FRAME, out: join(tmp, 'single', '000001.mcap') });
    contents = await readScenarioFile(result.path);
  });

  it('reports what it wrote', () => {
    expect(result.frames).toEqual({ lidar: 1, cam2: 1 });
    expect(result.groundTruth).toBe(3);
    expect(result.skipped).toBe(0);
    expect(contents.rig).toEqual(result.rig);
    expect(contents.rig.sync).toEqual({ policy: 'nearest', reference: 'lidar' });
  });

  it('stores every point of the sweep, byte for byte', async () => {
    const [cloud] = contents.framesBySensor.get('lidar') as PointCloud[];
    expect(cloud.count).toBe(120268);
    expect(cloud.stride).toBe(16);
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity']);
    expect(Buffer.from(cloud.data).equals(await readFile(join(FRAME, 'velodyne.bin')))).toBe(true);
    expect(cloud.stamp).toBe(KITTI_EPOCH);
  });

  it('stores the PNG unchanged, with the image size in the rig', async () => {
    const [image] = contents.framesBySensor.get('cam2') as CameraFrame[];
    expect(image.encoding).toBe('png');
    expect(Buffer.from(image.data).equals(await readFile(join(FRAME, 'image_2.png')))).toBe(true);
    expect(image.stamp).toBe(KITTI_EPOCH);
    const cam = validateRig(contents.rig).sensors.find((s) => s.id === 'cam2')!.camera!;
    expect([cam.width, cam.height, cam.fx, cam.fy, cam.cx, cam.cy]).toEqual([1242, 375, 721.5377, 721.5377, 609.5593, 172.854]);
  });

  it('writes the three non-DontCare objects as ground truth, with the points inside each box', () => {
    expect(contents.groundTruth).toHaveLength(1);
    const [gt] = contents.groundTruth;
    expect(gt.stamp).toBe(KITTI_EPOCH);
    expect(gt.objects.map((o) => o.label)).toEqual(['truck', 'car', 'cyclist']);
    for (const o of gt.objects) expect(o.lidar_points).toBeGreaterThan(5);
  });

  it("projects the real sweep through the stored rig exactly as KITTI's P2·R0_rect·Tr_velo_to_cam does", async () => {
    const rig = validateRig(contents.rig);
    const lidar = rig.sensors.find((s) => s.id === 'lidar')!;
    const camera = rig.sensors.find((s) => s.id === 'cam2')!;
    const lidarToBase = sensorExtrinsic(lidar);
    expect(lidarToBase).toEqual({ translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } });
    const baseToCamera = invertTransform(sensorExtrinsic(camera));
    const model = sensorCameraModel(camera)!;
    const calib = parseKittiCalib(await readFile(join(FRAME, 'calib.txt'), 'utf8'), 'calib.txt');
    const [cloud] = contents.framesBySensor.get('lidar') as PointCloud[];
    const points = pointFloats(cloud);
    let checked = 0;
    let worst = 0;
    for (let i = 0; i < points.length; i += 4) {
      const p = { x: points[i], y: points[i + 1], z: points[i + 2] };
      const reference = kittiProjectVelo(calib, 2, p);
      if (!reference || reference.u < 0 || reference.u >= model.width || reference.v < 0 || reference.v >= model.height) continue;
      const pixel = projectPoint(model, transformPoint(baseToCamera, transformPoint(lidarToBase, p)))!;
      worst = Math.max(worst, Math.hypot(pixel.u - reference.u, pixel.v - reference.v));
      checked++;
    }
    expect(checked).toBeGreaterThan(15_000);
    expect(worst).toBeLessThan(1e-3);
  });

  it('writes the calibration of both sensors on /tf_static', () => {
    expect(contents.calibration.map((t) => `${t.parent_frame_id}->${t.child_frame_id}`)).toEqual(['base_link->lidar', 'base_link->cam2']);
  });

  it('takes the files one by one too', async () => {
    const files = { velodyne: join(FRAME, 'velodyne.bin'), image: join(FRAME, 'image_2.png'), calib: join(FRAME, 'calib.txt') };
    const r = await importKitti({ files, out: join(tmp, 'files.mcap'), frameStamp: 5n });
    expect(r.groundTruth).toBe(0);
    const back = await readScenarioFile(r.path);
    expect(back.groundTruth).toHaveLength(0);
    expect(back.framesBySensor.get('lidar')![0].stamp).toBe(5n);
  });
});

describe('importKitti on the split layout', () => {
  let split: string;
  beforeAll(async () => {
    split = join(tmp, 'kitti', 'training');
    const folders = { velodyne: 'velodyne.bin', image_2: 'image_2.png', calib: 'calib.txt', label_2: 'label_2.txt' };
    for (const [folder, file] of Object.entries(folders)) {
      await mkdir(join(split, folder), { recursive: true });
      const ext = file.slice(file.lastIndexOf('.'));
      for (const name of ['000001', '000002']) await copyFile(join(FRAME, file), join(split, folder, `${name}${ext}`));
    }
  });

  it('makes one 10 Hz scenario of all frames, found from the parent of training/', async () => {
    const result = await importKitti({ dir: join(tmp, 'kitti'), out: join(tmp, 'split.mcap') });
    expect(result.frames).toEqual({ lidar: 2, cam2: 2 });
    expect(result.groundTruth).toBe(6);
    const back = await readScenarioFile(result.path);
    expect(back.framesBySensor.get('lidar')!.map((f) => f.stamp)).toEqual([KITTI_EPOCH, KITTI_EPOCH + 100_000_000n]);
    expect(back.framesBySensor.get('cam2')!.map((f) => f.seq)).toEqual([0, 1]);
    expect(back.groundTruth.map((g) => g.stamp)).toEqual([KITTI_EPOCH, KITTI_EPOCH + 100_000_000n]);
    expect(back.info.frames).toBe('000001,000002');
  });

  it('takes a frame list', async () => {
    const result = await importKitti({ dir: split, frames: ['000002'], out: join(tmp, 'one.mcap') });
    expect(result.frames).toEqual({ lidar: 1, cam2: 1 });
    expect(result.rig.name).toBe('kitti-000002');
  });

  it('refuses frames whose calibrations differ, leaving no file behind', async () => {
    const calib = await readFile(join(FRAME, 'calib.txt'), 'utf8');
    await writeFile(join(split, 'calib', '000002.txt'), calib.replace('P2: 7.215377000000e+02', 'P2: 7.000000000000e+02'));
    const out = join(tmp, 'mixed.mcap');
    const err = await importError({ dir: split, out });
    expect(err.file).toBe(join(split, 'calib', '000002.txt'));
    expect(err.message).toMatch(/calibration differs from .*000001\.txt; a scenario has one rig/);
    expect(existsSync(out)).toBe(false);
    await copyFile(join(FRAME, 'calib.txt'), join(split, 'calib', '000002.txt'));
  });

  it('names a frame of the list that does not exist', async () => {
    const err = await importError({ dir: split, frames: ['000001', '000009'], out: join(tmp, 'missing.mcap') });
    expect(err.message).toBe(`${join(split, 'calib', '000009.txt')}: calibration file not found`);
  });
});

describe('importKitti on bad input', () => {
  it('refuses a folder that is not KITTI', async () => {
    const dir = join(tmp, 'empty');
    await mkdir(dir, { recursive: true });
    expect((await importError({ dir, out: join(tmp, 'x.mcap') })).message).toMatch(/not a KITTI object folder/);
  });

  it('fails on a missing calibration, naming the file', async () => {
    const dir = await frameCopy('no-calib', { 'calib.txt': null });
    const out = join(tmp, 'no-calib.mcap');
    const err = await importError({ dir, out });
    expect(err.message).toBe(`${join(dir, 'calib.txt')}: calibration file not found`);
    expect(existsSync(out)).toBe(false);
  });

  it('fails on a malformed calibration line, naming file and line', async () => {
    const calib = (await readFile(join(FRAME, 'calib.txt'), 'utf8')).replace(/^R0_rect: (\S+)/m, 'R0_rect: nan?');
    const dir = await frameCopy('bad-calib', { 'calib.txt': calib });
    const err = await importError({ dir, out: join(tmp, 'bad-calib.mcap') });
    expect(err.message).toBe(`${join(dir, 'calib.txt')}:5: R0_rect: value 1 "nan?" is not a finite number`);
  });

  it('refuses a point file that is not whole 16-byte points', async () => {
    const bin = await readFile(join(FRAME, 'velodyne.bin'));
    const dir = await frameCopy('ragged', { 'velodyne.bin': Buffer.concat([bin, Buffer.alloc(10)]) });
    const out = join(tmp, 'ragged.mcap');
    const err = await importError({ dir, out });
    expect(err.message).toBe(`${join(dir, 'velodyne.bin')}: 1924298 bytes is not a whole number of 16-byte points (x, y, z, intensity as float32)`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a point file over 64 MiB without reading it', async () => {
    const dir = await frameCopy('huge');
    await truncate(join(dir, 'velodyne.bin'), 64 * 1024 * 1024 + 16);
    const err = await importError({ dir, out: join(tmp, 'huge.mcap') });
    expect(err.message).toBe(`${join(dir, 'velodyne.bin')}: point file is 67108880 bytes; at most 67108864 are accepted`);
  });

  it('refuses an image that is not one', async () => {
    const dir = await frameCopy('bad-png', { 'image_2.png': 'not a png at all' });
    const err = await importError({ dir, out: join(tmp, 'bad-png.mcap') });
    expect(err.file).toBe(join(dir, 'image_2.png'));
    expect(err.message).toMatch(/not a readable image/);
  });

  it('skips and counts label lines that do not parse, and imports the rest', async () => {
    const label = `${await readFile(join(FRAME, 'label_2.txt'), 'utf8')}Car 0 0 oops\n`;
    const dir = await frameCopy('bad-label', { 'label_2.txt': label });
    const warnings: string[] = [];
    const result = await importKitti({ dir, out: join(tmp, 'bad-label.mcap'), onWarning: (m) => warnings.push(m) });
    expect(result.skipped).toBe(1);
    expect(result.groundTruth).toBe(3);
    expect(warnings).toEqual([`${join(dir, 'label_2.txt')}:8: label line has 4 fields; expected 15 (or 16 with a score) (line skipped)`]);
  });
});
