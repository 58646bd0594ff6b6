import type { GnssFix } from '../../engine/core/frames.js';
import { assembleFix, decodeNmeaSentence, type GgaSentence, type RmcSentence } from '../../adapters/gnss/nmea-decode.js';
import { encodeGga, encodeRmc } from '../../adapters/gnss/nmea-encode.js';
import type { Nanos } from '../../engine/core/time.js';
import { enuToGeodetic } from './geodesy.js';
import type { Rng } from '../../engine/core/prng.js';
import { sensorPose, sensorVelocity, type Mount } from './sensor-pose.js';
import { egoState, type World } from './world.js';

/** A DGPS receiver: ~5 cm of white noise per axis, 14 satellites, NMEA at 4 decimals of a minute. */
const HORIZONTAL_NOISE = 0.05;
const VERTICAL_NOISE = 0.08;
const DGPS_QUALITY = 2;
const SATELLITES = 14;
const HDOP = 0.8;

export interface GnssEpoch {
  /** The NMEA lines the receiver sent (no CR LF). */
  readonly sentences: readonly string[];
  readonly fix: GnssFix;
}

/**
 * The receiver's output at time t: the antenna's true position plus noise, written as GGA and RMC,
 * then read back with the real decoder, so the stored fix carries NMEA's quantization.
 */
export function gnssEpoch(
  world: World, mount: Mount, t: number, utcMillis: number, rng: Rng,
  meta: { sensorId: string; frameId: string; stamp: Nanos; receivedAt: Nanos; seq: number },
): GnssEpoch {
  const ego = egoState(world, t);
  const pose = sensorPose(mount, ego);
  const velocity = sensorVelocity(mount, ego);
  const geo = enuToGeodetic(
    world.anchor,
    pose.ox + HORIZONTAL_NOISE * rng.normal(),
    pose.oy + HORIZONTAL_NOISE * rng.normal(),
    pose.oz + VERTICAL_NOISE * rng.normal(),
  );
  const speed = Math.hypot(velocity.vx, velocity.vy);
  // Course over ground: clockwise from north, from the ENU velocity.
  const course = ((Math.atan2(velocity.vx, velocity.vy) * 180) / Math.PI + 360) % 360;
  const common = { talker: 'GN', utcMillis, latitude: geo.latitude, longitude: geo.longitude };
  const sentences = [
    encodeGga({ ...common, quality: DGPS_QUALITY, satellites: SATELLITES, hdop: HDOP, altitudeMsl: geo.altitudeMsl, geoidSeparation: world.anchor.geoidSeparation }),
    encodeRmc({ ...common, speed, course, mode: 'D' }),
  ];
  let gga: GgaSentence | undefined;
  let rmc: RmcSentence | undefined;
  for (const line of sentences) {
    const decoded = decodeNmeaSentence(line);
    if (!decoded.ok) throw new Error(`generator wrote an NMEA line its decoder rejects (${decoded.error.code}): ${line}`);
    if (decoded.sentence.type === 'GGA') gga = decoded.sentence;
    else if (decoded.sentence.type === 'RMC') rmc = decoded.sentence;
  }
  const assembled = assembleFix({ gga, rmc }, meta);
  if (!assembled.ok) throw new Error(`generator's NMEA epoch did not assemble: ${assembled.error.message}`);
  return { sentences, fix: assembled.fix };
}
