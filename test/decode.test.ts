import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCandumpLine } from '../adapters/can/candump.js';
import { encodeCanFrame } from '../adapters/can/signal.js';
import { DECODE_FILE_FORMATS, decodeFile, type DecodedCanLine, type DecodeFileFormat, type DecodeFileOptions } from '../adapters/decode-file.js';
import { frameToJson } from '../adapters/frame-json.js';
import { loadArs408Dbc } from '../adapters/radar/ars408.js';
import { encodeNuscenesRadarPcd } from '../adapters/radar/nuscenes-radar-pcd.js';
import { encodeTiPacket } from '../adapters/radar/ti-mmwave.js';
import type { SensorFrame } from '../engine/core/frames.js';
import { secondsToNanos } from '../engine/core/time.js';
import { npyBytesAt, npyFloat64, npyInt64AsNumbers, parseNpy } from '../scenarios/import/npy.js';

/*
 * `percept decode` for every format it knows: real fixtures where one exists; for gpsd JSON, the
 * ARS408, TI mmWave and nuScenes radar formats (no real recording here), small files built in the
 * test — gpsd's own JSON lines from a gpsd regression .chk, and the encoders the radar tests use
 * (published layouts). A candump log is made from comma2k19's real radar-bus frames.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const F = (path: string): string => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));
const NMEA_LOG = F('gps_nmea/bu353s4.log');
const tmp = mkdtempSync(join(tmpdir(), 'percept-decode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const generated = (name: string): string => join(tmp, name);

/** gpsd's JSON reports as a gpsd client reads them: the JSON lines of a regression .chk file. */
function writeGpsdJson(): void {
  const lines = readFileSync(F('gps_nmea/bu353s4.log.chk'), 'utf8').split('\n').filter((l) => l.startsWith('{'));
  writeFileSync(generated('gpsd.json'), lines.join('\n') + '\n');
}

/** comma2k19's real radar-bus frames (the first 2,000) as candump -l text. */
function writeCommaCandump(): number {
  const npy = (p: string) => parseNpy(readFileSync(F(`comma2k19/processed_log/CAN/raw_can/${p}`)), p);
  const t = npyFloat64(npy('t'), 't');
  const address = npyInt64AsNumbers(npy('address'), 'address');
  const data = npy('data');
  const count = 2000;
  const lines = Array.from({ length: count }, (_, i) => formatCandumpLine({ time: secondsToNanos(t[i]), channel: 'can1', id: address[i], data: npyBytesAt(data, i) }));
  writeFileSync(generated('comma.candump'), lines.join('\n') + '\n');
  return count;
}

/** Three ARS408 object-list cycles of two objects, encoded through ars408.dbc. */
function writeArs408(): void {
  const db = loadArs408Dbc();
  const msg = (name: string) => db.byName.get(name)!;
  const lines: string[] = [];
  for (let cycle = 0; cycle < 3; cycle++) {
    const t0 = 1_700_000_000_000_000_000n + BigInt(cycle) * 72_000_000n;
    const line = (t: bigint, name: string, values: Record<string, number>) =>
      formatCandumpLine({ time: t, channel: 'can0', id: msg(name).id, data: encodeCanFrame(msg(name), values) });
    lines.push(line(t0, 'Obj_0_Status', { Obj_NofObjects: 2, Obj_MeasCounter: cycle, Obj_InterfaceVersion: 1 }));
    lines.push(line(t0 + 100_000n, 'Obj_1_General', { Obj_ID: 3, Obj_DistLong: 25.4 + cycle, Obj_DistLat: -1.8, Obj_VrelLong: -3.25, Obj_VrelLat: 0.5, Obj_DynProp: 0, Obj_RCS: 10.5 }));
    lines.push(line(t0 + 200_000n, 'Obj_1_General', { Obj_ID: 9, Obj_DistLong: 80.2, Obj_DistLat: 12.6, Obj_VrelLong: 1.75, Obj_VrelLat: -2.25, Obj_DynProp: 0, Obj_RCS: -4 }));
  }
  writeFileSync(generated('ars408.candump'), lines.join('\n') + '\n');
}

function writeTiMmwave(): void {
  const points = [{ x: 0.5, y: 4.25, z: -0.125, doppler: -1.5, snr: 21.3, noise: 5.2 }, { x: -2, y: 10, z: 0.75, doppler: 0.25, snr: 12, noise: 4 }];
  writeFileSync(generated('ti.bin'), Buffer.concat([0, 1, 2, 3].map((n) => encodeTiPacket({ frameNumber: n, points: points.slice(0, 1 + (n % 2)) }))));
}

function writeNuscenesRadar(): void {
  // Kept by the nuScenes devkit's default filter: invalid_state 0, ambig_state 3.
  const points = [
    { x: 12.5, y: -1.25, z: 0, dyn_prop: 0, id: 1, rcs: 5.5, vx: -0.5, vy: 0.25, vx_comp: 0.1, vy_comp: 0.2, ambig_state: 3, invalid_state: 0 },
    { x: 40, y: 3, z: 0, dyn_prop: 2, id: 2, rcs: -3, vx: 1, vy: 0, vx_comp: 1, vy_comp: 0, ambig_state: 3, invalid_state: 0 },
  ];
  writeFileSync(generated('radar.pcd'), encodeNuscenesRadarPcd(points));
}

interface Case {
  path: () => string;
  options?: DecodeFileOptions;
  type: string;
  /** Frames expected, where the fixture fixes it. */
  frames?: number;
}

const CASES: Record<DecodeFileFormat, Case> = {
  nmea: { path: () => NMEA_LOG, type: 'gnss', frames: 25 },
  'gpsd-json': { path: () => generated('gpsd.json'), type: 'gnss', frames: 25 },
  'kitti-oxts': { path: () => F('kitti_raw/2011_09_26/2011_09_26_drive_0001_sync'), type: 'gnss', frames: readdirSync(F('kitti_raw/2011_09_26/2011_09_26_drive_0001_sync/oxts/data')).length },
  'velodyne-pcap': { path: () => F('lidar_pcap/velodyne/velodyne_vlp32.pcap'), options: { calibration: F('lidar_pcap/velodyne/32db.yaml') }, type: 'pointcloud', frames: 2 },
  'ouster-pcap': { path: () => F('lidar_pcap/ouster/OS-1-32-G_v2.1.1_1024x10.pcap'), options: { metadata: F('lidar_pcap/ouster/OS-1-32-G_v2.1.1_1024x10.json') }, type: 'pointcloud' },
  'kitti-bin': { path: () => F('kitti/000001/velodyne.bin'), type: 'pointcloud', frames: 1 },
  'nuscenes-pcd-bin': { path: () => F('lidar_pcap/nuscenes/n008-2018-09-18-12-07-26-0400__LIDAR_TOP__1537287083900561.pcd.bin'), type: 'pointcloud', frames: 1 },
  pcd: { path: () => F('lidar_pcap/pcd/grid_binary_compressed.pcd'), type: 'pointcloud', frames: 1 },
  candump: { path: () => generated('comma.candump'), options: { dbc: F('comma2k19/toyota_adas.dbc') }, type: 'can', frames: 2000 },
  'ars408-candump': { path: () => generated('ars408.candump'), type: 'radar', frames: 3 },
  'ti-mmwave': { path: () => generated('ti.bin'), type: 'radar', frames: 4 },
  'nuscenes-radar-pcd': { path: () => generated('radar.pcd'), type: 'radar', frames: 1 },
  jpeg: { path: () => F('camera/n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg'), type: 'image', frames: 1 },
  png: { path: () => F('kitti/000001/image_2.png'), type: 'image', frames: 1 },
  wav: { path: () => F('audio/speech.wav'), type: 'audio' },
};

/** The keys `percept decode` documents for each kind of line. */
const DOCUMENTED_KEYS: Record<string, string[]> = {
  gnss: ['type', 'stamp', 'latitude', 'longitude', 'altitude', 'fixType', 'satellites', 'hdop', 'speed', 'track'],
  pointcloud: ['type', 'stamp', 'count', 'fields', 'bounds'],
  radar: ['type', 'stamp', 'targets'],
  audio: ['type', 'stamp', 'samples', 'sampleRate'],
  image: ['type', 'stamp', 'width', 'height', 'encoding'],
  can: ['type', 'stamp', 'channel', 'id', 'message', 'signals'],
};

/** A line exactly as the command prints it (bigints and non-finite numbers as the command writes them). */
function jsonLine(item: SensorFrame | DecodedCanLine, full: boolean): Record<string, unknown> {
  const value = 'modality' in item ? frameToJson(item, full) : { ...item, stamp: item.stamp.toString() };
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

beforeAll(() => {
  writeGpsdJson();
  writeCommaCandump();
  writeArs408();
  writeTiMmwave();
  writeNuscenesRadar();
});

describe('decodeFile for every percept decode format', () => {
  it('has a case for every format', () => {
    expect(Object.keys(CASES).sort()).toEqual([...DECODE_FILE_FORMATS].sort());
  });

  for (const format of DECODE_FILE_FORMATS) {
    it(format, async () => {
      const c = CASES[format];
      const { items, stats } = await decodeFile(format, c.path(), c.options);
      const lines: Record<string, unknown>[] = [];
      for await (const item of items) lines.push(jsonLine(item, format === 'pcd'));
      if (c.frames !== undefined) expect(lines).toHaveLength(c.frames);
      else expect(lines.length).toBeGreaterThan(0);
      expect(stats.frames).toBe(lines.length);
      for (const line of lines) {
        expect(line.type).toBe(c.type);
        expect(Object.keys(line)).toEqual(expect.arrayContaining(DOCUMENTED_KEYS[c.type]));
        expect(line.stamp).toMatch(/^-?\d+$/);
      }
      const first = lines[0];
      switch (c.type) {
        case 'gnss':
          expect(first.latitude).toEqual(expect.any(Number));
          expect(first.longitude).toEqual(expect.any(Number));
          break;
        case 'pointcloud':
          expect(first.count).toBeGreaterThan(0);
          expect((first.fields as { name: string }[]).map((f) => f.name)).toEqual(expect.arrayContaining(['x', 'y', 'z']));
          expect(first.bounds).toMatchObject({ min: expect.any(Array), max: expect.any(Array) });
          if (format === 'pcd') expect(first.points).toHaveLength(first.count as number);
          else expect(first.points).toBeUndefined();
          break;
        case 'radar':
          expect((first.targets as unknown[]).length).toBeGreaterThan(0);
          break;
        case 'audio':
          expect(first.sampleRate).toBe(16000);
          expect(first.samples).toBeGreaterThan(0);
          break;
        case 'image':
          expect(first).toMatchObject(format === 'jpeg' ? { width: 1600, height: 900, encoding: 'jpeg' } : { width: 1242, height: 375, encoding: 'png' });
          break;
        case 'can':
          expect(first).toMatchObject({ channel: 'can1', message: expect.stringMatching(/^TRACK_A_\d+$/) });
          expect(Object.keys(first.signals as object)).toContain('LONG_DIST');
          break;
      }
    });
  }
});

function percept(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('percept decode on the command line', () => {
  it('prints JSON lines and the count; a corrupted file gives counted errors and exit 0', async () => {
    // Every tenth sentence gets a wrong checksum digit: those are counted and skipped.
    const corrupted = readFileSync(NMEA_LOG, 'latin1').split('\n').map((l, i) => (l.startsWith('$') && i % 10 === 0 ? l.replace(/\*([0-9A-F])/, (_m, d: string) => `*${d === '0' ? '1' : '0'}`) : l));
    writeFileSync(generated('corrupted.log'), corrupted.join('\n'));
    const expectedErrors = corrupted.filter((l, i) => l.startsWith('$') && i % 10 === 0).length;
    const [good, bad] = await Promise.all([
      percept('decode', 'nmea', 'test/fixtures/gps_nmea/bu353s4.log'),
      percept('decode', 'nmea', generated('corrupted.log')),
    ]);
    expect(good.code).toBe(0);
    const lines = good.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(25);
    expect(lines[0]).toMatchObject({ type: 'gnss', stamp: '1419995239000000000', fixType: '3d' });
    expect(good.stderr).toBe('25 frames, 0 errors\n');

    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(/^error: bad-checksum: /);
    expect(bad.stderr).toMatch(new RegExp(`\\n\\d+ frames, ${expectedErrors} errors \\(bad-checksum ${expectedErrors}\\)\\n$`));
    expect(bad.stdout.trimEnd().split('\n').every((l) => JSON.parse(l).type === 'gnss')).toBe(true);
  });

  it('an unknown format or a missing file is exit 2 with one line', async () => {
    const [unknown, missing] = await Promise.all([
      percept('decode', 'carrier-pigeon', 'test/fixtures/gps_nmea/bu353s4.log'),
      percept('decode', 'nmea', 'test/fixtures/gps_nmea/no-such.log'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^percept: unknown format "carrier-pigeon" \(known: nmea, gpsd-json, [^\n]*\)\n$/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('percept: input not found: test/fixtures/gps_nmea/no-such.log\n');
    expect(unknown.stdout + missing.stdout).toBe('');
  });
});
