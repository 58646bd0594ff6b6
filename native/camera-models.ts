/**
 * Kernel cameras (ProjectionCamera) from real dataset calibrations: KITTI object `calib.txt` and
 * the nuScenes info JSON of mmdetection3d (cam2img, lidar2cam per camera). Parsing is the
 * importers' (scenarios/import), so the overlay, the kernels and the scenario rigs agree.
 */
import { parseKittiCalib, veloToCamera } from '../scenarios/import/kitti-calib.js';
import { flatRows, parseNuscenesInfo, type NuscenesInfo } from '../scenarios/import/nuscenes-info.js';
import type { ProjectionCamera } from './project.js';

/** nuScenes camera images are 1600 × 900; the info JSON does not say. */
export const NUSCENES_IMAGE_SIZE = { width: 1600, height: 900 } as const;

/**
 * Rectified KITTI camera `index` (0..3; 2 is the left colour camera) for Velodyne points:
 * cameraFromSensor = [I | b]·R0_rect·Tr_velo_to_cam, with b = K⁻¹·P[:, 3] the camera's baseline
 * offset, and the intrinsics of P = K·[I | b]; so that projecting reproduces P·R0_rect·Tr·[x y z 1].
 */
export function kittiCamera(calibText: string, index: number, width: number, height: number, file = 'calib.txt'): ProjectionCamera {
  if (!Number.isInteger(index) || index < 0 || index > 3) throw new RangeError(`index must be a KITTI camera 0..3, got ${index}`);
  const calib = parseKittiCalib(calibText, file);
  const P = calib.P[index];
  return {
    width,
    height,
    fx: P[0],
    fy: P[5],
    cx: P[2],
    cy: P[6],
    distortion: [0, 0, 0, 0, 0],
    cameraFromSensor: Float64Array.from(veloToCamera(calib, index)),
  };
}

export interface NuscenesCamera {
  /** CAM_FRONT, CAM_BACK_LEFT, … */
  name: string;
  /** The image file named by the info JSON (relative to its data folder). */
  imagePath: string;
  camera: ProjectionCamera;
}

/**
 * The cameras of one sample of an mmdetection3d nuScenes info file (text or parsed), for
 * LIDAR_TOP points: intrinsics from cam2img, cameraFromSensor = lidar2cam. Order as in the file.
 */
export function nuscenesCameras(
  infoJson: string | NuscenesInfo,
  options: { sample?: number; width?: number; height?: number; file?: string } = {},
): NuscenesCamera[] {
  const file = options.file ?? 'info.json';
  const info = typeof infoJson === 'string' ? parseNuscenesInfo(infoJson, file) : infoJson;
  const sampleIndex = options.sample ?? 0;
  const sample = info.data_list[sampleIndex];
  if (sample === undefined) throw new RangeError(`sample ${sampleIndex} is not in ${file} (it has ${info.data_list.length})`);
  const width = options.width ?? NUSCENES_IMAGE_SIZE.width;
  const height = options.height ?? NUSCENES_IMAGE_SIZE.height;
  return Object.entries(sample.images).map(([name, cam]) => {
    if (cam.lidar2cam === undefined) throw new RangeError(`${file}: images.${name} has no lidar2cam`);
    const K = flatRows(cam.cam2img);
    if (K[1] !== 0 || K[3] !== 0 || K[6] !== 0 || K[7] !== 0 || K[8] !== 1) {
      throw new RangeError(`${file}: images.${name}.cam2img is not [fx 0 cx; 0 fy cy; 0 0 1]`);
    }
    return {
      name,
      imagePath: cam.img_path,
      camera: {
        width,
        height,
        fx: K[0],
        fy: K[4],
        cx: K[2],
        cy: K[5],
        distortion: [0, 0, 0, 0, 0],
        cameraFromSensor: Float64Array.from(flatRows(cam.lidar2cam)),
      },
    };
  });
}
