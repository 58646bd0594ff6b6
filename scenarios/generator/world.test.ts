import { describe, expect, it } from 'vitest';
import { actorState, createWorld, egoState, type World } from './world.js';
import { roadCoordinates, roadPlace } from './road.js';

describe('createWorld', () => {
  it('is a function of the seed alone', () => {
    expect(createWorld(42)).toEqual(createWorld(42));
    expect(createWorld(42)).not.toEqual(createWorld(43));
  });

  it('has 15 to 25 actors of the three classes with their nominal sizes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const w = createWorld(seed);
      expect(w.actors.length).toBeGreaterThanOrEqual(15);
      expect(w.actors.length).toBeLessThanOrEqual(25);
      expect(new Set(w.actors.map((a) => a.label))).toEqual(new Set(['car', 'pedestrian', 'cyclist']));
      expect(w.actors.find((a) => a.label === 'car')!.size).toEqual({ length: 4.5, width: 1.9, height: 1.6 });
    }
  });

  it('keeps actors apart: no two boxes overlap during 20 s', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const w = createWorld(seed);
      for (let t = 0; t <= 20; t += 0.5) {
        const boxes = w.actors.map((a) => ({ a, s: actorState(w, a, t) }));
        const ego = egoState(w, t);
        boxes.push({ a: { ...w.actors[0], id: 0, size: { length: 4.1, width: 1.8, height: 1.5 } }, s: { ...ego, x: ego.x + 1.3 * Math.cos(ego.yaw), y: ego.y + 1.3 * Math.sin(ego.yaw) } });
        for (let i = 0; i < boxes.length; i++) {
          for (let j = i + 1; j < boxes.length; j++) {
            const p = boxes[i], q = boxes[j];
            const gap = Math.hypot(p.s.x - q.s.x, p.s.y - q.s.y);
            // Circles inscribed in the boxes' widths: a conservative overlap test for road users side by side or in line.
            const reach = (Math.min(p.a.size.width, p.a.size.length) + Math.min(q.a.size.width, q.a.size.length)) / 2;
            expect(gap, `seed ${seed} t ${t}: actors ${p.a.id} and ${q.a.id}`).toBeGreaterThan(reach);
          }
        }
      }
    }
  });
});

function finiteDifference(w: World, f: (t: number) => { x: number; y: number; yaw: number }, t: number): { vx: number; vy: number; yawRate: number } {
  const h = 1e-4;
  const a = f(t - h), b = f(t + h);
  let dyaw = b.yaw - a.yaw;
  dyaw -= 2 * Math.PI * Math.round(dyaw / (2 * Math.PI));
  return { vx: (b.x - a.x) / (2 * h), vy: (b.y - a.y) / (2 * h), yawRate: dyaw / (2 * h) };
}

describe('closed-form motion', () => {
  const w = createWorld(3);
  it('gives velocities that are the derivative of the positions', () => {
    for (const t of [0, 1.7, 9.3, 19]) {
      const ego = egoState(w, t);
      const fd = finiteDifference(w, (u) => egoState(w, u), t);
      expect(ego.vx).toBeCloseTo(fd.vx, 4);
      expect(ego.vy).toBeCloseTo(fd.vy, 4);
      expect(ego.yawRate).toBeCloseTo(fd.yawRate, 5);
      for (const actor of w.actors) {
        const s = actorState(w, actor, t);
        const d = finiteDifference(w, (u) => actorState(w, actor, u), t);
        expect(s.vx).toBeCloseTo(d.vx, 4);
        expect(s.vy).toBeCloseTo(d.vy, 4);
        if (s.speed > 0) expect(Math.atan2(s.vy, s.vx) - s.yaw).toBeCloseTo(0, 6);
      }
    }
  });

  it('drives the ego at 8 to 10 m/s', () => {
    for (let t = 0; t < 20; t += 0.25) {
      const v = egoState(w, t).speed;
      expect(v).toBeGreaterThan(7.8);
      expect(v).toBeLessThan(10.2);
    }
  });

  it('maps road coordinates both ways', () => {
    for (const [s, d] of [[0, 0], [37.5, -1.75], [180, 9.1], [-20, 5.25]]) {
      const p = roadPlace(w.road, s, d);
      const back = roadCoordinates(w.road, p.x, p.y);
      expect(back.s).toBeCloseTo(s, 9);
      expect(back.d).toBeCloseTo(d, 9);
    }
  });
});
