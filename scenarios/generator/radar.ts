import type { RadarTarget } from '../../engine/core/frames.js';
import { rayBoxEntry } from './boxes.js';
import type { Rng } from '../../engine/core/prng.js';
import { sensorPose, sensorVelocity, worldToSensor, type Mount } from './sensor-pose.js';
import { actorState, egoState, emptyState, type ActorLabel, type PlanarState, type World } from './world.js';

/** A 77 GHz automotive radar like the Continental ARS408 of nuScenes. */
export interface RadarModel {
  readonly halfFovDeg: number;
  readonly maxRange: number;
  readonly rangeNoise: number;
  readonly azimuthNoiseDeg: number;
  readonly dopplerNoise: number;
}

export const ARS408_LIKE: RadarModel = { halfFovDeg: 60, maxRange: 120, rangeNoise: 0.1, azimuthNoiseDeg: 0.3, dopplerNoise: 0.1 };

const RCS: Record<ActorLabel, [mean: number, spread: number]> = { car: [10, 3], cyclist: [2, 2], pedestrian: [-5, 2] };
const POINTS: Record<ActorLabel, [min: number, max: number]> = { car: [2, 3], cyclist: [1, 2], pedestrian: [1, 1] };

/** Radar equation in dB: SNR falls 40 dB per decade of range. */
function snrOf(rcs: number, range: number): number {
  return 35 + rcs - 40 * Math.log10(Math.max(range, 1) / 10);
}

/**
 * The targets a radar reports at time t: 1–3 reflections on each actor's side facing it (when nothing
 * stands between), with Doppler = relative velocity on the line of sight (positive away), plus a
 * few static clutter returns whose Doppler is the radar's own motion.
 */
export function scanRadar(world: World, mount: Mount, t: number, rng: Rng, model: RadarModel = ARS408_LIKE): RadarTarget[] {
  const ego = egoState(world, t);
  const pose = sensorPose(mount, ego);
  const own = sensorVelocity(mount, ego);
  const states: PlanarState[] = world.actors.map((a) => actorState(world, a, t, emptyState()));
  const local = new Float64Array(3);
  const targets: RadarTarget[] = [];
  const halfFov = (model.halfFovDeg * Math.PI) / 180;

  const emit = (wx: number, wy: number, wz: number, vx: number, vy: number, rcs: number): void => {
    worldToSensor(pose, wx, wy, wz, local);
    const range = Math.hypot(local[0], local[1], local[2]);
    const azimuth = Math.atan2(local[1], local[0]);
    if (range > model.maxRange || Math.abs(azimuth) > halfFov || range < 0.5) return;
    const ux = (wx - pose.ox) / range;
    const uy = (wy - pose.oy) / range;
    const doppler = (vx - own.vx) * ux + (vy - own.vy) * uy + model.dopplerNoise * rng.normal();
    const snr = snrOf(rcs, range) + rng.normal();
    if (snr < 0) return;
    const horizontal = Math.hypot(local[0], local[1]) + model.rangeNoise * rng.normal();
    const az = azimuth + ((model.azimuthNoiseDeg * Math.PI) / 180) * rng.normal();
    targets.push({
      x: Math.cos(az) * horizontal, y: Math.sin(az) * horizontal, z: local[2],
      doppler, rcs, snr,
    });
  };

  world.actors.forEach((actor, i) => {
    const st = states[i];
    const dx = st.x - pose.ox;
    const dy = st.y - pose.oy;
    if (Math.hypot(dx, dy) > model.maxRange + 3) return;
    const c = Math.cos(st.yaw);
    const s = Math.sin(st.yaw);
    const hl = actor.size.length / 2;
    const hw = actor.size.width / 2;
    // The radar in the actor's frame: which sides face it, and the nearest point of the box outline.
    const lx = -(c * dx + s * dy);
    const ly = -(-s * dx + c * dy);
    const [min, max] = POINTS[actor.label];
    const n = rng.int(min, max);
    for (let k = 0; k < n; k++) {
      let px: number;
      let py: number;
      if (k === 0) {
        px = Math.max(-hl, Math.min(hl, lx));
        py = Math.max(-hw, Math.min(hw, ly));
      } else {
        // Another point on the side that faces the radar most squarely.
        const alongX = Math.abs(lx) / hl > Math.abs(ly) / hw;
        px = alongX ? Math.sign(lx) * hl : rng.uniform(-hl, hl);
        py = alongX ? rng.uniform(-hw, hw) : Math.sign(ly) * hw;
      }
      const wx = st.x + c * px - s * py;
      const wy = st.y + s * px + c * py;
      const wz = Math.min(actor.size.height, 0.6);
      if (occluded(world, states, i, pose.ox, pose.oy, pose.oz, wx, wy, wz)) continue;
      const [mean, spread] = RCS[actor.label];
      emit(wx, wy, wz, st.vx, st.vy, mean + spread * rng.normal());
    }
  });

  // Clutter: poles, kerbs, signs; static in the world, so only the radar's motion shows in Doppler.
  const clutter = rng.int(2, 5);
  const r = pose.r;
  for (let k = 0; k < clutter; k++) {
    const az = rng.uniform(-halfFov, halfFov);
    const range = rng.uniform(5, 80);
    const lx = range * Math.cos(az);
    const ly = range * Math.sin(az);
    const wx = pose.ox + r[0] * lx + r[1] * ly;
    const wy = pose.oy + r[3] * lx + r[4] * ly;
    emit(wx, wy, pose.oz + rng.uniform(-0.3, 0.5), 0, 0, rng.uniform(-10, 0));
  }
  return targets;
}

function occluded(world: World, states: PlanarState[], self: number, ox: number, oy: number, oz: number, px: number, py: number, pz: number): boolean {
  const dx = px - ox, dy = py - oy, dz = pz - oz;
  for (let j = 0; j < world.actors.length; j++) {
    if (j === self) continue;
    const a = world.actors[j];
    const st = states[j];
    const t = rayBoxEntry(ox, oy, oz, dx, dy, dz, st.x, st.y, Math.cos(st.yaw), Math.sin(st.yaw), a.size.length / 2, a.size.width / 2, a.size.height);
    if (t < 1) return true;
  }
  return false;
}
