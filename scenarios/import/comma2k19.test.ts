import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GnssFix, RadarScan } from '../../engine/core/frames.js';
import { ImportError } from './import-error.js';
import { COMMA2K19_GNSS_ID, COMMA2K19_RADAR_ID, importComma2k19 } from './comma2k19.js';
import { readScenarioFile, type ScenarioContents } from './testing/read-scenario-file.js';

// The fixture is the real segment's layout (test/fixtures/comma2k19, see NOTICE): raw_can cut to the
// radar's frames, the u-blox fixes whole.
const SEGMENT = fileURLToPath(new URL('../../test/fixtures/comma2k19/', import.meta.url));

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'percept-comma2k19-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('importComma2k19 on the comma2k19 fixture', () => {
  let result: Awaited<ReturnType<typeof importComma2k19>>;
  let contents: ScenarioContents;
  const warnings: string[] = [];
  beforeAll(async () => {
    result = await importComma2k19({ dir: SEGMENT, out: join(tmp, 'seg.mcap'), dbc: join(SEGMENT, 'toyota_adas.dbc'), onWarning: (w) => warnings.push(w) });
    contents = await readScenarioFile(result.path);
  });

  it('writes 1200 radar scans (20 Hz × 60 s) and 579 u-blox fixes', () => {
    expect(result.frames).toEqual({ [COMMA2K19_RADAR_ID]: 1200, [COMMA2K19_GNSS_ID]: 579 });
    expect(contents.framesBySensor.get(COMMA2K19_RADAR_ID)).toHaveLength(1200);
    expect(contents.framesBySensor.get(COMMA2K19_GNSS_ID)).toHaveLength(579);
    expect(warnings).toEqual([]);
    const targets = (contents.framesBySensor.get(COMMA2K19_RADAR_ID) as RadarScan[]).reduce((n, s) => n + s.targets.length, 0);
    expect(targets).toBe(10100);
  });

  it('puts the radar 2.7 m ahead of base_link in the rig and keeps targets in the radar frame', () => {
    const radar = contents.rig.sensors.find((s) => s.id === COMMA2K19_RADAR_ID)!;
    expect(radar.extrinsic.translation).toEqual([2.7, 0, 0]);
    const tf = contents.calibration.find((c) => c.child_frame_id === COMMA2K19_RADAR_ID)!;
    expect(tf.translation.x).toBeCloseTo(2.7, 12);
  });

  it('maps boot time to Unix time through the u-blox UTC field (milliseconds)', () => {
    const fixes = contents.framesBySensor.get(COMMA2K19_GNSS_ID) as GnssFix[];
    // First fix: UTC 1533226488299 ms = 2018-08-02T16:14:48.299Z.
    expect(new Date(Number(fixes[0].stamp / 1_000_000n)).toISOString()).toBe('2018-08-02T16:14:48.299Z');
    expect(fixes[0]).toMatchObject({ latitude: expect.closeTo(37.7209977, 6), longitude: expect.closeTo(-122.472305, 5), fixType: '3d', speed: expect.closeTo(7.823, 3) });
    const scans = contents.framesBySensor.get(COMMA2K19_RADAR_ID) as RadarScan[];
    // The segment spans 60 s from 16:14:48 UTC; every radar stamp falls inside it.
    const start = Date.UTC(2018, 7, 2, 16, 14, 48) - 1000;
    for (const s of [scans[0], scans[scans.length - 1]]) {
      const ms = Number(s.stamp / 1_000_000n);
      expect(ms).toBeGreaterThan(start);
      expect(ms).toBeLessThan(start + 62_000);
    }
    // Receipt and fix time differ by the receiver's latency only.
    for (const f of fixes) expect(Math.abs(Number(f.receivedAt - f.stamp)) / 1e6).toBeLessThan(100);
    expect(contents.info.notImported).toMatch(/IMU/);
  });

  it('a missing or damaged file names it', async () => {
    await expect(importComma2k19({ dir: join(tmp, 'nowhere'), out: join(tmp, 'x.mcap') })).rejects.toThrow(/live_gnss_ublox\/t: NumPy array not found/);
    const { cp, truncate } = await import('node:fs/promises');
    const copy = join(tmp, 'damaged');
    await cp(SEGMENT, copy, { recursive: true });
    await truncate(join(copy, 'processed_log/CAN/raw_can/data'), 1000);
    const err = await importComma2k19({ dir: copy, out: join(tmp, 'd.mcap') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect(String(err)).toMatch(/raw_can\/data: NPY array is truncated/);
  });
});
