import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { createEngine } from '../engine.js';
import { validateRig } from '../config/load-rig.js';
import type { SensorFrame } from '../core/frames.js';
import { sampleFrames, sampleRigInput } from '../../test/fixtures/mcap/sample-scenario.js';

describe('metrics endpoint', () => {
  it('serves Prometheus text with frames, drops, latency and sensor health, and /healthz', async () => {
    const rig = validateRig({ ...sampleRigInput(), outputs: { metrics: { port: 0 } } });
    const input = new Subject<SensorFrame>();
    const engine = createEngine(rig, { input });
    await engine.start();
    for (const frame of sampleFrames({ durationMs: 500 })) input.next(frame);
    const base = engine.endpoints.metrics.replace(/\/metrics$/, '');
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/percept_frames_total\{sensor="lidar"\} 6/);
    expect(text).toMatch(/percept_events_total \d+/);
    expect(text).toMatch(/percept_stage_latency_seconds_bucket\{le="0.001",stage="total"\}/);
    expect(text).toMatch(/percept_sensor_up\{sensor="cam",state="ok"\} 1/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { sensors: unknown[] }).sensors).toHaveLength(5);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    input.complete();
    await engine.done;
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });
});
