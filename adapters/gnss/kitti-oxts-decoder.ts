import { z } from 'zod';
import type { FixType, GnssFix } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { parseDecoderOptions } from './decoder-options.js';

/**
 * KITTI raw OXTS records (oxts/data/%010d.txt): one line of 30 space-separated values from the
 * OXTS RT3003 GPS/IMU — lat lon alt roll pitch yaw vn ve vf vl vu ax ay az af al au wx wy wz wf wl
 * wu pos_accuracy vel_accuracy navstat numsats posmode velmode orimode. Each push is one record
 * file. Only the GnssFix part is kept: position, speed (vf, vl), track (ve, vn), heading (yaw),
 * satellites, fix type (navstat, posmode) and the horizontal accuracy; the IMU values have no
 * frame type yet and are left aside.
 *
 * A record file holds no time: the stamp is `stamps[i]` for the i-th record pushed (from
 * oxts/timestamps.txt, see parseKittiTimestamp), or else the push's receivedAt.
 */

export const kittiOxtsDecoderOptionsSchema = z.object({
  sensorId: z.string().min(1),
  frameId: z.string().min(1).optional(),
  /** A record is ~440 bytes. */
  maxFileSize: z.number().int().min(256).max(1 << 20).optional(),
}).strict();

export type KittiOxtsDecoderOptions = z.input<typeof kittiOxtsDecoderOptionsSchema> & FrameIdentity & {
  onIssue?: OnDecodeIssue;
  /** Stamp of each record in push order (oxts/timestamps.txt); undefined for a line that did not parse. */
  stamps?: readonly (Nanos | undefined)[];
};

const FIELDS = 30;
const DEFAULT_MAX_FILE = 4096;
const NAVSTAT_LOCKED = 4;

/**
 * OXTS NCOM position modes (KITTI's gps_mode_to_string): 0 none, 1 search, 2 Doppler, 3 SPS,
 * 4 differential, 5 RTK float, 6 RTK integer, 7 WAAS, 8 OmniSTAR, 9 OmniSTAR HP, 10 no data,
 * 11 blanked, 12–16 the post-processed forms of 2–6, 17 OmniSTAR XP, 18 CDGPS, 20–24 gx Doppler,
 * SPS, differential, float, integer. Codes not listed give 'none'.
 */
const FIX_OF_POSMODE: Record<number, FixType> = {
  2: '2d', 3: '3d', 4: 'dgps', 5: 'rtk-float', 6: 'rtk-fixed', 7: 'dgps', 8: 'dgps', 9: 'dgps',
  12: '2d', 13: '3d', 14: 'dgps', 15: 'rtk-float', 16: 'rtk-fixed', 17: 'dgps', 18: 'dgps',
  20: '2d', 21: '3d', 22: 'dgps', 23: 'rtk-float', 24: 'rtk-fixed',
};

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` (KITTI timestamps.txt; no zone given, read as UTC) → Unix ns. */
export function parseKittiTimestamp(line: string): Nanos | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?\s*$/.exec(line);
  if (!m) return undefined;
  const [year, month, day, h, min, s] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, h, min, s);
  return BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

function degrees(rad: number): number {
  return (rad * 180) / Math.PI;
}

function compass(deg: number): number {
  const d = deg % 360;
  return d < 0 ? d + 360 : d;
}

export function createKittiOxtsDecoder(options: KittiOxtsDecoderOptions): FrameDecoder<GnssFix> {
  const { stamps, ...rigOptions } = options;
  const o = parseDecoderOptions(kittiOxtsDecoderOptionsSchema, rigOptions, 'KITTI OXTS decoder');
  const maxFileSize = o.maxFileSize ?? DEFAULT_MAX_FILE;
  const frameId = o.frameId ?? o.sensorId;
  const stats = new DecoderStatsCounter(options.onIssue);
  const text = new TextDecoder('latin1');
  let records = 0;
  let seq = 0;

  const decode = (bytes: Uint8Array, receivedAt: Nanos): GnssFix | undefined => {
    const index = records++;
    if (bytes.length > maxFileSize) {
      stats.issue('too-large', `record file of ${bytes.length} bytes; at most ${maxFileSize}`);
      return undefined;
    }
    const parts = text.decode(bytes).trim().split(/\s+/);
    const v = parts.map(Number);
    if (parts.length !== FIELDS || v.some((x) => !Number.isFinite(x))) {
      stats.issue('bad-record', `record ${index}: ${parts.length} values${parts.length === FIELDS ? ', not all numbers' : `; OXTS has ${FIELDS}`}`);
      return undefined;
    }
    const [lat, lon, alt, , , yaw, vn, ve, vf, vl] = v;
    const [posAccuracy, , navstat, numsats, posmode] = v.slice(23, 28);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      stats.issue('bad-record', `record ${index}: lat ${lat}, lon ${lon} out of range`);
      return undefined;
    }
    let stamp = receivedAt;
    if (stamps) {
      const given = stamps[index];
      if (given === undefined) {
        stats.issue('no-stamp', `record ${index} has no valid line in timestamps (${stamps.length} lines)`);
        return undefined;
      }
      stamp = given;
    }
    // KITTI yaw: 0 = east, counter-clockwise; heading: 0 = north, clockwise.
    const heading = compass(90 - degrees(yaw));
    const speed = Math.hypot(vf, vl);
    const covariance = new Array<number>(9).fill(NaN);
    // pos_accuracy is one horizontal figure (north/east); OXTS gives no vertical one here.
    covariance[0] = posAccuracy * posAccuracy;
    covariance[4] = posAccuracy * posAccuracy;
    covariance[1] = covariance[3] = 0;
    stats.accepted++;
    return {
      modality: 'gnss',
      sensorId: o.sensorId,
      frameId,
      stamp,
      receivedAt,
      seq: seq++,
      fixType: navstat === NAVSTAT_LOCKED ? FIX_OF_POSMODE[posmode] ?? 'none' : 'none',
      latitude: lat,
      longitude: lon,
      altitudeMsl: alt,
      geoidSeparation: 0,
      satellites: numsats,
      hdop: NaN,
      speed,
      // Course over ground from the velocity; when standing still, the way the vehicle points.
      track: speed > 0 ? compass(degrees(Math.atan2(ve, vn))) : heading,
      heading,
      covariance,
    };
  };

  return {
    framing: 'file',
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): GnssFix[] {
      const fix = decode(bytes, receivedAt);
      if (!fix) return [];
      stats.frames++;
      return [fix];
    },
    flush(): GnssFix[] {
      return [];
    },
  };
}
