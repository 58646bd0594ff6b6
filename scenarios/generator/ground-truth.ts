import type { EgoPose, GroundTruthObject } from '../scenario-writer.js';
import { enuToGeodetic } from './geodesy.js';
import { actorState, egoState, emptyState, wrapAngle, type World } from './world.js';

/** Actors farther than this from base_link are left out of the ground truth. */
export const GROUND_TRUTH_RANGE = 80;

/**
 * What is really there at time t, in base_link: each nearby actor's box (centre, size, yaw), its
 * velocity over ground in base_link axes, and the LiDAR points that landed on it; plus the ego pose.
 */
export function groundTruthAt(world: World, t: number, lidarHits: ReadonlyMap<number, number>): { ego: EgoPose; objects: GroundTruthObject[] } {
  const ego = egoState(world, t);
  const c = Math.cos(ego.yaw);
  const s = Math.sin(ego.yaw);
  const geo = enuToGeodetic(world.anchor, ego.x, ego.y, 0);
  const objects: GroundTruthObject[] = [];
  const st = emptyState();
  for (const actor of world.actors) {
    actorState(world, actor, t, st);
    const dx = st.x - ego.x;
    const dy = st.y - ego.y;
    if (Math.hypot(dx, dy) > GROUND_TRUTH_RANGE) continue;
    objects.push({
      id: actor.id,
      label: actor.label,
      position: { x: c * dx + s * dy, y: -s * dx + c * dy, z: actor.size.height / 2 },
      size: { x: actor.size.length, y: actor.size.width, z: actor.size.height },
      yaw: wrapAngle(st.yaw - ego.yaw),
      velocity: { x: c * st.vx + s * st.vy, y: -s * st.vx + c * st.vy, z: 0 },
      lidarPoints: lidarHits.get(actor.id) ?? 0,
    });
  }
  return {
    ego: { position: { x: ego.x, y: ego.y, z: 0 }, yaw: ego.yaw, latitude: geo.latitude, longitude: geo.longitude, altitude: geo.altitudeMsl, speed: ego.speed },
    objects,
  };
}
