import { join } from 'node:path';
import type { RigInput } from '../../engine/config/rig-schema.js';
import type { GnssFix, RadarScan, SensorFrame } from '../../engine/core/frames.js';
import { secondsToNanos, type Nanos } from '../../engine/core/time.js';
import { parseDbc } from '../../adapters/can/dbc.js';
import { CanRadarAssembler, cycleToScan } from '../../adapters/radar/can-radar.js';
import { TOYOTA_RADAR_CONFIG, TOYOTA_RADAR_TO_CENTER_M, toyotaAdasDbcPath } from '../../adapters/radar/toyota-radar.js';
import { ImportError, type ImportWarningHandler } from './import-error.js';
import type { ImportResult } from './import-result.js';
import { npyBytesAt, npyFloat64, npyInt64AsNumbers, parseNpy, type NpyArray } from './npy.js';
import { MIB, readInputFile, readInputText } from './read-input.js';
import { writeScenario } from './write-scenario.js';

/**
 * Imports one comma2k19 segment folder (e.g. `b0c9d2329ad1606b_2018-08-02--08-34-47/40/`) into a
 * scenario: the radar's CAN frames (processed_log/CAN/raw_can, bus 1) decoded through the Toyota
 * ADAS DBC into RadarScans, and the u-blox fixes (processed_log/GNSS/live_gnss_ublox) as GnssFix.
 *
 * Time: every comma2k19 `t` is float64 seconds since the device booted. The u-blox rows carry
 * the fix's UTC time in MILLISECONDS (column 3, although comma's README says seconds), so the
 * boot→Unix offset is the median over all fixes of (UTC − t). That offset includes the
 * receiver-to-log latency (its spread over this segment is ~60 ms, std ~9 ms), which is the best
 * the segment allows. Radar scans are stamped with boot time + offset; fixes with their own UTC
 * (receivedAt = their boot time + offset).
 *
 * Not imported: IMU (accelerometer, gyro, magnetometer), wheel speeds, steering, the phone's GNSS,
 * raw pseudoranges and the video: percept has no frame type for IMU or vehicle signals and the
 * scenario format has no place for extra topics (skipped, and named in the scenario info).
 */

export interface Comma2k19ImportOptions {
  /** The segment folder (it holds processed_log/). */
  dir: string;
  /** Output MCAP path. */
  out: string;
  /** DBC of the radar bus; default: the bundled opendbc toyota_adas.dbc. */
  dbc?: string;
  /** CAN bus of the radar in raw_can/src (1 on comma's Toyota harness). */
  radarBus?: number;
  onWarning?: ImportWarningHandler;
}

export const COMMA2K19_RADAR_ID = 'radar_front';
export const COMMA2K19_GNSS_ID = 'gnss';

const MAX_NPY_BYTES = 64 * MIB;

/** base_link is the car's reference point of openpilot (RADAR_TO_CENTER = 2.7 m behind the radar). */
export function comma2k19Rig(name: string): RigInput {
  return {
    name,
    sensors: [
      { id: COMMA2K19_RADAR_ID, modality: 'radar', rateHz: 20, extrinsic: { translation: [TOYOTA_RADAR_TO_CENTER_M, 0, 0], rotation: { rpy: [0, 0, 0] } } },
      { id: COMMA2K19_GNSS_ID, modality: 'gnss', rateHz: 10, extrinsic: { translation: [0, 0, 0], rotation: { rpy: [0, 0, 0] } } },
    ],
    sync: { policy: 'nearest', reference: COMMA2K19_RADAR_ID },
    fusion: { egoGnss: COMMA2K19_GNSS_ID },
  };
}

async function readNpy(dir: string, rel: string): Promise<NpyArray> {
  const path = join(dir, rel);
  return parseNpy(await readInputFile(path, MAX_NPY_BYTES, 'NumPy array'), path);
}

/** Median of (UTC − boot) over the fixes, in nanoseconds. */
export function bootToUnixOffset(bootSeconds: Float64Array, utcMillis: readonly number[], file: string): Nanos {
  const offsets: bigint[] = [];
  for (let i = 0; i < bootSeconds.length; i++) {
    const ms = utcMillis[i];
    if (!Number.isFinite(ms) || !Number.isFinite(bootSeconds[i])) continue;
    offsets.push(BigInt(Math.round(ms * 1000)) * 1000n - secondsToNanos(bootSeconds[i]));
  }
  if (offsets.length === 0) throw new ImportError(file, 'no u-blox fix with a UTC time: cannot map boot time to Unix time');
  offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return offsets[offsets.length >> 1];
}

export async function importComma2k19(options: Comma2k19ImportOptions): Promise<ImportResult> {
  const onWarning = options.onWarning ?? (() => {});
  const dir = options.dir;
  const gnssDir = 'processed_log/GNSS/live_gnss_ublox';
  const canDir = 'processed_log/CAN/raw_can';

  const gt = npyFloat64(await readNpy(dir, `${gnssDir}/t`), join(dir, gnssDir, 't'));
  const gvArray = await readNpy(dir, `${gnssDir}/value`);
  const gv = npyFloat64(gvArray, join(dir, gnssDir, 'value'));
  if (gvArray.shape.length !== 2 || gvArray.shape[1] !== 6 || gvArray.shape[0] !== gt.length) {
    throw new ImportError(join(dir, gnssDir, 'value'), `expected shape (${gt.length}, 6), found (${gvArray.shape.join(', ')})`);
  }
  const rows = gt.length;
  const col = (i: number, c: number) => gv[i * 6 + c];
  const offset = bootToUnixOffset(gt, Array.from({ length: rows }, (_, i) => col(i, 3)), join(dir, gnssDir, 'value'));
  const toUnix = (t: number): Nanos => secondsToNanos(t) + offset;

  const t = npyFloat64(await readNpy(dir, `${canDir}/t`), join(dir, canDir, 't'));
  const address = npyInt64AsNumbers(await readNpy(dir, `${canDir}/address`), join(dir, canDir, 'address'));
  const src = npyInt64AsNumbers(await readNpy(dir, `${canDir}/src`), join(dir, canDir, 'src'));
  const data = await readNpy(dir, `${canDir}/data`);
  if (!/^\|S\d+$/.test(data.descr)) throw new ImportError(join(dir, canDir, 'data'), `expected a byte-string array (|S8), found ${data.descr}`);
  if (address.length !== t.length || src.length !== t.length || data.shape[0] !== t.length) {
    throw new ImportError(join(dir, canDir), `t, address, src and data differ in length (${t.length}, ${address.length}, ${src.length}, ${data.shape[0]})`);
  }

  const dbcPath = options.dbc ?? toyotaAdasDbcPath();
  const db = parseDbc(await readInputText(dbcPath, 8 * MIB, 'DBC file'), { source: dbcPath });
  const assembler = new CanRadarAssembler(db, TOYOTA_RADAR_CONFIG, (issue) => onWarning(`${join(dir, canDir)}: ${issue.code}: ${issue.message}`));
  const bus = options.radarBus ?? 1;
  const radarIdentity = { sensorId: COMMA2K19_RADAR_ID, frameId: COMMA2K19_RADAR_ID };
  const frames: SensorFrame[] = [];
  let radarSeq = 0;
  const addCycles = (cycles: ReturnType<CanRadarAssembler['flush']>) => {
    for (const c of cycles) {
      const scan: RadarScan = cycleToScan({ ...c, stamp: c.stamp + offset }, radarIdentity, radarSeq++, c.stamp + offset);
      frames.push(scan);
    }
  };
  for (let i = 0; i < t.length; i++) {
    if (src[i] !== bus) continue;
    addCycles(assembler.pushFrame({ time: secondsToNanos(t[i]), id: address[i], extended: address[i] > 0x7ff, data: npyBytesAt(data, i) }));
  }
  addCycles(assembler.flush());
  if (radarSeq === 0) onWarning(`${join(dir, canDir)}: no radar track messages on bus ${bus}`);

  let gnssSeq = 0;
  let skipped = 0;
  for (let i = 0; i < rows; i++) {
    const [lat, lon, speed, utcMs, alt, bearing] = [0, 1, 2, 3, 4, 5].map((c) => col(i, c));
    if (![lat, lon, utcMs].every(Number.isFinite) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      onWarning(`${join(dir, gnssDir, 'value')}: row ${i}: no usable position or time; skipped`);
      skipped++;
      continue;
    }
    const fix: GnssFix = {
      modality: 'gnss', sensorId: COMMA2K19_GNSS_ID, frameId: COMMA2K19_GNSS_ID,
      stamp: BigInt(Math.round(utcMs * 1000)) * 1000n, receivedAt: toUnix(gt[i]), seq: gnssSeq++,
      fixType: Number.isFinite(alt) ? '3d' : '2d',
      latitude: lat, longitude: lon,
      // u-blox NAV-PVT height is above the WGS84 ellipsoid (the segment's ECEF poses agree to ~2 m);
      // with no geoid model here, geoidSeparation 0 keeps altitudeMsl + geoidSeparation = ellipsoidal height.
      altitudeMsl: Number.isFinite(alt) ? alt : Number.NaN, geoidSeparation: 0,
      satellites: Number.NaN, hdop: Number.NaN,
      speed: Number.isFinite(speed) ? speed : Number.NaN, track: Number.isFinite(bearing) ? bearing : Number.NaN, heading: Number.NaN,
      covariance: Array(9).fill(Number.NaN),
    };
    frames.push(fix);
  }

  frames.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  const name = `comma2k19-${dir.replace(/[\\/]+$/, '').split(/[\\/]/).slice(-2).join('-')}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const rig = comma2k19Rig(name);
  const info = {
    source: 'comma2k19 (commaai/comma2k19, MIT); radar DBC from commaai/opendbc toyota_adas.dbc (MIT)',
    segment: dir,
    stamps: `boot time + ${offset} ns (median of u-blox UTC minus boot time over ${rows} fixes); fixes stamped with their own UTC`,
    radar: `bus ${bus}, TRACK_A_0..15 with VALID = 1, radar frame (x = LONG_DIST, y = -LAT_DIST); extrinsic x = ${TOYOTA_RADAR_TO_CENTER_M} m to base_link`,
    gnssAltitude: 'u-blox height above the WGS84 ellipsoid, stored as altitudeMsl with geoidSeparation 0',
    notImported: 'IMU, wheel speed, steering, qcom GNSS, raw GNSS, video: no frame type for them in percept',
  };
  const firstStamp = frames.length ? frames[0].stamp : offset;
  await writeScenario(options.out, rig, info, async (writer) => {
    await writer.writeCalibration(firstStamp);
    for (const frame of frames) await writer.writeFrame(frame);
  });
  return { path: options.out, frames: { [COMMA2K19_RADAR_ID]: radarSeq, [COMMA2K19_GNSS_ID]: gnssSeq }, groundTruth: 0, rig, skipped };
}
