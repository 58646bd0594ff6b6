import type { Rig } from '../engine/config/rig-schema.js';
import { replayScenario } from '../engine/replay.js';
import { defaultScenarioWithRig } from './default-scenario-rig.js';
import { median, type Benchmark, type Figure } from './benchmark.js';

/**
 * The main job: the default scenario replayed at full speed through the engine, with the rig as it
 * ships (the VAD and the coco detector included) and again without its encoders, which is the
 * engine's own throughput (sync, LiDAR objects, radar, tracking, events).
 */
export const e2eReplayBench: Benchmark = {
  name: 'end-to-end replay of the default scenario (--max)',
  async run() {
    const { path, rig } = await defaultScenarioWithRig();
    return [
      ...(await replayFigures(path, rig, 'e2e.replay', 'the default rig with its encoders; goal ≥ 4 before there were encoders')),
      ...(await replayFigures(path, { ...rig, encoders: [] }, 'e2e.replay.noEncoders', 'the default rig without encoders')),
    ];
  },
};

async function replayFigures(path: string, rig: Rig, prefix: string, what: string): Promise<Figure[]> {
  const factors: number[] = [];
  const walls: number[] = [];
  const p50s: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await replayScenario({ path, rig, max: true });
    factors.push(s.realtimeFactor);
    walls.push(s.wallS);
    p50s.push(s.latencyMs.p50);
  }
  return [
    { key: `${prefix}.realtimeFactor`, value: median(factors), note: `× (sensor s ÷ wall s), median of 3: ${what}` },
    { key: `${prefix}.wallS`, value: median(walls), note: 's, median of 3' },
    { key: `${prefix}.latencyP50Ms`, value: median(p50s), note: 'ms, event latency p50, median of 3' },
  ];
}
