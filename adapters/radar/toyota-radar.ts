import { join } from 'node:path';
import { packageRoot } from '../../engine/core/package-root.js';
import type { DbcDatabase } from '../can/dbc.js';
import { loadDbcFile } from '../can/load-dbc.js';
import type { CanRadarConfigInput } from './can-radar.js';

/**
 * Toyota's ADAS radar (TSS-P, e.g. the 2018 RAV4 of comma2k19) on its own CAN bus: 16 track
 * slots TRACK_A_0..15 (0x210–0x21F), sent every 50 ms, defined by opendbc's toyota_adas.dbc
 * (bundled beside this file, MIT; see NOTICE). Per slot: LONG_DIST (forward, m), LAT_DIST
 * (positive to the RIGHT, m), REL_SPEED (longitudinal relative speed, m/s), NEW_TRACK, VALID.
 * Empty slots are sent with VALID = 0 and are left out, as openpilot does.
 *
 * Targets are in the radar's frame (x forward, y left: y = −LAT_DIST). The radar sits about
 * 2.7 m ahead of the car's reference point (openpilot's RADAR_TO_CENTER, which comma2k19's
 * processed radar/value adds to LONG_DIST); that offset belongs in the rig, as the radar
 * sensor's extrinsic translation x = 2.7 m, not in the decoded targets.
 */
export const TOYOTA_RADAR_TRACK_SLOTS = 16;
export const TOYOTA_RADAR_TO_CENTER_M = 2.7;

export const TOYOTA_RADAR_CONFIG: CanRadarConfigInput = {
  targetMessages: Array.from({ length: TOYOTA_RADAR_TRACK_SLOTS }, (_, i) => `TRACK_A_${i}`),
  x: { signal: 'LONG_DIST' },
  y: { signal: 'LAT_DIST', scale: -1 },
  // REL_SPEED is along the radar's x axis; its line-of-sight component is the Doppler velocity.
  vx: { signal: 'REL_SPEED' },
  valid: { signal: 'VALID', values: [1] },
  cycle: { kind: 'slot-repeat' },
};

export function toyotaAdasDbcPath(): string {
  return join(packageRoot(), 'adapters', 'radar', 'toyota_adas.dbc');
}

export function loadToyotaAdasDbc(): DbcDatabase {
  return loadDbcFile(toyotaAdasDbcPath());
}
