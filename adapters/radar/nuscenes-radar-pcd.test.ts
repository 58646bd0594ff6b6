import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUSCENES_RADAR_POINT_BYTES, createNuscenesRadarDecoder, encodeNuscenesRadarPcd, nuscenesRadarStamp, parseNuscenesRadarPcd } from './nuscenes-radar-pcd.js';

/*
 * No nuScenes radar file is stored here: files are BUILT from the published layout, the header
 * quoted in nuscenes-devkit's RadarPointCloud.from_file docstring (18 fields, SIZE 4 4 4 1 2 4 4 4
 * 4 4 1 1 1 1 1 1 1 1, TYPE F F F I I F F F F F I I I I I I I I), by encodeNuscenesRadarPcd.
 */

const POINTS = [
  { x: 20, y: 5, z: 0, dyn_prop: 0, id: 1, rcs: 7.5, vx: 1, vy: 2, vx_comp: 3, vy_comp: -1, ambig_state: 3, invalid_state: 0 },
  { x: 40, y: -2, z: 0, dyn_prop: 1, id: 2, rcs: -3, vx_comp: 0.5, vy_comp: 0, ambig_state: 3, invalid_state: 0 },
  { x: 10, y: 0, z: 0, dyn_prop: 0, id: 3, rcs: 0, ambig_state: 2, invalid_state: 0 }, // ambiguous Doppler: filtered
  { x: 12, y: 1, z: 0, dyn_prop: 0, id: 4, rcs: 0, ambig_state: 3, invalid_state: 6 }, // mirror: filtered
];

describe('nuScenes radar .pcd', () => {
  it('is 43 bytes a point after the ASCII header', () => {
    const file = encodeNuscenesRadarPcd(POINTS);
    const header = new TextDecoder().decode(file).split('DATA binary\n')[0] + 'DATA binary\n';
    expect(file.length - header.length).toBe(4 * NUSCENES_RADAR_POINT_BYTES);
  });

  it('decodes targets with Doppler = radial component of (vx_comp, vy_comp), devkit filters by default', () => {
    const d = createNuscenesRadarDecoder({ sensorId: 'radar_front' });
    const [scan] = d.push(encodeNuscenesRadarPcd(POINTS), 9n);
    expect(scan).toMatchObject({ modality: 'radar', sensorId: 'radar_front', stamp: 9n, receivedAt: 9n, seq: 0 });
    expect(scan.targets).toHaveLength(2);
    expect(scan.targets[0]).toEqual({ x: 20, y: 5, z: 0, doppler: expect.closeTo((3 * 20 - 1 * 5) / Math.hypot(20, 5), 6), rcs: 7.5, snr: NaN });
    expect(scan.targets[1].doppler).toBeCloseTo((0.5 * 40) / Math.hypot(40, 2), 6);
    const all = parseNuscenesRadarPcd(encodeNuscenesRadarPcd(POINTS), null);
    expect(all.ok && all.points.map((p) => p.values.id)).toEqual([1, 2, 3, 4]);
    expect(all.ok && all.points[1].values.dyn_prop).toBe(1);
  });

  it('NaN in the first point is an empty cloud (devkit rule); the file name gives the stamp', () => {
    const r = parseNuscenesRadarPcd(encodeNuscenesRadarPcd([{ x: NaN }, POINTS[0]]));
    expect(r).toEqual({ ok: true, points: [], total: 0 });
    expect(nuscenesRadarStamp('n015-2018-07-24-11-22-45+0800__RADAR_FRONT__1532402927664178.pcd')).toBe(1532402927664178000n);
    const d = createNuscenesRadarDecoder({ sensorId: 'r' });
    expect(d.pushFile(encodeNuscenesRadarPcd(POINTS), 1n, 5n)[0].stamp).toBe(5n);
  });

  it('bad files are counted by code', () => {
    const good = encodeNuscenesRadarPcd(POINTS);
    const d = createNuscenesRadarDecoder({ sensorId: 'r' });
    expect(d.push(good.subarray(0, good.length - 10), 1n)).toEqual([]);
    expect(d.push(new TextEncoder().encode('VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n1 2 3\n'), 1n)).toEqual([]);
    expect(d.push(new TextEncoder().encode('hello'), 1n)).toEqual([]);
    expect(d.stats.errors).toEqual({ truncated: 1, 'unsupported-data': 1, 'bad-header': 1 });
  });

  it('random bytes, truncations and bit flips never throw (fast-check)', () => {
    const real = encodeNuscenesRadarPcd(POINTS);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc.nat().map((cut) => real.subarray(0, cut % (real.length + 1))),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => { const b = real.slice(); b[at % b.length] ^= 1 << bit; return b; }),
        ),
        (bytes) => {
          const d = createNuscenesRadarDecoder({ sensorId: 'r', filter: 'none' });
          for (const s of d.push(bytes, 0n)) for (const t of s.targets) expect([t.x, t.y, t.z, t.doppler].every(Number.isFinite)).toBe(true);
          expect(d.stats.accepted + Object.values(d.stats.errors).reduce((a, b) => a + b, 0)).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
