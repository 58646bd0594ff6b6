import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RigInput } from '../../engine/config/rig-schema.js';
import type { CameraFrame } from '../../engine/core/frames.js';
import { NS_PER_S, type Nanos } from '../../engine/core/time.js';
import type { EgoPose, GroundTruthObject } from '../scenario-writer.js';
import { applyAffine, headingAfter, normalizeAngle, rotateByAffine, rigExtrinsic, transformFromAffine, type Affine4 } from './affine.js';
import { ImportError, type ImportWarningHandler } from './import-error.js';
import type { ImportResult } from './import-result.js';
import { readImageHeader, type ImageHeader } from './image-header.js';
import { flatRows, parseNuscenesInfo, type NuscenesCamera, type NuscenesInfo, type NuscenesSample } from './nuscenes-info.js';
import { NUSCENES_POINT_LAYOUT, pointCloudFromBin } from './point-bin.js';
import { fileExists, MIB, readInputFile, readInputText } from './read-input.js';
import { writeScenario } from './write-scenario.js';

type SensorInput = RigInput['sensors'][number];

export interface NuscenesImportOptions {
  /** Folder with the info JSON (mmdet3d v1.x, converted from its .pkl) and the sweep and image files. */
  dir: string;
  /** The info JSON; default: the one *.json file in dir. */
  info?: string;
  /** Output MCAP path. */
  out: string;
  onWarning?: ImportWarningHandler;
}

export const NUSCENES_LIDAR_ID = 'lidar_top';
/** Keyframe rates of nuScenes: LiDAR sweeps at 20 Hz, cameras at 12 Hz. */
const LIDAR_RATE_HZ = 20;
const CAMERA_RATE_HZ = 12;

const MAX_INFO_BYTES = 16 * MIB;
const MAX_POINT_BYTES = 64 * MIB;
const MAX_IMAGE_BYTES = 32 * MIB;
/** Samples of one scenario must share one calibration. */
const CALIB_TOLERANCE = 1e-9;

/** The sensor id of a nuScenes channel (CAM_FRONT → cam_front). */
export function nuscenesSensorId(channel: string): string {
  return channel.toLowerCase();
}

/** Base_link is the ego (vehicle) frame; lidar_top from lidar2ego; each camera's optical frame from cam2ego. */
export function nuscenesRig(name: string, sample: NuscenesSample, imageSizes: ReadonlyMap<string, ImageHeader>, file: string): RigInput {
  const cameras = Object.entries(sample.images).map(([channel, cam]): SensorInput => {
    const [[fx, skew, cx], [zero0, fy, cy], [zero1, zero2, one]] = cam.cam2img;
    if (Math.abs(skew) > 1e-9 || zero0 !== 0 || zero1 !== 0 || zero2 !== 0 || one !== 1) {
      throw new ImportError(file, `images.${channel}.cam2img is not [fx 0 cx; 0 fy cy; 0 0 1]`);
    }
    const size = imageSizes.get(channel)!;
    return {
      id: nuscenesSensorId(channel),
      modality: 'camera',
      rateHz: CAMERA_RATE_HZ,
      extrinsic: rigExtrinsic(transformFromAffine(flatRows(cam.cam2ego))),
      camera: { width: size.width, height: size.height, fx, fy, cx, cy, distortion: { model: 'none', coefficients: [] } },
    };
  });
  return {
    name,
    sensors: [
      { id: NUSCENES_LIDAR_ID, modality: 'lidar', rateHz: LIDAR_RATE_HZ, extrinsic: rigExtrinsic(transformFromAffine(flatRows(sample.lidar_points.lidar2ego))) },
      ...cameras,
    ],
    sync: { policy: 'nearest', reference: NUSCENES_LIDAR_ID },
  };
}

/**
 * Imports nuScenes keyframes described by an mmdet3d info file: the LIDAR_TOP sweep, the six camera
 * JPEGs, and the 3D boxes as ground truth in the ego frame.
 */
export async function importNuscenes(options: NuscenesImportOptions): Promise<ImportResult> {
  const onWarning = options.onWarning ?? (() => {});
  const infoFile = options.info ?? (await findInfoFile(options.dir));
  const info = parseNuscenesInfo(await readInputText(infoFile, MAX_INFO_BYTES, 'info file'), infoFile);
  const samples = info.data_list;
  checkOneCalibration(samples, infoFile);
  const categories = categoryNames(info);

  const first = samples[0];
  const imageSizes = new Map<string, ImageHeader>();
  for (const [channel, cam] of Object.entries(first.images)) {
    const path = await locate(options.dir, cam.img_path, channel);
    imageSizes.set(channel, await readImageHeader(await readInputFile(path, MAX_IMAGE_BYTES, 'image'), path));
  }
  const rig = nuscenesRig(`nuscenes-${first.token ?? 'sample'}`.replace(/[^A-Za-z0-9_.-]/g, '_'), first, imageSizes, infoFile);
  const originGlobal = { x: first.ego2global[0][3], y: first.ego2global[1][3], z: first.ego2global[2][3] };
  const stamps = samples.map((s) => sampleStamps(s));
  const start = stamps.reduce((min, s) => [s.lidar, ...s.cameras.values()].reduce((m, t) => (t < m ? t : m), min), stamps[0].lidar);
  const scenarioInfo = {
    source: `nuScenes ${info.metainfo.version ?? ''} via an mmdetection3d info file (CC BY-NC-SA 4.0, non-commercial)`.replace('  ', ' '),
    samples: samples.map((s) => s.token ?? '').join(','),
    stamps: 'sensor stamps from the file names (microseconds), else the info timestamps',
    groundTruth: 'instances in the ego frame at the LiDAR stamp (box centre, size l w h, yaw), velocity in ego axes (NaN in the source written as 0); label "unknown" for category -1',
    egoPose: `ego2global translation minus the first sample's (${originGlobal.x}, ${originGlobal.y}, ${originGlobal.z}) in the nuScenes map frame; latitude, longitude, altitude and speed unknown (0)`,
  };

  const frames: Record<string, number> = Object.fromEntries(rig.sensors.map((s) => [s.id, 0]));
  let groundTruth = 0;
  let unknownVelocity = 0;
  await writeScenario(options.out, rig, scenarioInfo, async (writer) => {
    await writer.writeCalibration(start);
    for (const [seq, sample] of samples.entries()) {
      const { lidar: lidarStamp, cameras: cameraStamps } = stamps[seq];
      for (const [channel, cam] of Object.entries(sample.images)) {
        const path = await locate(options.dir, cam.img_path, channel);
        const bytes = await readInputFile(path, MAX_IMAGE_BYTES, 'image');
        const header = await readImageHeader(bytes, path);
        const expected = imageSizes.get(channel);
        if (!expected || header.width !== expected.width || header.height !== expected.height) {
          throw new ImportError(path, `image is ${header.width}x${header.height}; the rig's ${channel} is ${expected?.width}x${expected?.height}`);
        }
        const id = nuscenesSensorId(channel);
        const stamp = cameraStamps.get(channel)!;
        const image: CameraFrame = {
          modality: 'camera', sensorId: id, frameId: id, stamp, receivedAt: stamp, seq,
          encoding: header.format, width: header.width, height: header.height, data: bytes,
        };
        await writer.writeFrame(image);
        frames[id]++;
      }
      const lidarPath = await locate(options.dir, sample.lidar_points.lidar_path, 'LIDAR_TOP');
      const cloud = pointCloudFromBin(await readInputFile(lidarPath, MAX_POINT_BYTES, 'point file'), lidarPath, NUSCENES_POINT_LAYOUT, {
        sensorId: NUSCENES_LIDAR_ID, frameId: NUSCENES_LIDAR_ID, stamp: lidarStamp, seq,
      });
      await writer.writeFrame(cloud);
      frames[NUSCENES_LIDAR_ID]++;

      const lidarToEgo = flatRows(sample.lidar_points.lidar2ego);
      const objects = sample.instances.map((inst, id) => {
        if (!Number.isFinite(inst.velocity[0]) || !Number.isFinite(inst.velocity[1])) unknownVelocity++;
        return instanceToGroundTruth(inst, id, lidarToEgo, categories);
      });
      await writer.writeGroundTruth(lidarStamp, egoPose(sample, originGlobal), objects);
      groundTruth += objects.length;
    }
  });
  if (unknownVelocity) onWarning(`${infoFile}: ${unknownVelocity} instances have no velocity (NaN); written as 0`);
  return { path: options.out, frames, groundTruth, rig, skipped: 0 };
}

/**
 * A box as ground truth in the ego frame. The info file's z is the box's centre, not its bottom:
 * mmdet3d's NuScenesDataset reads these boxes with origin (0.5, 0.5, 0.5), and the LiDAR points
 * inside the boxes match num_lidar_pts only when z is taken as the centre (checked in the tests).
 */
export function instanceToGroundTruth(
  inst: NuscenesSample['instances'][number], id: number, lidarToEgo: Affine4, categories: readonly string[],
): GroundTruthObject {
  const [x, y, z, l, w, h, yaw] = inst.bbox_3d;
  const [vx, vy] = inst.velocity.map((v) => (Number.isFinite(v) ? v : 0));
  return {
    id,
    label: categories[inst.bbox_label_3d] ?? 'unknown',
    position: applyAffine(lidarToEgo, { x, y, z }),
    size: { x: l, y: w, z: h },
    yaw: normalizeAngle(headingAfter(lidarToEgo, yaw)),
    velocity: rotateByAffine(lidarToEgo, { x: vx, y: vy, z: 0 }),
    lidarPoints: inst.num_lidar_pts,
  };
}

function egoPose(sample: NuscenesSample, origin: { x: number; y: number; z: number }): EgoPose {
  const m = sample.ego2global;
  return {
    position: { x: m[0][3] - origin.x, y: m[1][3] - origin.y, z: m[2][3] - origin.z },
    yaw: Math.atan2(m[1][0], m[0][0]),
    latitude: 0,
    longitude: 0,
    altitude: 0,
    speed: 0,
  };
}

/** Category names by index, from metainfo.categories ({ name: index }). */
function categoryNames(info: NuscenesInfo): string[] {
  const names: string[] = [];
  for (const [name, index] of Object.entries(info.metainfo.categories)) names[index] = name;
  return names;
}

/** nuScenes file names end in __<microseconds>.<ext>; that integer is exact where the float seconds are not. */
export function stampFromFileName(path: string): Nanos | undefined {
  const match = /__(\d{10,19})\.[A-Za-z0-9.]+$/.exec(basename(path));
  return match ? BigInt(match[1]) * 1000n : undefined;
}

function secondsToMicrosNanos(seconds: number): Nanos {
  // Round to whole microseconds, the resolution nuScenes records.
  const micros = Math.round(seconds * 1e6);
  return (BigInt(micros) * NS_PER_S) / 1_000_000n;
}

function sampleStamps(sample: NuscenesSample): { lidar: Nanos; cameras: Map<string, Nanos> } {
  const lidar = stampFromFileName(sample.lidar_points.lidar_path) ?? secondsToMicrosNanos(sample.timestamp);
  const cameras = new Map<string, Nanos>();
  for (const [channel, cam] of Object.entries(sample.images)) {
    cameras.set(channel, stampFromFileName(cam.img_path) ?? secondsToMicrosNanos(cam.timestamp));
  }
  return { lidar, cameras };
}

function checkOneCalibration(samples: readonly NuscenesSample[], file: string): void {
  const first = samples[0];
  const differs = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean =>
    a.some((row, r) => row.some((v, c) => Math.abs(v - b[r][c]) > CALIB_TOLERANCE));
  samples.forEach((s, i) => {
    const channels = Object.keys(s.images).sort().join(',');
    if (channels !== Object.keys(first.images).sort().join(',')) {
      throw new ImportError(file, `data_list[${i}] has cameras ${channels}; data_list[0] has ${Object.keys(first.images).sort().join(',')}`);
    }
    if (differs(s.lidar_points.lidar2ego, first.lidar_points.lidar2ego)) {
      throw new ImportError(file, `data_list[${i}].lidar_points.lidar2ego differs from data_list[0]; a scenario has one rig`);
    }
    for (const [channel, cam] of Object.entries(s.images) as [string, NuscenesCamera][]) {
      if (differs(cam.cam2ego, first.images[channel].cam2ego) || differs(cam.cam2img, first.images[channel].cam2img)) {
        throw new ImportError(file, `data_list[${i}].images.${channel} calibration differs from data_list[0]; a scenario has one rig`);
      }
    }
  });
}

/** The info file names files without folders: look beside it, then in the nuScenes samples/<CHANNEL>/ layout. */
async function locate(dir: string, name: string, channel: string): Promise<string> {
  const file = basename(name);
  const candidates = [join(dir, file), join(dir, 'samples', channel, file)];
  for (const path of candidates) if (await fileExists(path)) return path;
  throw new ImportError(candidates[0], `${channel} file not found (also looked in ${join('samples', channel)}/)`);
}

async function findInfoFile(dir: string): Promise<string> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new ImportError(dir, `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const json = entries.filter((e) => e.endsWith('.json')).sort();
  if (json.length !== 1) {
    throw new ImportError(dir, json.length ? `${json.length} .json files (${json.join(', ')}); name the info file` : 'no info .json file (an mmdet3d info file converted to JSON)');
  }
  return join(dir, json[0]);
}
