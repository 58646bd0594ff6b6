import type { PointField } from '../../engine/core/frames.js';
import { rayBoxEntry } from './boxes.js';
import type { Rng } from '../../engine/core/prng.js';
import { surfaceAtPoint } from './road.js';
import { sensorPose, type Mount } from './sensor-pose.js';
import { actorState, egoState, emptyState, wrapAngle, type ActorLabel, type World } from './world.js';

/** A 32-beam spinning LiDAR like nuScenes' Velodyne HDL-32E. */
export interface LidarModel {
  readonly beams: number;
  readonly minElevationDeg: number;
  readonly maxElevationDeg: number;
  /** Columns per revolution. */
  readonly azimuthSteps: number;
  readonly maxRange: number;
  /** Standard deviation of the range noise, metres. */
  readonly rangeNoise: number;
}

export const HDL32_LIKE: LidarModel = {
  beams: 32, minElevationDeg: -30.67, maxElevationDeg: 10.67, azimuthSteps: 1084, maxRange: 70, rangeNoise: 0.02,
};

/** x, y, z, intensity, ring as float32: the layout of nuScenes' .pcd.bin (stride 20). */
export const LIDAR_FIELDS: readonly PointField[] = [
  { name: 'x', offset: 0, type: 'float32' },
  { name: 'y', offset: 4, type: 'float32' },
  { name: 'z', offset: 8, type: 'float32' },
  { name: 'intensity', offset: 12, type: 'float32' },
  { name: 'ring', offset: 16, type: 'float32' },
];
export const LIDAR_STRIDE = 20;
const FLOATS_PER_POINT = LIDAR_STRIDE / 4;

export interface LidarSweep {
  /** count points of LIDAR_STRIDE bytes, in the LiDAR frame at the sweep's stamp. */
  readonly data: Uint8Array;
  readonly count: number;
  /** Points that landed on each actor, by actor id. */
  readonly hitsPerActor: ReadonlyMap<number, number>;
}

const GROUND = -1;
const INTENSITY: Record<ActorLabel, [number, number]> = { car: [30, 40], pedestrian: [12, 8], cyclist: [20, 25] };
const GROUND_INTENSITY = { asphalt: [6, 6], marking: [60, 25], sidewalk: [22, 10], terrain: [12, 10] } as const;
/** Margin for how far an actor and the car move during one sweep, metres. */
const SWEEP_MOTION_MARGIN = 1.5;

/**
 * One revolution ending at `stampS`: each azimuth column is fired at its own time, against the world
 * as it is then, and its points are expressed in the LiDAR frame as it is at the stamp (ego motion
 * compensated, as nuScenes does). Rays that hit nothing within range are dropped.
 */
export function castLidarSweep(
  world: World, mount: Mount, stampS: number, periodS: number, rng: Rng, model: LidarModel = HDL32_LIKE, scratch?: Float32Array,
): LidarSweep {
  const { beams, azimuthSteps: columns, maxRange } = model;
  const actors = world.actors;
  const sinEl = new Float64Array(beams);
  const cosEl = new Float64Array(beams);
  for (let b = 0; b < beams; b++) {
    const el = ((model.minElevationDeg + ((model.maxElevationDeg - model.minElevationDeg) * b) / (beams - 1)) * Math.PI) / 180;
    sinEl[b] = Math.sin(el);
    cosEl[b] = Math.cos(el);
  }

  const ego = emptyState();
  const endPose = sensorPose(mount, egoState(world, stampS, ego));
  const er = endPose.r;

  // Which actors can a column see? Decide once per sweep from where they are mid-sweep.
  const midPose = sensorPose(mount, egoState(world, stampS - periodS / 2, ego));
  const state = emptyState();
  const candidateAzimuth = new Float64Array(actors.length);
  const candidateHalfWidth = new Float64Array(actors.length).fill(-1);
  for (let i = 0; i < actors.length; i++) {
    const a = actors[i];
    actorState(world, a, stampS - periodS / 2, state);
    const dx = state.x - midPose.ox;
    const dy = state.y - midPose.oy;
    const dist = Math.hypot(dx, dy);
    const reach = Math.hypot(a.size.length, a.size.width) / 2 + SWEEP_MOTION_MARGIN;
    if (dist - reach > maxRange) continue;
    // Azimuth in the LiDAR frame: rotate the direction by the transpose of the sensor's rotation.
    const r = midPose.r;
    const lx = r[0] * dx + r[3] * dy;
    const ly = r[1] * dx + r[4] * dy;
    candidateAzimuth[i] = Math.atan2(ly, lx);
    candidateHalfWidth[i] = dist <= reach ? Math.PI : Math.asin(reach / dist);
  }

  // One float per field for every ray; a caller casting many sweeps lends the same scratch each time.
  const capacity = beams * columns * FLOATS_PER_POINT;
  const out = scratch && scratch.length >= capacity ? scratch : new Float32Array(capacity);
  const hits = new Int32Array(actors.length);
  const actorX = new Float64Array(actors.length);
  const actorY = new Float64Array(actors.length);
  const actorCos = new Float64Array(actors.length);
  const actorSin = new Float64Array(actors.length);
  const candidates = new Int32Array(actors.length);
  let count = 0;

  for (let k = 0; k < columns; k++) {
    const t = stampS - periodS + ((k + 0.5) * periodS) / columns;
    // Clockwise seen from above, starting and ending at the back.
    const azimuth = Math.PI - (2 * Math.PI * (k + 0.5)) / columns;
    const ca = Math.cos(azimuth);
    const sa = Math.sin(azimuth);
    const pose = sensorPose(mount, egoState(world, t, ego));
    const r = pose.r;
    let nCandidates = 0;
    for (let i = 0; i < actors.length; i++) {
      const half = candidateHalfWidth[i];
      if (half < 0 || Math.abs(wrapAngle(azimuth - candidateAzimuth[i])) > half) continue;
      actorState(world, actors[i], t, state);
      actorX[i] = state.x;
      actorY[i] = state.y;
      actorCos[i] = Math.cos(state.yaw);
      actorSin[i] = Math.sin(state.yaw);
      candidates[nCandidates++] = i;
    }
    for (let b = 0; b < beams; b++) {
      const ex = cosEl[b] * ca;
      const ey = cosEl[b] * sa;
      const ez = sinEl[b];
      const dx = r[0] * ex + r[1] * ey + r[2] * ez;
      const dy = r[3] * ex + r[4] * ey + r[5] * ez;
      const dz = r[6] * ex + r[7] * ey + r[8] * ez;
      let best = dz < 0 ? -pose.oz / dz : Infinity;
      let what = GROUND;
      for (let c = 0; c < nCandidates; c++) {
        const i = candidates[c];
        const a = actors[i];
        const tHit = rayBoxEntry(pose.ox, pose.oy, pose.oz, dx, dy, dz, actorX[i], actorY[i], actorCos[i], actorSin[i],
          a.size.length / 2, a.size.width / 2, a.size.height);
        if (tHit < best) {
          best = tHit;
          what = i;
        }
      }
      if (!(best <= maxRange)) continue;
      const range = best + model.rangeNoise * rng.normal();
      const px = pose.ox + range * dx;
      const py = pose.oy + range * dy;
      const pz = pose.oz + range * dz;
      let intensity: number;
      if (what === GROUND) {
        const [base, spread] = GROUND_INTENSITY[surfaceAtPoint(world.road, px, py)];
        intensity = base + spread * rng.next();
      } else {
        hits[what]++;
        const [base, spread] = INTENSITY[actors[what].label];
        intensity = base + spread * rng.next();
      }
      const qx = px - endPose.ox;
      const qy = py - endPose.oy;
      const qz = pz - endPose.oz;
      const o = count * FLOATS_PER_POINT;
      out[o] = er[0] * qx + er[3] * qy + er[6] * qz;
      out[o + 1] = er[1] * qx + er[4] * qy + er[7] * qz;
      out[o + 2] = er[2] * qx + er[5] * qy + er[8] * qz;
      out[o + 3] = Math.round(intensity);
      out[o + 4] = b;
      count++;
    }
  }

  const hitsPerActor = new Map<number, number>();
  actors.forEach((a, i) => {
    if (hits[i] > 0) hitsPerActor.set(a.id, hits[i]);
  });
  const data = new Uint8Array(out.buffer, 0, count * LIDAR_STRIDE).slice();
  return { data, count, hitsPerActor };
}
