import type { FrameSet } from '../engine/core/frames.js';
import type { EgoPose } from '../engine/events/perception-event.js';
import { SetFusion } from '../engine/fuse/set-fusion.js';
import { replayScenario } from '../engine/replay.js';
import { ensureDefaultScenario } from '../scenarios/default-scenario.js';
import type { Rig } from '../engine/config/rig-schema.js';
import { median, type Benchmark } from './benchmark.js';

/** Seconds of the default scenario whose sets are fused: 200 LiDAR sweeps at 20 Hz. */
const DURATION_S = 10;

/**
 * The fusion stage alone on the default scenario's sets, as the engine formed them: LiDAR ground
 * removal, clusters and boxes, radar velocities, the tracker. The sets are collected first (their
 * LiDAR and radar frames only), then fused one after another on a fresh SetFusion.
 */
export const fuseBench: Benchmark = {
  name: 'fusion of the default scenario (LiDAR objects, radar, tracker)',
  async run() {
    const path = await ensureDefaultScenario();
    const sets: FrameSet[] = [];
    const egoByStamp = new Map<bigint, EgoPose | undefined>();
    let rig: Rig | undefined;
    await replayScenario({
      path, max: true, durationS: DURATION_S,
      onEngine: (engine) => {
        rig = engine.rig;
        engine.framesets$.subscribe((set) => {
          const frames = new Map([...set.frames].filter(([, f]) => f.modality === 'lidar' || f.modality === 'radar'));
          sets.push({ ...set, frames });
        });
      },
      onEvent: (e) => egoByStamp.set(e.stamp, e.ego),
    });
    const fusion = new SetFusion(rig!);
    const wall: number[] = [];
    let cpuUs = 0;
    let objects = 0;
    for (const set of sets) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      objects += fusion.fuse(set, egoByStamp.get(set.stamp), undefined).length;
      wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
    }
    const sorted = [...wall].sort((a, b) => a - b);
    return [
      { key: 'fuse.frameMs', value: median(wall), note: `ms per set, median of ${sets.length} (${(objects / sets.length).toFixed(0)} objects per set); goal ≤ 5` },
      { key: 'fuse.frame.cpuMs', value: cpuUs / 1000 / sets.length, note: 'CPU ms per set (mean)' },
      { key: 'fuse.frame.p99Ms', value: sorted[Math.floor(0.99 * (sorted.length - 1))], note: 'ms per set, 99th percentile' },
    ];
  },
};
