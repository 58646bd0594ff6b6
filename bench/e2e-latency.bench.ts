import type { SensorFrame } from '../engine/core/frames.js';
import { replayScenario } from '../engine/replay.js';
import { defaultScenarioWithRig } from './default-scenario-rig.js';
import type { Benchmark } from './benchmark.js';

const DURATION_S = 8;

/**
 * The default scenario at rate 1 (its first 8 s), timed from the arrival of the last frame of each
 * set to its event being published. The rig's encoders are left out: the figure is the engine's own
 * latency (sync, fusion, tracking, publishing), not a model's inference time.
 */
export const e2eLatencyBench: Benchmark = {
  name: `end-to-end latency of the default scenario at rate 1 (${DURATION_S} s, no encoders)`,
  async run() {
    const { path, rig } = await defaultScenarioWithRig();

    const arrival = new Map<string, bigint>();
    const latencies: number[] = [];
    const afterSync: number[] = [];
    await replayScenario({
      path,
      rig: { ...rig, encoders: [] },
      rate: 1,
      durationS: DURATION_S,
      onEngine: (engine) => {
        engine.frames$.subscribe((frame: SensorFrame) => arrival.set(`${frame.sensorId}/${frame.seq}`, process.hrtime.bigint()));
      },
      onEvent: (event) => {
        const published = process.hrtime.bigint();
        let last: bigint | undefined;
        for (const f of event.frames) {
          const t = arrival.get(`${f.sensorId}/${f.seq}`);
          if (t !== undefined && (last === undefined || t > last)) last = t;
        }
        if (last === undefined) return;
        latencies.push(Number(published - last) / 1e6);
        afterSync.push(Number(published - last) / 1e6 - event.latency.syncMs);
      },
    });
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(0.99 * values.length))];
    return [
      { key: 'e2e.latency.p50Ms', value: sorted[sorted.length >> 1], note: `ms, last frame of a set arriving → its event published, ${sorted.length} events` },
      { key: 'e2e.latency.p99Ms', value: p99(latencies), note: 'ms, the same, 99th percentile; goal ≤ 50' },
      { key: 'e2e.latency.maxMs', value: sorted[sorted.length - 1], note: 'ms, the same, worst event' },
      { key: 'e2e.latency.afterSyncP99Ms', value: p99(afterSync), note: 'ms, 99th percentile, from the set being formed (its nearest frames proven) to the event published' },
    ];
  },
};
