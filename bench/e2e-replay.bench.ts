import { replayScenario } from '../engine/replay.js';
import { ensureDefaultScenario } from '../scenarios/default-scenario.js';
import { median, type Benchmark } from './benchmark.js';

/** The main job: the default scenario replayed at full speed through the engine. */
export const e2eReplayBench: Benchmark = {
  name: 'end-to-end replay of the default scenario (--max)',
  async run() {
    const path = await ensureDefaultScenario();
    const factors: number[] = [];
    const walls: number[] = [];
    const p50s: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await replayScenario({ path, max: true });
      factors.push(s.realtimeFactor);
      walls.push(s.wallS);
      p50s.push(s.latencyMs.p50);
    }
    return [
      { key: 'e2e.replay.realtimeFactor', value: median(factors), note: '× (sensor s ÷ wall s), median of 3; goal ≥ 4' },
      { key: 'e2e.replay.wallS', value: median(walls), note: 's, median of 3' },
      { key: 'e2e.replay.latencyP50Ms', value: median(p50s), note: 'ms, event latency p50, median of 3' },
    ];
  },
};
