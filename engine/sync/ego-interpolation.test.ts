import { describe, it, expect } from 'vitest';
import type { GnssFix } from '../core/frames.js';
import { EnuFrame } from '../core/geodesy.js';
import { createRng } from '../core/prng.js';
import { loadKittiRawOxts, loadKittiRawStamps } from '../../test/fixtures/kitti_raw/load-kitti-raw.js';
import { EgoInterpolator } from './ego-interpolation.js';

const MS = 1_000_000n;
const T0 = 1_317_042_145_000_000_000n;
const ORIGIN = { latitude: 49.015, longitude: 8.434, altitude: 160 };

function fixAt(stamp: bigint, latitude: number, longitude: number, altitudeMsl: number, extra: Partial<GnssFix> = {}): GnssFix {
  return {
    modality: 'gnss', sensorId: 'gnss', frameId: 'gnss', stamp, receivedAt: stamp, seq: 0,
    fixType: 'rtk-fixed', latitude, longitude, altitudeMsl, geoidSeparation: 0, satellites: 12, hdop: 0.8,
    speed: NaN, track: NaN, heading: NaN, covariance: new Array(9).fill(NaN), ...extra,
  };
}

/** Degrees clockwise from north, as NMEA gives heading and course, from a yaw (from east, counter-clockwise). */
function yawToCompass(yaw: number): number {
  return ((((90 - (yaw * 180) / Math.PI) % 360) + 360) % 360);
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}

describe('EgoInterpolator on a synthetic circle', () => {
  // 20 m radius at 0.5 rad/s (10 m/s), counter-clockwise, fixes at 10 Hz for 30 s: the yaw crosses ±π twice.
  const R = 20, W = 0.5, PERIOD = 100n * MS;
  const frame = new EnuFrame(ORIGIN);
  const truth = (t: number) => ({ east: R * Math.sin(W * t), north: R - R * Math.cos(W * t), yaw: wrap(W * t) });
  const fixes = Array.from({ length: 301 }, (_, k) => {
    const t = k / 10;
    const p = truth(t);
    const g = frame.toGeodetic({ east: p.east, north: p.north, up: 0 });
    return fixAt(T0 + BigInt(k) * PERIOD, g.latitude, g.longitude, g.altitude, { heading: yawToCompass(p.yaw), speed: R * W, track: yawToCompass(p.yaw) });
  });

  it('interpolates position on the chord and yaw along the shortest arc, continuous across ±π', () => {
    const ego = new EgoInterpolator({ capacity: 512 });
    for (const f of fixes) expect(ego.add(f)).toBe(true);
    let previousYaw: number | undefined;
    let worstPosition = 0, worstYaw = 0, worstStep = 0, worstSpeed = 0, largestYaw = 0;
    for (let ms = 0; ms <= 30_000; ms += 7) {
      const pose = ego.egoPoseAt(T0 + BigInt(ms) * MS)!;
      const p = truth(ms / 1000);
      worstPosition = Math.max(worstPosition, Math.hypot(pose.position.x - p.east, pose.position.y - p.north));
      worstYaw = Math.max(worstYaw, Math.abs(wrap(pose.yaw - p.yaw)));
      largestYaw = Math.max(largestYaw, Math.abs(pose.yaw));
      if (previousYaw !== undefined) worstStep = Math.max(worstStep, Math.abs(wrap(pose.yaw - previousYaw)));
      previousYaw = pose.yaw;
      worstSpeed = Math.max(worstSpeed, Math.abs(pose.speed - R * W));
    }
    expect(largestYaw).toBeLessThanOrEqual(Math.PI);
    expect(worstSpeed).toBeLessThan(1e-9);
    // The chord of a 0.05 rad arc of 20 m lies 6.25 mm inside it.
    expect(worstPosition).toBeLessThan(0.0065);
    expect(worstYaw).toBeLessThan(1e-9);
    expect(worstStep).toBeLessThan(W * 0.007 + 1e-9);
  });

  it('gives back each fix at its own stamp, lat/lon included', () => {
    const ego = new EgoInterpolator();
    for (const f of fixes.slice(0, 50)) ego.add(f);
    for (const f of fixes.slice(0, 50)) {
      const pose = ego.egoPoseAt(f.stamp)!;
      expect(pose.latitude).toBeCloseTo(f.latitude, 10);
      expect(pose.longitude).toBeCloseTo(f.longitude, 10);
      expect(pose.altitude).toBeCloseTo(f.altitudeMsl, 6);
    }
    const mid = ego.egoPoseAt(fixes[10].stamp + 50n * MS)!;
    const back = ego.frame!.toEnu({ latitude: mid.latitude, longitude: mid.longitude, altitude: mid.altitude });
    expect(Math.hypot(back.east - mid.position.x, back.north - mid.position.y, back.up - mid.position.z)).toBeLessThan(1e-6);
  });

  it('extrapolates at constant velocity and turn rate up to the limit, and no further', () => {
    const ego = new EgoInterpolator();
    for (const f of fixes.slice(0, 100)) ego.add(f);
    const newest = fixes[99].stamp;
    const ahead = ego.egoPoseAt(newest + 200n * MS)!;
    const p = truth(9.9 + 0.2);
    // Straight on along the last chord while the circle bends away at v²/R = 5 m/s²: ½·5·0.25² ≈ 0.16 m off.
    expect(Math.hypot(ahead.position.x - p.east, ahead.position.y - p.north)).toBeLessThan(0.17);
    expect(Math.abs(wrap(ahead.yaw - p.yaw))).toBeLessThan(1e-9);
    expect(ego.egoPoseAt(newest + 200n * MS + 1n)).toBeUndefined();
    const strict = new EgoInterpolator({ maxExtrapolationNs: 0n });
    for (const f of fixes.slice(0, 3)) strict.add(f);
    expect(strict.egoPoseAt(fixes[2].stamp)).toBeDefined();
    expect(strict.egoPoseAt(fixes[2].stamp + 1n)).toBeUndefined();
    expect(ego.egoPoseAt(fixes[0].stamp - 1n)).toBeUndefined();
  });

  it('keeps a bounded ring: the oldest fixes go', () => {
    const ego = new EgoInterpolator({ capacity: 16 });
    for (const f of fixes.slice(0, 40)) ego.add(f);
    expect(ego.size).toBe(16);
    expect(ego.oldestStamp).toBe(fixes[24].stamp);
    expect(ego.newestStamp).toBe(fixes[39].stamp);
    expect(ego.egoPoseAt(fixes[23].stamp)).toBeUndefined();
    const pose = ego.egoPoseAt(fixes[30].stamp + 30n * MS)!;
    const p = truth(3.03);
    expect(Math.hypot(pose.position.x - p.east, pose.position.y - p.north)).toBeLessThan(0.01);
  });
});

describe('EgoInterpolator yaw sources and bad input', () => {
  const frame = new EnuFrame(ORIGIN);
  const at = (k: number, east: number, extra: Partial<GnssFix>) => {
    const g = frame.toGeodetic({ east, north: 0, up: 0 });
    return fixAt(T0 + BigInt(k) * 100n * MS, g.latitude, g.longitude, g.altitude, extra);
  };

  it('uses the course while moving, holds the yaw when stopped, and derives a missing speed', () => {
    const ego = new EgoInterpolator();
    ego.add(at(0, 0, { track: 90, speed: 5 }));
    ego.add(at(1, 0.5, { track: 45, speed: 5 }));
    // Stopped: the course is noise and must not turn the yaw.
    ego.add(at(2, 0.5, { track: 270, speed: 0.1 }));
    ego.add(at(3, 1.5, {}));
    expect(ego.egoPoseAt(T0)!.yaw).toBeCloseTo(0, 12);
    expect(ego.egoPoseAt(T0 + 100n * MS)!.yaw).toBeCloseTo(Math.PI / 4, 12);
    expect(ego.egoPoseAt(T0 + 200n * MS)!.yaw).toBeCloseTo(Math.PI / 4, 12);
    expect(ego.egoPoseAt(T0 + 300n * MS)!.speed).toBeCloseTo(10, 6);
  });

  it('refuses unusable and out-of-order fixes and counts them', () => {
    const ego = new EgoInterpolator();
    expect(ego.add(at(5, 0, {}))).toBe(true);
    expect(ego.add(at(5, 1, {}))).toBe(false);
    expect(ego.add(at(4, 1, {}))).toBe(false);
    expect(ego.add(at(6, 1, { fixType: 'none' }))).toBe(false);
    expect(ego.add(at(6, 1, { latitude: NaN }))).toBe(false);
    expect(ego.add(at(6, 1, { longitude: 181 }))).toBe(false);
    expect(ego.rejected).toBe(5);
    expect(ego.size).toBe(1);
    expect(() => new EgoInterpolator({ capacity: 1 })).toThrow(RangeError);
    expect(new EgoInterpolator().egoPoseAt(T0)).toBeUndefined();
  });

  it('answers the same whatever order the queries come in', () => {
    const rng = createRng(7);
    const ego = new EgoInterpolator();
    for (let k = 0; k < 20; k++) ego.add(at(k, k * 1.2 + rng.uniform(-0.05, 0.05), { heading: rng.uniform(0, 360) }));
    const stamps = Array.from({ length: 50 }, () => T0 + BigInt(rng.int(0, 1_900)) * MS);
    const forward = stamps.map((s) => ego.egoPoseAt(s));
    const backward = [...stamps].reverse().map((s) => ego.egoPoseAt(s)).reverse();
    expect(backward).toEqual(forward);
  });
});

describe('EgoInterpolator on KITTI raw OXTS (drive 2011_09_26_0001)', () => {
  const oxts = loadKittiRawOxts();
  const velodyne = loadKittiRawStamps().velodyne;
  const toFix = (o: (typeof oxts)[number], yawShift = 0) =>
    fixAt(o.stamp, o.lat, o.lon, o.alt, { heading: yawToCompass(wrap(o.yaw + yawShift)), speed: Math.hypot(o.vn, o.ve) });

  it('at the Velodyne stamps, matches a linear interpolation of the OXTS positions within 1 cm', () => {
    const ego = new EgoInterpolator();
    for (const o of oxts) ego.add(toFix(o));
    const frame = new EnuFrame({ latitude: oxts[0].lat, longitude: oxts[0].lon, altitude: oxts[0].alt });
    const enu = oxts.map((o) => frame.toEnu({ latitude: o.lat, longitude: o.lon, altitude: o.alt }));
    let checked = 0, worst = 0;
    for (const stamp of velodyne) {
      const pose = ego.egoPoseAt(stamp);
      const i = oxts.findIndex((o, k) => k + 1 < oxts.length && o.stamp <= stamp && stamp < oxts[k + 1].stamp);
      if (i < 0) {
        // Only the first sweep's stamp precedes the first OXTS record.
        expect(stamp).toBeLessThan(oxts[0].stamp);
        expect(pose).toBeUndefined();
        continue;
      }
      const u = Number(stamp - oxts[i].stamp) / Number(oxts[i + 1].stamp - oxts[i].stamp);
      const east = enu[i].east + (enu[i + 1].east - enu[i].east) * u;
      const north = enu[i].north + (enu[i + 1].north - enu[i].north) * u;
      worst = Math.max(worst, Math.hypot(pose!.position.x - east, pose!.position.y - north));
      const lo = Math.min(oxts[i].yaw, oxts[i + 1].yaw), hi = Math.max(oxts[i].yaw, oxts[i + 1].yaw);
      expect(pose!.yaw).toBeGreaterThanOrEqual(lo - 1e-9);
      expect(pose!.yaw).toBeLessThanOrEqual(hi + 1e-9);
      checked++;
    }
    expect(checked).toBe(107);
    expect(worst).toBeLessThan(0.01);
  });

  it('predicts each left-out OXTS record from its neighbours within a few cm (the drive is smooth at 10 Hz)', () => {
    const ego = new EgoInterpolator();
    oxts.forEach((o, k) => k % 2 === 0 && ego.add(toFix(o)));
    const frame = ego.frame!;
    let worst = 0, worstYaw = 0;
    for (let k = 1; k < oxts.length - 1; k += 2) {
      const pose = ego.egoPoseAt(oxts[k].stamp)!;
      const p = frame.toEnu({ latitude: oxts[k].lat, longitude: oxts[k].lon, altitude: oxts[k].alt });
      worst = Math.max(worst, Math.hypot(pose.position.x - p.east, pose.position.y - p.north));
      worstYaw = Math.max(worstYaw, Math.abs(wrap(pose.yaw - oxts[k].yaw)));
    }
    expect(worst).toBeLessThan(0.05);
    expect(worstYaw).toBeLessThan(0.005);
  });

  it('stays continuous when the same drive heads across ±π (yaw shifted by −0.45 rad)', () => {
    const ego = new EgoInterpolator();
    for (const o of oxts) ego.add(toFix(o, -0.45));
    let previous: number | undefined;
    let crossings = 0, worstStep = 0;
    for (let t = oxts[0].stamp; t <= oxts[107].stamp; t += 5n * MS) {
      const yaw = ego.egoPoseAt(t)!.yaw;
      if (previous !== undefined) {
        worstStep = Math.max(worstStep, Math.abs(wrap(yaw - previous)));
        if (Math.abs(yaw - previous) > Math.PI) crossings++;
      }
      previous = yaw;
    }
    expect(crossings).toBeGreaterThan(0);
    // The drive turns at under 0.02 rad/s: 5 ms steps move the yaw by well under a milliradian.
    expect(worstStep).toBeLessThan(0.001);
  });
});
