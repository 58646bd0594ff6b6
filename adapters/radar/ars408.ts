import { join } from 'node:path';
import { z } from 'zod';
import type { RadarScan } from '../../engine/core/frames.js';
import { packageRoot } from '../../engine/core/package-root.js';
import type { DbcDatabase } from '../can/dbc.js';
import { loadDbcFile } from '../can/load-dbc.js';
import type { FrameDecoder, FrameIdentity, OnDecodeIssue } from '../decoder.js';
import { createCanRadarDecoder, type CanRadarConfigInput } from './can-radar.js';

/**
 * Continental ARS408-21 on CAN (500 kbit/s), read from `candump -l` text. The radar sends either
 * its object list (0x60A status with Obj_NofObjects, then one 0x60B general message per object,
 * then optional 0x60C quality and 0x60D extended messages) or its cluster list (0x600 status with
 * near + far counts, then one 0x701 per cluster), every ~72 ms. The messages are described by
 * ars408.dbc beside this file (written from Continental's layout as reproduced by Apollo's
 * conti_radar driver; see its CM_ and NOTICE). A scan is one list cycle: it opens at the status
 * message and closes when the announced number of 0x60B / 0x701 messages has arrived, so it goes
 * out without waiting for the next cycle; 0x60C/0x60D carry nothing a RadarTarget holds.
 *
 * Positions are in the radar frame (DistLong forward, DistLat left); Doppler is the
 * line-of-sight component of (VrelLong, VrelLat); RCS in dBm²; SNR is not sent (NaN).
 * A radar configured with sensor ID n (0–7) adds 0x10·n to every message ID: give radarId.
 */

export const ARS408_OBJECT_CONFIG: CanRadarConfigInput = {
  targetMessages: ['Obj_1_General'],
  x: { signal: 'Obj_DistLong' },
  y: { signal: 'Obj_DistLat' },
  vx: { signal: 'Obj_VrelLong' },
  vy: { signal: 'Obj_VrelLat' },
  rcs: { signal: 'Obj_RCS' },
  trackId: { signal: 'Obj_ID' },
  cycle: { kind: 'header', message: 'Obj_0_Status', countSignals: ['Obj_NofObjects'] },
};

export const ARS408_CLUSTER_CONFIG: CanRadarConfigInput = {
  targetMessages: ['Cluster_1_General'],
  x: { signal: 'Cluster_DistLong' },
  y: { signal: 'Cluster_DistLat' },
  vx: { signal: 'Cluster_VrelLong' },
  vy: { signal: 'Cluster_VrelLat' },
  rcs: { signal: 'Cluster_RCS' },
  trackId: { signal: 'Cluster_ID' },
  cycle: { kind: 'header', message: 'Cluster_0_Status', countSignals: ['Cluster_NofClustersNear', 'Cluster_NofClustersFar'] },
};

export function ars408DbcPath(): string {
  return join(packageRoot(), 'adapters', 'radar', 'ars408.dbc');
}

export function loadArs408Dbc(): DbcDatabase {
  return loadDbcFile(ars408DbcPath());
}

export const ars408DecoderOptionsSchema = z
  .object({
    sensorId: z.string().min(1),
    frameId: z.string().min(1).optional(),
    /** Which list the radar is configured to send (RadarCfg_OutputType). */
    list: z.enum(['objects', 'clusters']).default('objects'),
    /** The radar's sensor ID (RadarCfg_SensorID), 0–7. */
    radarId: z.number().int().min(0).max(7).default(0),
    /** Keep only this candump channel. */
    channel: z.string().min(1).optional(),
  })
  .strict();

export interface Ars408DecoderOptions extends FrameIdentity {
  list?: 'objects' | 'clusters';
  radarId?: number;
  channel?: string;
  /** Defaults to the bundled ars408.dbc. */
  dbc?: DbcDatabase;
  onIssue?: OnDecodeIssue;
}

export function createArs408Decoder(options: Ars408DecoderOptions): FrameDecoder<RadarScan> {
  const list = options.list ?? 'objects';
  if (list !== 'objects' && list !== 'clusters') throw new TypeError(`createArs408Decoder: list must be 'objects' or 'clusters', not ${String(list)}`);
  const radarId = options.radarId ?? 0;
  if (!Number.isInteger(radarId) || radarId < 0 || radarId > 7) throw new TypeError(`createArs408Decoder: radarId must be an integer 0–7, not ${radarId}`);
  return createCanRadarDecoder({
    sensorId: options.sensorId,
    frameId: options.frameId,
    dbc: options.dbc ?? loadArs408Dbc(),
    config: list === 'objects' ? ARS408_OBJECT_CONFIG : ARS408_CLUSTER_CONFIG,
    channel: options.channel,
    idOffset: 0x10 * radarId,
    onIssue: options.onIssue,
  });
}
