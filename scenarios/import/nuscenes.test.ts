import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sensorCameraModel, sensorExtrinsic, validateRig } from '../../engine/config/load-rig.js';
import { pointFloats, type CameraFrame, type PointCloud } from '../../engine/core/frames.js';
import { invertTransform, projectPoint, transformPoint, type Pixel, type Vec3 } from '../../engine/core/geometry.js';
import { applyAffine, invertAffine, multiplyAffine, type Affine4 } from './affine.js';
import { ImportError } from './import-error.js';
import { flatRows, parseNuscenesInfo, type NuscenesSample } from './nuscenes-info.js';
import { importNuscenes, stampFromFileName } from './nuscenes.js';
import { countPointsInBox } from './points-in-box.js';
import { readScenarioFile, type ScenarioContents } from './testing/read-scenario-file.js';

const DIR = fileURLToPath(new URL('../../test/fixtures/nuscenes/', import.meta.url));
const LOG = 'n015-2018-07-24-11-22-45+0800';
const INFO = join(DIR, `${LOG}.from_pkl.json`);
const LIDAR_FILE = `${LOG}__LIDAR_TOP__1532402927647951.pcd.bin`;

let tmp: string;
let sample: NuscenesSample;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'percept-nuscenes-'));
  sample = parseNuscenesInfo(await readFile(INFO, 'utf8'), INFO).data_list[0];
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Pixel of a point through a row-major 3×3 K after a 4×4 transform. */
function projectThrough(k: readonly (readonly number[])[], m: Affine4, p: Vec3): Pixel | undefined {
  const c = applyAffine(m, p);
  if (c.z <= 0) return undefined;
  return { u: (k[0][0] * c.x + k[0][1] * c.y + k[0][2] * c.z) / c.z, v: (k[1][1] * c.y + k[1][2] * c.z) / c.z };
}

async function importError(options: Parameters<typeof importNuscenes>[0]): Promise<ImportError> {
  try {
    await importNuscenes(options);
  } catch (err) {
    if (err instanceof ImportError) return err;
    throw err;
  }
  throw new Error('expected an ImportError');
}

/** A copy of the fixture folder with some files replaced (null: left out). */
async function fixtureCopy(name: string, change: Record<string, Uint8Array | string | null> = {}): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const file of await readdir(DIR)) {
    if (file === 'NOTICE' || change[file] === null) continue;
    if (change[file] !== undefined) await writeFile(join(dir, file), change[file]!);
    else await copyFile(join(DIR, file), join(dir, file));
  }
  for (const [file, bytes] of Object.entries(change)) if (bytes !== null && !existsSync(join(dir, file))) await writeFile(join(dir, file), bytes);
  return dir;
}

describe('importNuscenes on the scene-0061 keyframe', () => {
  let contents: ScenarioContents;
  let result: Awaited<ReturnType<typeof importNuscenes>>;
  const warnings: string[] = [];
  beforeAll(async () => {
    result = await importNuscenes({ dir: DIR, out: join(tmp, 'nuscenes.mcap'), onWarning: (m) => warnings.push(m) });
    contents = await readScenarioFile(result.path);
  });

  it('reports one frame per sensor and 69 boxes', () => {
    expect(result.frames).toEqual({ lidar_top: 1, cam_front: 1, cam_front_right: 1, cam_front_left: 1, cam_back: 1, cam_back_left: 1, cam_back_right: 1 });
    expect(result.groundTruth).toBe(69);
    expect(contents.rig).toEqual(result.rig);
    expect(warnings).toEqual([`${INFO}: 2 instances have no velocity (NaN); written as 0`]);
  });

  it('stores the sweep byte for byte, stamped from its file name', async () => {
    const [cloud] = contents.framesBySensor.get('lidar_top') as PointCloud[];
    expect(cloud.count).toBe(34688);
    expect(cloud.stride).toBe(20);
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity', 'ring']);
    expect(Buffer.from(cloud.data).equals(await readFile(join(DIR, LIDAR_FILE)))).toBe(true);
    expect(cloud.stamp).toBe(1532402927647951000n);
  });

  it('stores the six JPEGs unchanged, each stamped from its own file name', async () => {
    for (const [channel, cam] of Object.entries(sample.images)) {
      const [image] = contents.framesBySensor.get(channel.toLowerCase()) as CameraFrame[];
      expect(image.encoding).toBe('jpeg');
      expect(Buffer.from(image.data).equals(await readFile(join(DIR, cam.img_path)))).toBe(true);
      expect(image.stamp).toBe(stampFromFileName(cam.img_path));
    }
    const front = validateRig(contents.rig).sensors.find((s) => s.id === 'cam_front')!.camera!;
    expect([front.width, front.height]).toEqual([1600, 900]);
  });

  it('gives the rig the lidar2ego and cam2ego extrinsics, base_link being the ego frame', () => {
    const rig = validateRig(contents.rig);
    const check = (id: string, m: Affine4): void => {
      const t = sensorExtrinsic(rig.sensors.find((s) => s.id === id)!);
      for (const p of [{ x: 0, y: 0, z: 0 }, { x: 10, y: -5, z: 2 }, { x: -30, y: 40, z: -1 }]) {
        const a = transformPoint(t, p), b = applyAffine(m, p);
        // The info file's rotations are float32-exact only, so the nearest quaternion moves far points by µm.
        expect(Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z)).toBeLessThan(1e-5);
      }
    };
    check('lidar_top', flatRows(sample.lidar_points.lidar2ego));
    for (const [channel, cam] of Object.entries(sample.images)) check(channel.toLowerCase(), flatRows(cam.cam2ego));
  });

  it('labels boxes from metainfo.categories, with "unknown" for category −1', () => {
    const counts: Record<string, number> = {};
    for (const o of contents.groundTruth[0].objects) counts[o.label] = (counts[o.label] ?? 0) + 1;
    expect(counts).toEqual({ pedestrian: 30, barrier: 22, car: 8, traffic_cone: 3, truck: 2, bicycle: 1, bus: 1, construction_vehicle: 1, unknown: 1 });
  });

  it("takes bbox_3d's z as the box centre: the sweep's points inside the boxes match num_lidar_pts", async () => {
    const [cloud] = contents.framesBySensor.get('lidar_top') as PointCloud[];
    const points = pointFloats(cloud);
    let exact = 0;
    let exactIfBottom = 0;
    for (const inst of sample.instances) {
      const [x, y, z, l, w, h, yaw] = inst.bbox_3d;
      const size = { x: l, y: w, z: h };
      if (countPointsInBox(points, 5, { centre: { x, y, z }, size, yaw }) === inst.num_lidar_pts) exact++;
      if (countPointsInBox(points, 5, { centre: { x, y, z: z + h / 2 }, size, yaw }) === inst.num_lidar_pts) exactIfBottom++;
    }
    // Measured: 61 of 69 exact as centre, 14 as bottom.
    expect(exact).toBeGreaterThanOrEqual(60);
    expect(exactIfBottom).toBeLessThan(20);
  });

  it('carries boxes and velocities into the ego frame', () => {
    const lidarToEgo = flatRows(sample.lidar_points.lidar2ego);
    const objects = contents.groundTruth[0].objects;
    expect(contents.groundTruth[0].stamp).toBe(1532402927647951000n);
    for (const [i, inst] of sample.instances.entries()) {
      const o = objects[i];
      const [x, y, z, l, w, h, yaw] = inst.bbox_3d;
      const centre = applyAffine(lidarToEgo, { x, y, z });
      expect(Math.hypot(o.position.x - centre.x, o.position.y - centre.y, o.position.z - centre.z)).toBeLessThan(1e-9);
      expect([o.size.x, o.size.y, o.size.z]).toEqual([l, w, h]);
      // LIDAR_TOP is mounted turned by about −90° about z.
      const turn = Math.atan2(lidarToEgo[4], lidarToEgo[0]);
      expect(Math.abs(Math.atan2(Math.sin(o.yaw - yaw - turn), Math.cos(o.yaw - yaw - turn)))).toBeLessThan(0.01);
      const [vx, vy] = inst.velocity;
      if (!Number.isFinite(vx)) {
        expect(o.velocity).toEqual({ x: 0, y: 0, z: 0 });
        continue;
      }
      expect(Math.hypot(o.velocity.x, o.velocity.y, o.velocity.z)).toBeCloseTo(Math.hypot(vx, vy), 6);
      expect(o.lidar_points).toBe(inst.num_lidar_pts);
    }
  });

  it('writes the ego pose from ego2global, with latitude and longitude unknown (0)', () => {
    const ego = contents.groundTruth[0].ego as { position: Vec3; yaw: number; latitude: number; longitude: number };
    expect(ego.position).toEqual({ x: 0, y: 0, z: 0 });
    expect(ego.yaw).toBeCloseTo(Math.atan2(sample.ego2global[1][0], sample.ego2global[0][0]), 12);
    expect([ego.latitude, ego.longitude]).toEqual([0, 0]);
  });

  describe('projection into CAM_FRONT through the rig', () => {
    const cam = (): NuscenesSample['images'][string] => sample.images.CAM_FRONT;
    const rigProjection = (): ((egoPoint: Vec3) => Pixel | undefined) => {
      const rig = validateRig(contents.rig);
      const sensor = rig.sensors.find((s) => s.id === 'cam_front')!;
      const egoToCam = invertTransform(sensorExtrinsic(sensor));
      const model = sensorCameraModel(sensor)!;
      return (p) => projectPoint(model, transformPoint(egoToCam, p));
    };

    it('puts the centre of every box ahead of the car inside the image', () => {
      const project = rigProjection();
      let ahead = 0;
      for (const o of contents.groundTruth[0].objects) {
        // CAM_FRONT sees ±32° about the car's x axis; keep a margin.
        if (o.position.x < 2 || Math.abs(Math.atan2(o.position.y, o.position.x)) > (25 * Math.PI) / 180) continue;
        const px = project(o.position)!;
        expect(px.u).toBeGreaterThanOrEqual(0);
        expect(px.u).toBeLessThan(1600);
        expect(px.v).toBeGreaterThanOrEqual(0);
        expect(px.v).toBeLessThan(900);
        ahead++;
      }
      expect(ahead).toBeGreaterThan(20);
    });

    it('agrees with cam2img·cam2ego⁻¹·lidar2ego from the info file within 1e-3 px', () => {
      const project = rigProjection();
      const lidarToEgo = flatRows(sample.lidar_points.lidar2ego);
      const lidarToCam = multiplyAffine(invertAffine(flatRows(cam().cam2ego)), lidarToEgo);
      let checked = 0;
      for (const inst of sample.instances) {
        const p = { x: inst.bbox_3d[0], y: inst.bbox_3d[1], z: inst.bbox_3d[2] };
        const reference = projectThrough(cam().cam2img, lidarToCam, p);
        if (!reference || reference.u < 0 || reference.u >= 1600 || reference.v < 0 || reference.v >= 900) continue;
        const px = project(applyAffine(lidarToEgo, p))!;
        expect(Math.hypot(px.u - reference.u, px.v - reference.v)).toBeLessThan(1e-3);
        checked++;
      }
      expect(checked).toBeGreaterThan(40);
    });

    it("differs from the info file's lidar2cam only by the ego motion between camera and LiDAR stamps", () => {
      // mmdet3d's lidar2cam goes LiDAR → ego(t_lidar) → global → ego(t_camera) → camera; a rig holds
      // the static part only. The residual motion must be the same forward speed seen from all six cameras.
      const lidarToEgo = flatRows(sample.lidar_points.lidar2ego);
      const lidarStamp = stampFromFileName(sample.lidar_points.lidar_path)!;
      const speeds: number[] = [];
      for (const c of Object.values(sample.images)) {
        const motion = multiplyAffine(multiplyAffine(flatRows(c.cam2ego), flatRows(c.lidar2cam!)), invertAffine(lidarToEgo));
        const dt = Number(lidarStamp - stampFromFileName(c.img_path)!) / 1e9;
        expect(Math.abs(Math.atan2(motion[4], motion[0]))).toBeLessThan(1e-3);
        if (dt > 0.005) speeds.push(Math.hypot(motion[3], motion[7]) / dt);
        else expect(Math.hypot(motion[3], motion[7], motion[11])).toBeLessThan(0.01);
      }
      expect(speeds).toHaveLength(5);
      // Measured: 9.22–9.25 m/s.
      expect(Math.max(...speeds) - Math.min(...speeds)).toBeLessThan(0.1);
    });
  });
});

describe('importNuscenes on bad input', () => {
  it('needs exactly one info .json in the folder', async () => {
    const none = await fixtureCopy('no-json', { [`${LOG}.from_pkl.json`]: null });
    expect((await importError({ dir: none, out: join(tmp, 'x.mcap') })).message).toMatch(/no info \.json file/);
    const two = await fixtureCopy('two-json', { 'other.json': '{}' });
    expect((await importError({ dir: two, out: join(tmp, 'x.mcap') })).message).toMatch(/2 \.json files/);
  });

  it('names the file and field of an info file that does not fit', async () => {
    const info = JSON.parse((await readFile(INFO, 'utf8')).replace(/\bNaN\b/g, 'null'));
    info.data_list[0].images.CAM_FRONT.cam2img = [[1, 0], [0, 1]];
    const dir = await fixtureCopy('bad-info', { [`${LOG}.from_pkl.json`]: JSON.stringify(info) });
    const err = await importError({ dir, out: join(tmp, 'x.mcap') });
    expect(err.message).toMatch(new RegExp(`^${join(dir, LOG).replace(/[+.]/g, '\\$&')}\\.from_pkl\\.json: data_list\\[0\\]\\.images\\.CAM_FRONT\\.cam2img`));
    const broken = await fixtureCopy('broken-info', { [`${LOG}.from_pkl.json`]: '{"metainfo": ' });
    expect((await importError({ dir: broken, out: join(tmp, 'x.mcap') })).message).toMatch(/not valid JSON/);
  });

  it('names a missing sweep and refuses one that is not whole 20-byte points, leaving no file', async () => {
    const missing = await fixtureCopy('no-sweep', { [LIDAR_FILE]: null });
    const out = join(tmp, 'no-sweep.mcap');
    expect((await importError({ dir: missing, out })).message).toMatch(new RegExp(`LIDAR_TOP file not found`));
    expect(existsSync(out)).toBe(false);
    const ragged = await fixtureCopy('ragged-sweep', { [LIDAR_FILE]: Buffer.alloc(30) });
    expect((await importError({ dir: ragged, out })).message).toBe(`${join(ragged, LIDAR_FILE)}: 30 bytes is not a whole number of 20-byte points (x, y, z, intensity, ring as float32)`);
    expect(existsSync(out)).toBe(false);
  });
});
