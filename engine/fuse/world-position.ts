import type { EnuFrame } from '../core/geodesy.js';
import type { Vec3 } from '../core/geometry.js';
import type { EgoPose } from '../events/perception-event.js';

/** A base_link position in WGS84 through the ego pose; NaN when no pose is known yet. */
export function worldPosition(position: Vec3, ego: EgoPose | undefined, enu: EnuFrame | undefined): { latitude: number; longitude: number } {
  if (!ego || !enu) return { latitude: NaN, longitude: NaN };
  const cos = Math.cos(ego.yaw), sin = Math.sin(ego.yaw);
  const g = enu.toGeodetic({
    east: ego.position.x + cos * position.x - sin * position.y,
    north: ego.position.y + sin * position.x + cos * position.y,
    up: ego.position.z + position.z,
  });
  return { latitude: g.latitude, longitude: g.longitude };
}
