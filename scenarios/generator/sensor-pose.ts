import type { SensorConfig } from '../../engine/config/rig-schema.js';
import { sensorExtrinsic } from '../../engine/config/load-rig.js';
import { quatToMatrix3 } from '../../engine/core/geometry.js';
import type { PlanarState } from './world.js';

/**
 * A sensor's pose in the world at one instant, as a row-major rotation (sensor → ENU) and an origin,
 * for hot loops that must not allocate per point.
 */
export interface SensorPose {
  /** Row-major 3×3, sensor axes → ENU axes. */
  readonly r: Float64Array;
  readonly ox: number;
  readonly oy: number;
  readonly oz: number;
}

/** The sensor's mounting, sensor → base_link, as plain numbers. */
export interface Mount {
  readonly r: Float64Array;
  readonly tx: number;
  readonly ty: number;
  readonly tz: number;
}

export function mountOf(sensor: SensorConfig): Mount {
  const t = sensorExtrinsic(sensor);
  return { r: Float64Array.from(quatToMatrix3(t.rotation)), tx: t.translation.x, ty: t.translation.y, tz: t.translation.z };
}

/** base_link sits on the flat ground (z = 0) and turns only about z. */
export function sensorPose(mount: Mount, ego: PlanarState): SensorPose {
  const c = Math.cos(ego.yaw);
  const s = Math.sin(ego.yaw);
  const m = mount.r;
  const r = new Float64Array(9);
  for (let j = 0; j < 3; j++) {
    r[j] = c * m[j] - s * m[3 + j];
    r[3 + j] = s * m[j] + c * m[3 + j];
    r[6 + j] = m[6 + j];
  }
  return { r, ox: ego.x + c * mount.tx - s * mount.ty, oy: ego.y + s * mount.tx + c * mount.ty, oz: mount.tz };
}

/** Velocity over ground (ENU) of the point where the sensor is mounted: the car's plus its turning. */
export function sensorVelocity(mount: Mount, ego: PlanarState): { vx: number; vy: number } {
  const c = Math.cos(ego.yaw);
  const s = Math.sin(ego.yaw);
  const lx = c * mount.tx - s * mount.ty;
  const ly = s * mount.tx + c * mount.ty;
  return { vx: ego.vx - ego.yawRate * ly, vy: ego.vy + ego.yawRate * lx };
}

/** World point → sensor frame, written into out[0..2]. */
export function worldToSensor(pose: SensorPose, x: number, y: number, z: number, out: Float64Array): void {
  const dx = x - pose.ox;
  const dy = y - pose.oy;
  const dz = z - pose.oz;
  const r = pose.r;
  out[0] = r[0] * dx + r[3] * dy + r[6] * dz;
  out[1] = r[1] * dx + r[4] * dy + r[7] * dz;
  out[2] = r[2] * dx + r[5] * dy + r[8] * dz;
}
