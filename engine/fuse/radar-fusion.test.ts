import { describe, expect, it } from 'vitest';
import type { RadarScan } from '../core/frames.js';
import { IDENTITY_QUATERNION } from '../core/geometry.js';
import type { DetectedObject } from '../events/perception-event.js';
import { DEFAULT_RADAR_FUSION, fuseRadar } from './radar-fusion.js';

const radarAt = { translation: { x: 3.5, y: 0, z: 0.5 }, rotation: IDENTITY_QUATERNION };

function object(x: number, y: number, yaw = 0): DetectedObject {
  return {
    id: 1, label: 'car', score: 0.7, position: { x, y, z: 0.8 }, size: { x: 4.5, y: 1.9, z: 1.6 }, yaw,
    velocity: { x: 0, y: 0, z: 0 }, latitude: NaN, longitude: NaN, covariance: [], ageS: 0, sources: ['lidar_top'],
  };
}

function scan(targets: { x: number; y: number; doppler: number; rcs?: number }[]): RadarScan {
  return {
    modality: 'radar', sensorId: 'radar_front', frameId: 'radar_front', stamp: 0n, receivedAt: 0n, seq: 0,
    targets: targets.map((t) => ({ x: t.x, y: t.y, z: 0, doppler: t.doppler, rcs: t.rcs ?? 10, snr: 20 })),
  };
}

describe('fuseRadar', () => {
  it('gives an object ahead its velocity over ground, with the ego motion removed', () => {
    // Ego at 10 m/s; the car ahead at 5 m/s: seen from the radar it closes at 5 m/s.
    const car = object(23.5, 0);
    const { measured } = fuseRadar([car], [{ scan: scan([{ x: 18, y: 0, doppler: -5 }]), extrinsic: radarAt }], 10, DEFAULT_RADAR_FUSION, () => 99);
    expect(measured.has(car)).toBe(true);
    expect(car.velocity.x).toBeCloseTo(5, 6);
    expect(car.velocity.y).toBeCloseTo(0, 6);
    expect(car.sources).toEqual(['lidar_top', 'radar_front']);
  });

  it('solves both axes when targets see the object from different directions', () => {
    // A car crossing at (0, 4) m/s, 5 m ahead of the radar, seen across ±31°; the ego stands still.
    const truth = { x: 0, y: 4 };
    const car = { ...object(8.5, 0, Math.PI / 2), size: { x: 6.5, y: 2, z: 1.6 } };
    const points = [{ x: 5, y: -3 }, { x: 5, y: 3 }];
    const targets = points.map((p) => {
      const d = Math.hypot(p.x, p.y);
      return { ...p, doppler: (truth.x * p.x + truth.y * p.y) / d };
    });
    fuseRadar([car], [{ scan: scan(targets), extrinsic: radarAt }], 0, DEFAULT_RADAR_FUSION, () => 99);
    expect(car.velocity.x).toBeCloseTo(0, 6);
    expect(car.velocity.y).toBeCloseTo(4, 6);
  });

  it('keeps targets beyond LiDAR range that no object claims as radar-only objects', () => {
    const ids = [10, 11];
    const { radarOnly } = fuseRadar([object(20, 0)], [{ scan: scan([{ x: 80, y: 2, doppler: -10, rcs: 12 }, { x: 81, y: 2.5, doppler: -10 }, { x: 30, y: 20, doppler: 0 }]), extrinsic: radarAt }], 10, DEFAULT_RADAR_FUSION, () => ids.shift()!);
    expect(radarOnly).toHaveLength(1);
    expect(radarOnly[0].label).toBe('radar-object');
    expect(radarOnly[0].id).toBe(10);
    expect(radarOnly[0].position.x).toBeCloseTo(84, 0);
    // Closing at 10 m/s while the ego does 10 m/s: the object stands still.
    expect(Math.hypot(radarOnly[0].velocity.x, radarOnly[0].velocity.y)).toBeLessThan(0.2);
  });
  it('measures no velocity where the lines of sight see none of it (a car passing alongside)', () => {
    // A side radar looking left at a car beside the ego, both at 10 m/s: Doppler 0 on every target.
    const left = { translation: { x: 2.4, y: 0.8, z: 0.5 }, rotation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 } };
    const car = object(2.4, 3.5);
    const targets = [{ x: 2.6, y: -0.3, doppler: 0 }, { x: 2.6, y: 0.4, doppler: 0 }];
    const { measured } = fuseRadar([car], [{ scan: scan(targets), extrinsic: left }], 10, DEFAULT_RADAR_FUSION, () => 99);
    // Its speed along the road is unobservable here: none rather than 0 m/s.
    expect(measured.has(car)).toBe(false);
    expect(car.velocity).toEqual({ x: 0, y: 0, z: 0 });
    expect(car.sources).toContain('radar_front');
  });

  it('drops a clutter return that disagrees with the other targets on the object', () => {
    const car = object(23.5, 0);
    const targets = [{ x: 18, y: -0.3, doppler: -5 }, { x: 18, y: 0.3, doppler: -5 }, { x: 18.2, y: 0, doppler: -5.05 }, { x: 19.5, y: 1.9, doppler: -10, rcs: -3 }];
    const { measured } = fuseRadar([car], [{ scan: scan(targets), extrinsic: radarAt }], 10, DEFAULT_RADAR_FUSION, () => 99);
    expect(measured.has(car)).toBe(true);
    expect(car.velocity.x).toBeCloseTo(5, 1);
    expect(Math.abs(car.velocity.y)).toBeLessThan(0.3);
  });
});
