import { describe, expect, it } from 'vitest';
import { loadPresetRig } from './preset-rig.js';
import { createRng } from '../../engine/core/prng.js';
import { scanRadar } from './radar.js';
import { mountOf, sensorPose, sensorVelocity, worldToSensor } from './sensor-pose.js';
import { actorState, createWorld, egoState } from './world.js';

describe('scanRadar', () => {
  const world = createWorld(2);
  const mount = mountOf(loadPresetRig().rig.sensors.find((s) => s.id === 'radar_front')!);

  it('reports the line-of-sight relative velocity as Doppler, negative for an oncoming car', () => {
    let checked = 0;
    for (let t = 0; t < 3; t += 0.25) {
      const ego = egoState(world, t);
      const pose = sensorPose(mount, ego);
      const own = sensorVelocity(mount, ego);
      const targets = scanRadar(world, mount, t, createRng(Math.round(t * 100)));
      const local = new Float64Array(3);
      const where = world.actors.map((actor) => {
        worldToSensor(pose, actorState(world, actor, t).x, actorState(world, actor, t).y, 0.6, local);
        return { actor, x: local[0], y: local[1] };
      });
      // Each strong return (clutter stays at or below 0 dBsm) belongs to the actor nearest to it.
      for (const target of targets.filter((x) => x.rcs > 0)) {
        const nearest = where.reduce((a, b) => (Math.hypot(b.x - target.x, b.y - target.y) < Math.hypot(a.x - target.x, a.y - target.y) ? b : a));
        if (nearest.actor.label !== 'car' || nearest.actor.speed >= 0 || nearest.x < 10) continue;
        const st = actorState(world, nearest.actor, t);
        const range = Math.hypot(st.x - pose.ox, st.y - pose.oy);
        const expected = ((st.vx - own.vx) * (st.x - pose.ox) + (st.vy - own.vy) * (st.y - pose.oy)) / range;
        expect(expected).toBeLessThan(-10);
        expect(target.doppler).toBeCloseTo(expected, 0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('keeps every target within ±60° and 120 m, clutter included', () => {
    const targets = scanRadar(world, mount, 1, createRng(9));
    for (const t of targets) {
      expect(Math.abs(Math.atan2(t.y, t.x))).toBeLessThanOrEqual((61 * Math.PI) / 180);
      expect(Math.hypot(t.x, t.y)).toBeLessThanOrEqual(121);
      expect(Math.abs(t.doppler)).toBeLessThan(40);
    }
    expect(targets.filter((t) => t.rcs <= 0).length).toBeGreaterThanOrEqual(1);
  });
});
