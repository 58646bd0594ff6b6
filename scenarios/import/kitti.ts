import type { RigInput } from '../../engine/config/rig-schema.js';
import { pointFloats, type CameraFrame } from '../../engine/core/frames.js';
import { IDENTITY_TRANSFORM } from '../../engine/core/geometry.js';
import { NS_PER_MS, type Nanos } from '../../engine/core/time.js';
import type { GroundTruthObject } from '../scenario-writer.js';
import { rigExtrinsic } from './affine.js';
import { ImportError, type ImportWarningHandler } from './import-error.js';
import type { ImportResult } from './import-result.js';
import { readImageHeader } from './image-header.js';
import { calibDifference, kittiCameraExtrinsic, kittiCameraModel, parseKittiCalib, veloToRect, type KittiCalib } from './kitti-calib.js';
import { findKittiFrames, type KittiFrame, type KittiFrameFiles } from './kitti-layout.js';
import { kittiLabelToGroundTruth, parseKittiLabels } from './kitti-label.js';
import { countPointsInBox } from './points-in-box.js';
import { KITTI_POINT_LAYOUT, layoutStride, pointCloudFromBin } from './point-bin.js';
import { MIB, readInputFile, readInputText } from './read-input.js';
import { writeScenario } from './write-scenario.js';

export interface KittiImportOptions {
  /** A KITTI object folder: one frame's files side by side, or the split layout (see findKittiFrames). */
  dir?: string;
  /** One frame's files, named one by one (instead of dir). */
  files?: KittiFrameFiles;
  /** Frame names (e.g. ['000001', '000002']) for the split layout; default: every velodyne/*.bin. */
  frames?: readonly string[];
  /** Output MCAP path. */
  out: string;
  /** Stamp of the first frame; default KITTI_EPOCH. Frame i is stamped frameStamp + i·100 ms. */
  frameStamp?: Nanos;
  onWarning?: ImportWarningHandler;
}

/**
 * KITTI object frames carry no time at all, so imported frames get synthetic stamps: this fixed
 * epoch (2011-09-26T00:00:00Z, a KITTI recording day) plus 100 ms per frame (the scanner's 10 Hz).
 */
export const KITTI_EPOCH: Nanos = BigInt(Date.UTC(2011, 8, 26)) * NS_PER_MS;
export const KITTI_FRAME_PERIOD: Nanos = 100n * NS_PER_MS;

export const KITTI_LIDAR_ID = 'lidar';
export const KITTI_CAMERA_ID = 'cam2';

const MAX_POINT_BYTES = 64 * MIB;
const MAX_IMAGE_BYTES = 32 * MIB;
const MAX_TEXT_BYTES = 1 * MIB;
/** Frames of one scenario must share one calibration; values printed with 7 digits differ by less. */
const CALIB_TOLERANCE = 1e-9;

/** Base_link is the Velodyne frame; cam2 is the rectified left colour camera (optical frame). */
export function kittiRig(name: string, calib: KittiCalib, width: number, height: number): RigInput {
  const cam = kittiCameraModel(calib, 2, width, height);
  return {
    name,
    sensors: [
      { id: KITTI_LIDAR_ID, modality: 'lidar', rateHz: 10, extrinsic: rigExtrinsic(IDENTITY_TRANSFORM) },
      {
        id: KITTI_CAMERA_ID,
        modality: 'camera',
        rateHz: 10,
        extrinsic: rigExtrinsic(kittiCameraExtrinsic(calib, 2)),
        camera: { width, height, fx: cam.fx, fy: cam.fy, cx: cam.cx, cy: cam.cy, distortion: { model: 'none', coefficients: [] } },
      },
    ],
    sync: { policy: 'nearest', reference: KITTI_LIDAR_ID },
  };
}

/** Imports KITTI object frames (Velodyne sweep, cam-2 PNG, calibration, labels) into an MCAP scenario. */
export async function importKitti(options: KittiImportOptions): Promise<ImportResult> {
  const frames = await resolveFrames(options);
  const onWarning = options.onWarning ?? (() => {});
  const calibs: KittiCalib[] = [];
  for (const frame of frames) {
    const calib = parseKittiCalib(await readInputText(frame.calib, MAX_TEXT_BYTES, 'calibration file'), frame.calib);
    if (calibs.length && calibDifference(calibs[0], calib) > CALIB_TOLERANCE) {
      throw new ImportError(frame.calib, `calibration differs from ${frames[0].calib}; a scenario has one rig, so import these frames separately`);
    }
    calibs.push(calib);
  }
  const firstImage = await readInputFile(frames[0].image, MAX_IMAGE_BYTES, 'image');
  const size = await readImageHeader(firstImage, frames[0].image);
  const rig = kittiRig(`kitti-${frames[0].name}`.replace(/[^A-Za-z0-9_.-]/g, '_'), calibs[0], size.width, size.height);
  const toRect = veloToRect(calibs[0]);
  const base = options.frameStamp ?? KITTI_EPOCH;
  const info = {
    source: 'KITTI 3D object (CC BY-NC-SA 3.0, non-commercial)',
    frames: frames.map((f) => f.name).join(','),
    stamps: `synthetic: KITTI object frames have no time; frame i is stamped ${base} ns + i x 100 ms`,
    groundTruth: 'label_2 objects except DontCare, in the Velodyne frame (box centre, size l w h, yaw = -rotation_y - pi/2), velocity unknown (0)',
  };

  let groundTruth = 0;
  let skipped = 0;
  await writeScenario(options.out, rig, info, async (writer) => {
    await writer.writeCalibration(base);
    for (const [seq, frame] of frames.entries()) {
      const stamp = base + BigInt(seq) * KITTI_FRAME_PERIOD;
      const cloud = pointCloudFromBin(
        await readInputFile(frame.velodyne, MAX_POINT_BYTES, 'point file'), frame.velodyne, KITTI_POINT_LAYOUT,
        { sensorId: KITTI_LIDAR_ID, frameId: KITTI_LIDAR_ID, stamp, seq },
      );
      const imageBytes = seq === 0 ? firstImage : await readInputFile(frame.image, MAX_IMAGE_BYTES, 'image');
      const header = await readImageHeader(imageBytes, frame.image);
      if (header.width !== size.width || header.height !== size.height) {
        throw new ImportError(frame.image, `image is ${header.width}x${header.height}; the rig's cam2 is ${size.width}x${size.height}`);
      }
      const image: CameraFrame = {
        modality: 'camera', sensorId: KITTI_CAMERA_ID, frameId: KITTI_CAMERA_ID, stamp, receivedAt: stamp, seq,
        encoding: header.format, width: header.width, height: header.height, data: imageBytes,
      };
      await writer.writeFrame(cloud);
      await writer.writeFrame(image);
      if (!frame.label) continue;
      const parsed = parseKittiLabels(await readInputText(frame.label, MAX_TEXT_BYTES, 'label file'), frame.label, onWarning);
      skipped += parsed.skipped;
      const points = pointFloats(cloud);
      const objects: GroundTruthObject[] = parsed.labels
        .filter((l) => l.type !== 'DontCare')
        .map((l, id) => {
          const object = kittiLabelToGroundTruth(l, toRect, id);
          return { ...object, lidarPoints: countPointsInBox(points, layoutStride(KITTI_POINT_LAYOUT) / 4, { centre: object.position, size: object.size, yaw: object.yaw }) };
        });
      await writer.writeGroundTruth(stamp, undefined, objects);
      groundTruth += objects.length;
    }
  });
  return {
    path: options.out,
    frames: { [KITTI_LIDAR_ID]: frames.length, [KITTI_CAMERA_ID]: frames.length },
    groundTruth,
    rig,
    skipped,
  };
}

async function resolveFrames(options: KittiImportOptions): Promise<KittiFrame[]> {
  if (options.files && options.dir) throw new ImportError(options.dir, 'give either dir or files, not both');
  if (options.files) return [{ ...options.files, name: 'frame' }];
  if (options.dir) return findKittiFrames(options.dir, options.frames);
  throw new ImportError('(options)', 'give dir or files');
}
