import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../core/prng.js';
import { Tracker, type Track, type TrackerInput, type TrackerOptions } from './tracker.js';

const STEP_NS = 100_000_000n; // 10 Hz
const T0 = 1_700_000_000_000_000_000n;
const stamp = (k: number): bigint => T0 + BigInt(k) * STEP_NS;

function det(label: string, x: number, y: number, yaw = 0, extra: Partial<TrackerInput> = {}): TrackerInput {
  const size = label === 'pedestrian' ? { x: 0.7, y: 0.7, z: 1.75 } : { x: 4.5, y: 1.9, z: 1.6 };
  return { position: { x, y, z: size.z / 2 }, size, yaw, label, score: 0.9, sources: ['lidar_top'], ...extra };
}

const noisy = (rng: Rng, std: number) => (v: number): number => v + std * rng.normal();

describe('Tracker', () => {
  it('keeps the ids of two pedestrians whose paths cross', () => {
    const rng = createRng(7);
    const n = noisy(rng, 0.08);
    const tracker = new Tracker();
    const s = 1.2 / Math.SQRT2;
    const a = (t: number) => ({ x: -5 + s * t, y: -5 + s * t });
    const b = (t: number) => ({ x: -5 + s * t, y: 5 - s * t });
    let idA: number | undefined, idB: number | undefined;
    let switches = 0;
    for (let k = 0; k <= 90; k++) {
      const t = k * 0.1;
      const pa = a(t), pb = b(t);
      const tracks = tracker.update(stamp(k), [det('pedestrian', n(pb.x), n(pb.y)), det('pedestrian', n(pa.x), n(pa.y))]);
      const confirmed = tracks.filter((tr) => tr.state !== 'tentative');
      if (confirmed.length < 2) continue;
      const nearest = (p: { x: number; y: number }) => confirmed.reduce((best, tr) => (Math.hypot(tr.position.x - p.x, tr.position.y - p.y) < Math.hypot(best.position.x - p.x, best.position.y - p.y) ? tr : best)).id;
      if (Math.hypot(pa.x - pb.x, pa.y - pb.y) < 1) continue; // at the crossing either reading is fine
      const [na, nb] = [nearest(pa), nearest(pb)];
      if (idA === undefined) [idA, idB] = [na, nb];
      else if (na !== idA || nb !== idB) switches++;
    }
    expect(idA).toBeDefined();
    expect(idA).not.toBe(idB);
    expect(switches).toBe(0);
    expect(tracker.stats.births).toBe(2);
  });

  it('coasts an object occluded for 3 frames and re-acquires it with the same id', () => {
    const tracker = new Tracker();
    const states: string[] = [];
    const ids = new Set<number>();
    for (let k = 0; k < 25; k++) {
      const x = 20 + 0.8 * k; // 8 m/s
      const occluded = k >= 10 && k < 13;
      const tracks = tracker.update(stamp(k), occluded ? [] : [det('car', x, 3)]);
      expect(tracks).toHaveLength(1);
      ids.add(tracks[0].id);
      states.push(tracks[0].state);
      if (occluded) {
        expect(tracks[0].sources).toEqual([]);
        // predicted, not measured: still where the car is
        expect(Math.abs(tracks[0].position.x - x)).toBeLessThan(0.5);
      }
    }
    expect([...ids]).toEqual([1]);
    expect(states.slice(0, 3)).toEqual(['tentative', 'tentative', 'confirmed']);
    expect(states.slice(10, 13)).toEqual(['coasting', 'coasting', 'coasting']);
    expect(states[13]).toBe('confirmed');
    expect(states[24]).toBe('confirmed');
  });

  it('never confirms a false positive seen once', () => {
    const tracker = new Tracker();
    let ghostId: number | undefined;
    for (let k = 0; k < 12; k++) {
      const dets = [det('car', 15, -3)];
      if (k === 4) dets.push(det('car', -12, 8));
      const tracks = tracker.update(stamp(k), dets);
      if (k === 4) ghostId = tracks.find((t) => t.position.x < 0)!.id;
      const ghost = tracks.find((t) => t.id === ghostId);
      if (ghost) expect(ghost.state).toBe('tentative');
      if (k >= 8) expect(ghost).toBeUndefined();
    }
    expect(ghostId).toBe(2);
    expect(tracker.stats.deaths).toBe(1);
  });

  it('estimates the velocity of a constant-velocity car within 0.3 m/s after 10 frames', () => {
    const rng = createRng(11);
    const n = noisy(rng, 0.05);
    const tracker = new Tracker();
    const v = { x: -8, y: 0.6 };
    let tracks: Track[] = [];
    for (let k = 0; k < 10; k++) {
      const t = k * 0.1;
      tracks = tracker.update(stamp(k), [det('car', n(30 + v.x * t), n(-2 + v.y * t), Math.atan2(v.y, v.x) + 0.02 * rng.normal())]);
    }
    expect(tracks).toHaveLength(1);
    expect(tracks[0].state).toBe('confirmed');
    expect(Math.hypot(tracks[0].velocity.x - v.x, tracks[0].velocity.y - v.y)).toBeLessThan(0.3);
    expect(Math.abs(tracks[0].yaw - Math.atan2(v.y, v.x))).toBeLessThan(0.05);
  });

  it('tracks a turning car with CTRV better than with constant velocity', () => {
    const run = (options: TrackerOptions) => {
      const rng = createRng(13);
      const n = noisy(rng, 0.1);
      const tracker = new Tracker(options);
      const r = 20, w = 0.4; // 8 m/s on a 20 m circle
      let worst = 0, last: Track | undefined;
      for (let k = 0; k < 40; k++) {
        const t = k * 0.1;
        const th = w * t;
        const truth = { x: r * Math.sin(th), y: r * (1 - Math.cos(th)), yaw: th, vx: r * w * Math.cos(th), vy: r * w * Math.sin(th) };
        const [track] = tracker.update(stamp(k), [det('car', n(truth.x), n(truth.y), th + 0.03 * rng.normal())]);
        last = track;
        if (k >= 15) worst = Math.max(worst, Math.hypot(track.velocity.x - truth.vx, track.velocity.y - truth.vy));
      }
      return { worst, last: last! };
    };
    const ctrv = run({});
    const cv = run({ classes: { car: { model: 'cv' } } });
    expect(ctrv.last.id).toBe(1);
    expect(ctrv.worst).toBeLessThan(0.6);
    expect(ctrv.worst).toBeLessThan(cv.worst);
  });

  it('sees a static object as static while the ego drives at 10 m/s and turns', () => {
    const rng = createRng(17);
    const n = noisy(rng, 0.05);
    const world = { x: 60, y: 8 };
    const withPose = new Tracker();
    const withoutPose = new Tracker();
    let a: Track[] = [], b: Track[] = [];
    const xs: number[] = [], truthXs: number[] = [];
    for (let k = 0; k < 30; k++) {
      const t = k * 0.1;
      const ego = { position: { x: 10 * t, y: 0.5 * t * t, z: 0 }, yaw: Math.atan2(t, 10) };
      const c = Math.cos(ego.yaw), s = Math.sin(ego.yaw);
      const dx = world.x - ego.position.x, dy = world.y - ego.position.y;
      const local = { x: c * dx + s * dy, y: -s * dx + c * dy };
      const d = det('car', n(local.x), n(local.y), -ego.yaw);
      a = withPose.update(stamp(k), [d], ego);
      b = withoutPose.update(stamp(k), [d]);
      xs.push(a[0].position.x);
      truthXs.push(local.x);
      expect(Math.abs(a[0].position.x - local.x)).toBeLessThan(0.3);
    }
    expect(Math.hypot(a[0].velocity.x, a[0].velocity.y)).toBeLessThan(0.3);
    // in base_link it comes closer by about 1 m per frame
    expect(xs[29] - xs[19]).toBeLessThan(-9);
    expect(Math.abs(xs[29] - xs[19] - (truthXs[29] - truthXs[19]))).toBeLessThan(0.2);
    // without the ego pose, the ego's motion shows up as the object's
    expect(b[0].velocity.x).toBeLessThan(-9);
    expect(a[0].id).toBe(1);
  });

  it('switches a cluster track to a car (CV → CTRV) without losing it', () => {
    const tracker = new Tracker();
    let tracks: Track[] = [];
    for (let k = 0; k < 20; k++) {
      const x = 10 + 0.6 * k;
      tracks = tracker.update(stamp(k), [det(k < 8 ? 'cluster' : 'car', x, 1, 0)]);
    }
    expect(tracks).toHaveLength(1);
    expect(tracks[0].label).toBe('car');
    expect(tracks[0].velocity.x).toBeCloseTo(6, 0);
  });

  it('uses a radar velocity from the first frame', () => {
    const tracker = new Tracker();
    const [t1] = tracker.update(stamp(0), [det('car', 40, 0, 0, { velocity: { x: -12, y: 0 } })]);
    expect(t1.velocity.x).toBeCloseTo(-12, 6);
    const [t2] = tracker.update(stamp(1), [det('car', 38.8, 0, 0, { velocity: { x: -12, y: 0 } })]);
    expect(t2.velocity.x).toBeCloseTo(-12, 1);
    expect(t2.position.x).toBeCloseTo(38.8, 1);
  });

  it('gives identical tracks for identical input', () => {
    const run = (): string => {
      const rng = createRng(23);
      const tracker = new Tracker();
      const out: Track[][] = [];
      for (let k = 0; k < 60; k++) {
        const dets: TrackerInput[] = [];
        for (let i = 0; i < 8; i++) {
          if (rng.next() < 0.15) continue;
          dets.push(det(i % 3 === 0 ? 'pedestrian' : 'car', 5 * i - 10 + 0.5 * k * 0.1 * i + 0.1 * rng.normal(), 4 * (i % 4) + 0.1 * rng.normal()));
        }
        if (rng.next() < 0.3) dets.push(det('cluster', rng.uniform(-40, 40), rng.uniform(-40, 40)));
        out.push(tracker.update(stamp(k), dets, { position: { x: k, y: 0, z: 0 }, yaw: 0.01 * k }));
      }
      return JSON.stringify(out);
    };
    const first = run();
    expect(run()).toBe(first);
    expect(first.length).toBeGreaterThan(1000);
  });

  it('outputs tracks ordered by id, ids increasing from 1', () => {
    const tracker = new Tracker();
    let tracks: Track[] = [];
    for (let k = 0; k < 5; k++) tracks = tracker.update(stamp(k), [det('car', 30, 0), det('car', 10, 0), det('pedestrian', 5, 5)]);
    expect(tracks.map((t) => t.id)).toEqual([1, 2, 3]);
    expect(tracks.map((t) => t.position.x.toFixed(0))).toEqual(['30', '10', '5']);
    expect(tracks.every((t) => t.covariance.length === 4 && t.existence > 0.9 && t.hits === 5)).toBe(true);
    expect(tracks[0].ageS).toBeCloseTo(0.4, 12);
  });

  it('counts bad input instead of throwing; repeated stamps are ignored, a jump back starts over', () => {
    const tracker = new Tracker({ maxDetections: 3 });
    const bad = [
      det('car', NaN, 0),
      { ...det('car', 1, 1), label: 7 as unknown as string },
      null as unknown as TrackerInput,
      det('car', 10, 0, NaN, { size: { x: -1, y: NaN, z: 0 }, score: NaN }),
    ];
    const tracks = tracker.update(stamp(0), bad, { position: { x: NaN, y: 0, z: 0 }, yaw: 0 });
    expect(tracks).toHaveLength(1);
    expect(tracks[0].size).toEqual({ x: 1, y: 1, z: 1 });
    expect(tracker.stats).toMatchObject({ invalidDetections: 3, droppedDetections: 0, invalidEgoPoses: 1 });
    tracker.update(stamp(0), [det('car', 10, 0)]);
    expect(tracker.stats.repeatedStamps).toBe(1);
    tracker.update(stamp(1), [det('car', 10, 0), det('car', 20, 0), det('car', 30, 0), det('car', 40, 0)]);
    expect(tracker.stats.droppedDetections).toBe(1);
    const after = tracker.update(stamp(-5), [det('car', 10, 0)]);
    expect(tracker.stats.backwardJumps).toBe(1);
    expect(after.map((t) => [t.id, t.state])).toEqual([[4, 'tentative']]);
    expect(() => tracker.update(5 as unknown as bigint, [])).toThrow(TypeError);
  });

  it('keeps a car track at the car when later detections show only its near end (anchored on the face the sensor sees)', () => {
    const tracker = new Tracker();
    let tracks: Track[] = [];
    for (let k = 0; k < 30; k++) {
      const x = 20 + 0.5 * k; // 5 m/s away from the sensor
      // First the whole car, then only its rear face, unclassified (too little of it to tell).
      const d = k < 10 ? det('car', x, 3) : det('cluster', x - 2.2, 3, Math.PI / 2, { size: { x: 1.8, y: 0.1, z: 1.2 }, score: 0.2, viewpoint: { x: 0.9, y: 0 } });
      tracks = tracker.update(stamp(k), [d]);
    }
    expect(tracks).toHaveLength(1);
    expect(tracks[0].label).toBe('car');
    expect(Math.abs(tracks[0].position.x - (20 + 0.5 * 29))).toBeLessThan(0.2);
    // A partial view says nothing about the size.
    expect(tracks[0].size.x).toBeCloseTo(4.5, 6);
  });

  it('takes a camera class over any number of shape votes, and says where the class comes from', () => {
    const tracker = new Tracker();
    let tracks: Track[] = [];
    for (let k = 0; k < 20; k++) {
      const camera = k % 5 === 4;
      tracks = tracker.update(stamp(k), [det(camera ? 'car' : 'truck', 10, 3, 0, { score: 0.6, classSource: camera ? 'camera' : 'shape' })]);
      if (k === 3) expect(tracks[0]).toMatchObject({ label: 'truck', classSource: 'shape' });
    }
    expect(tracks[0]).toMatchObject({ label: 'car', classSource: 'camera' });
    const unclassified = new Tracker().update(stamp(0), [det('cluster', 5, 5)]);
    expect(unclassified[0].classSource).toBeUndefined();
  });

  it('confirms an object first seen through weak detections', () => {
    const tracker = new Tracker();
    let tracks: Track[] = [];
    for (let k = 0; k < 3; k++) tracks = tracker.update(stamp(k), [det('cluster', 30 - 0.1 * k, 8, 0, { score: 0.04 })]);
    expect(tracks.map((t) => [t.id, t.state])).toEqual([[1, 'confirmed']]);
  });
});
