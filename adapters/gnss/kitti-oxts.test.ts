import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnuFrame } from '../../engine/core/geodesy.js';
import { createKittiOxtsDecoder, parseKittiTimestamp } from './kitti-oxts-decoder.js';
import { readKittiOxtsFolder } from './kitti-oxts-folder.js';

// KITTI raw 2011_09_26_drive_0001_sync (CC BY-NC-SA 3.0, test use only; see its NOTICE).
const DRIVE = new URL('../../test/fixtures/kitti_raw/2011_09_26/2011_09_26_drive_0001_sync/', import.meta.url);
const RECORD0 = readFileSync(new URL('oxts/data/0000000000.txt', DRIVE));
const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

describe('readKittiOxtsFolder on the real drive', () => {
  it('gives 108 fixes stamped from timestamps.txt', async () => {
    const { fixes, stats } = await readKittiOxtsFolder(fileURLToPath(DRIVE), { sensorId: 'oxts' });
    expect(stats.errors).toEqual({});
    expect(fixes).toHaveLength(108);
    expect(fixes.map((f) => f.seq)).toEqual(fixes.map((_, i) => i));
    expect(fixes[0].stamp).toBe(parseKittiTimestamp('2011-09-26 13:02:25.964389445'));
    expect(fixes[0].stamp % 1_000_000_000n).toBe(964_389_445n);
    expect(iso(fixes[107].stamp)).toBe('2011-09-26T13:02:37.004Z');
    for (const f of fixes) expect(f.receivedAt).toBe(f.stamp);
    const f = fixes[0];
    expect(f).toMatchObject({
      modality: 'gnss', sensorId: 'oxts', frameId: 'oxts', fixType: 'rtk-fixed', satellites: 11,
      latitude: 49.015003823272, longitude: 8.4342971002335, altitudeMsl: 116.43032836914,
    });
    // yaw -2.6087 rad (0 = east, counter-clockwise) is a heading of 239.47° (0 = north, clockwise).
    expect(f.heading).toBeCloseTo(90 + 2.6087069803847 * 180 / Math.PI, 9);
    expect(f.speed).toBeCloseTo(Math.hypot(13.172716663769, -0.12475264293164), 12);
    expect(f.covariance[0]).toBeCloseTo(0.027658633371879 ** 2, 15);
  });

  it('agrees with itself: displacement between records matches speed and track', async () => {
    const { fixes } = await readKittiOxtsFolder(fileURLToPath(new URL('oxts/', DRIVE)));
    const enu = new EnuFrame({ latitude: fixes[0].latitude, longitude: fixes[0].longitude, altitude: fixes[0].altitudeMsl });
    for (let i = 1; i < fixes.length; i++) {
      const a = enu.toEnu({ latitude: fixes[i - 1].latitude, longitude: fixes[i - 1].longitude, altitude: 0 });
      const b = enu.toEnu({ latitude: fixes[i].latitude, longitude: fixes[i].longitude, altitude: 0 });
      const dt = Number(fixes[i].stamp - fixes[i - 1].stamp) / 1e9;
      const speed = (fixes[i].speed + fixes[i - 1].speed) / 2;
      expect(Math.hypot(b.east - a.east, b.north - a.north) / dt).toBeCloseTo(speed, 0);
      const course = (Math.atan2(b.east - a.east, b.north - a.north) * 180) / Math.PI;
      const diff = ((course - fixes[i].track + 540) % 360) - 180;
      expect(Math.abs(diff)).toBeLessThan(3);
    }
  });

  it('throws for a folder that is not a KITTI OXTS folder', async () => {
    await expect(readKittiOxtsFolder(fileURLToPath(new URL('image_00/', DRIVE)))).rejects.toThrow(/no KITTI OXTS/);
  });
});

describe('createKittiOxtsDecoder', () => {
  it('stamps with receivedAt when no timestamps are given', () => {
    const d = createKittiOxtsDecoder({ sensorId: 'oxts', frameId: 'imu_link' });
    const [f] = d.push(RECORD0, 42n);
    expect(f).toMatchObject({ stamp: 42n, receivedAt: 42n, frameId: 'imu_link', seq: 0 });
    expect(d.framing).toBe('file');
    expect(d.flush()).toEqual([]);
  });

  it('counts bad records, oversized files and missing stamps', () => {
    const d = createKittiOxtsDecoder({ sensorId: 'oxts', stamps: [1n, undefined] });
    expect(d.push(RECORD0, 0n)).toHaveLength(1);
    expect(d.push(RECORD0, 0n)).toHaveLength(0); // its timestamp line did not parse
    expect(d.push(RECORD0, 0n)).toHaveLength(0); // past the end of timestamps
    expect(d.push(Buffer.from('49.0 8.4 nan'), 0n)).toHaveLength(0);
    expect(d.push(new Uint8Array(10_000).fill(0x31), 0n)).toHaveLength(0);
    expect(d.stats.errors).toEqual({ 'no-stamp': 2, 'bad-record': 1, 'too-large': 1 });
    expect(() => createKittiOxtsDecoder({ sensorId: 'oxts', maxFileSize: 1 })).toThrow(/maxFileSize/);
  });

  it('reads KITTI timestamp lines as UTC nanoseconds, refusing others', () => {
    expect(parseKittiTimestamp('2011-09-26 13:02:25.964389445')).toBe(BigInt(Date.UTC(2011, 8, 26, 13, 2, 25)) * 1_000_000n + 964_389_445n);
    expect(parseKittiTimestamp('2011-09-26T13:02:25')).toBeUndefined();
    expect(parseKittiTimestamp('2011-13-26 13:02:25.1')).toBeUndefined();
  });

  it('never throws on random or damaged records', () => {
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.record({ flip: fc.nat(), cut: fc.nat() }).map(({ flip, cut }) => {
        const b = Buffer.from(RECORD0);
        b[flip % b.length] ^= 1 << (flip % 8);
        return b.subarray(0, cut % (b.length + 1));
      }),
    ), (bytes) => {
      const d = createKittiOxtsDecoder({ sensorId: 'oxts' });
      for (const f of d.push(bytes, 0n)) {
        expect(Math.abs(f.latitude)).toBeLessThanOrEqual(90);
        expect(Number.isFinite(f.speed)).toBe(true);
      }
      expect(d.stats.accepted + Object.values(d.stats.errors).reduce((a, b) => a + b, 0)).toBe(1);
    }), { numRuns: 300 });
  });
});
