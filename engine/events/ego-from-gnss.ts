import type { GnssFix } from '../core/frames.js';
import { EnuFrame } from '../core/geodesy.js';
import type { EgoPose } from './perception-event.js';

/**
 * Ego pose from GNSS fixes in a local ENU frame anchored at the first fix. Yaw comes from the true
 * heading when the receiver gives one, else from the course over ground while moving, else it holds.
 */
export class EgoFromGnss {
  #frame: EnuFrame | undefined;
  #yaw = 0;

  update(fix: GnssFix): EgoPose | undefined {
    if (fix.fixType === 'none' || !Number.isFinite(fix.latitude) || !Number.isFinite(fix.longitude)) return undefined;
    const altitude = fix.altitudeMsl + fix.geoidSeparation;
    this.#frame ??= new EnuFrame({ latitude: fix.latitude, longitude: fix.longitude, altitude });
    const enu = this.#frame.toEnu({ latitude: fix.latitude, longitude: fix.longitude, altitude });
    const course = Number.isFinite(fix.heading) ? fix.heading : fix.speed > 0.5 ? fix.track : NaN;
    if (Number.isFinite(course)) this.#yaw = normalizeAngle(Math.PI / 2 - (course * Math.PI) / 180);
    return {
      position: { x: enu.east, y: enu.north, z: enu.up },
      yaw: this.#yaw,
      latitude: fix.latitude,
      longitude: fix.longitude,
      altitude: fix.altitudeMsl,
      speed: Number.isFinite(fix.speed) ? fix.speed : 0,
    };
  }
}

function normalizeAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
