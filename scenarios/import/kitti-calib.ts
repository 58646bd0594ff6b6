import { invertTransform, type CameraModel, type Pixel, type Transform, type Vec3 } from '../../engine/core/geometry.js';
import { affineFromRows, applyAffine, multiplyAffine, transformFromAffine, type Affine4 } from './affine.js';
import { ImportError } from './import-error.js';

/** KITTI object calibration: projection matrices of the four rectified cameras and the rigid links. */
export interface KittiCalib {
  /** 3×4 row-major: rectified cam-0 coordinates → pixels of camera i. */
  readonly P: readonly (readonly number[])[];
  /** 3×3 row-major rectifying rotation of cam 0. */
  readonly R0_rect: readonly number[];
  /** 3×4 row-major: Velodyne → (unrectified) cam 0. */
  readonly Tr_velo_to_cam: readonly number[];
  /** 3×4 row-major: IMU → Velodyne, when the file has it. */
  readonly Tr_imu_to_velo?: readonly number[];
}

// The tracking and raw releases spell some keys differently.
const KEY_ALIASES: Record<string, string> = {
  R_rect: 'R0_rect', Tr_velo_cam: 'Tr_velo_to_cam', Tr_imu_velo: 'Tr_imu_to_velo',
};
const VALUE_COUNTS: Record<string, number> = {
  P0: 12, P1: 12, P2: 12, P3: 12, R0_rect: 9, Tr_velo_to_cam: 12, Tr_imu_to_velo: 12,
};
const REQUIRED = ['P0', 'P1', 'P2', 'P3', 'R0_rect', 'Tr_velo_to_cam'];

/** Parses a calib .txt (`KEY: v v v ...` lines); any malformed line is fatal and named by number. */
export function parseKittiCalib(text: string, file: string): KittiCalib {
  const values = new Map<string, number[]>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNo = index + 1;
    const match = /^([A-Za-z0-9_]+):?\s+(.*)$/.exec(line);
    if (!match) throw new ImportError(file, `expected "KEY: numbers", got "${line.slice(0, 40)}"`, lineNo);
    const key = KEY_ALIASES[match[1]] ?? match[1];
    const tokens = match[2].trim().split(/\s+/);
    const numbers = tokens.map(Number);
    const bad = tokens.findIndex((t, i) => t === '' || !Number.isFinite(numbers[i]));
    if (bad >= 0) throw new ImportError(file, `${key}: value ${bad + 1} "${tokens[bad]}" is not a finite number`, lineNo);
    const expected = VALUE_COUNTS[key];
    if (expected !== undefined && numbers.length !== expected) {
      throw new ImportError(file, `${key} has ${numbers.length} values; expected ${expected}`, lineNo);
    }
    if (values.has(key)) throw new ImportError(file, `${key} appears twice`, lineNo);
    values.set(key, numbers);
  });
  const missing = REQUIRED.filter((k) => !values.has(k));
  if (missing.length) throw new ImportError(file, `missing ${missing.join(', ')}`);
  return {
    P: ['P0', 'P1', 'P2', 'P3'].map((k) => values.get(k)!),
    R0_rect: values.get('R0_rect')!,
    Tr_velo_to_cam: values.get('Tr_velo_to_cam')!,
    Tr_imu_to_velo: values.get('Tr_imu_to_velo'),
  };
}

/** Velodyne → rectified cam-0 coordinates: R0_rect·Tr_velo_to_cam (the frame labels are given in). */
export function veloToRect(calib: KittiCalib): Affine4 {
  return multiplyAffine(affineFromRows(calib.R0_rect), affineFromRows(calib.Tr_velo_to_cam));
}

/** Pinhole intrinsics of rectified camera i from Pi = K·[I | b]. */
export function kittiCameraModel(calib: KittiCalib, camera: number, width: number, height: number): CameraModel {
  const P = calib.P[camera];
  return { width, height, fx: P[0], fy: P[5], cx: P[2], cy: P[6], distortionModel: 'none', distortion: [] };
}

/**
 * Offset b of rectified camera i from cam 0, from the last column of Pi = K·[I | b]: b = K⁻¹·Pi[:, 3].
 * All three components are kept (cam 2's b.z of ~3 mm moves pixels by tenths of a pixel up close).
 */
export function kittiCameraOffset(calib: KittiCalib, camera: number): Vec3 {
  const P = calib.P[camera];
  const fx = P[0], fy = P[5], cx = P[2], cy = P[6];
  if (P[1] !== 0 || P[4] !== 0 || P[8] !== 0 || P[9] !== 0 || P[10] !== 1) {
    throw new RangeError(`P${camera} is not of the form K·[I | b] with K = [fx 0 cx; 0 fy cy; 0 0 1]`);
  }
  const z = P[11];
  return { x: (P[3] - cx * z) / fx, y: (P[7] - cy * z) / fy, z };
}

/** Velodyne → optical frame of rectified camera i, as an exact affine matrix. */
export function veloToCamera(calib: KittiCalib, camera: number): Affine4 {
  const b = kittiCameraOffset(calib, camera);
  return multiplyAffine([1, 0, 0, b.x, 0, 1, 0, b.y, 0, 0, 1, b.z, 0, 0, 0, 1], veloToRect(calib));
}

/** Camera i's extrinsic for a rig whose base_link is the Velodyne frame: camera optical frame → Velodyne. */
export function kittiCameraExtrinsic(calib: KittiCalib, camera: number): Transform {
  return invertTransform(transformFromAffine(veloToCamera(calib, camera)));
}

/** KITTI's own projection, pixel = Pi·R0_rect·Tr_velo_to_cam·[x y z 1]: the reference the rig must reproduce. */
export function kittiProjectVelo(calib: KittiCalib, camera: number, p: Vec3): Pixel | undefined {
  const rect = applyAffine(veloToRect(calib), p);
  const P = calib.P[camera];
  const w = P[8] * rect.x + P[9] * rect.y + P[10] * rect.z + P[11];
  if (w <= 0) return undefined;
  return {
    u: (P[0] * rect.x + P[1] * rect.y + P[2] * rect.z + P[3]) / w,
    v: (P[4] * rect.x + P[5] * rect.y + P[6] * rect.z + P[7]) / w,
  };
}

/** Largest absolute difference between two calibrations' values (NaN-free inputs). */
export function calibDifference(a: KittiCalib, b: KittiCalib): number {
  const flat = (c: KittiCalib): number[] => [...c.P.flat(), ...c.R0_rect, ...c.Tr_velo_to_cam];
  const fa = flat(a), fb = flat(b);
  return Math.max(...fa.map((v, i) => Math.abs(v - fb[i])));
}
