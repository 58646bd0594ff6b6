import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { from } from 'rxjs';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { open } from 'node:fs/promises';
import { createEngine } from './engine.js';
import { validateRig } from './config/load-rig.js';
import { loadProtos } from './core/proto.js';
import type { FrameSet } from './core/frames.js';
import type { PerceptionEvent } from './events/perception-event.js';
import { sampleFrames, sampleRigInput } from '../test/fixtures/mcap/sample-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createEngine', () => {
  it('turns frames into frame sets and events that carry the frames, ego pose, health and latency', async () => {
    const rig = validateRig({ ...sampleRigInput(), fusion: { egoGnss: 'gnss' } });
    const frames = sampleFrames({ durationMs: 1000 });
    const engine = createEngine(rig, { input: from(frames) });
    const sets: FrameSet[] = [];
    const events: PerceptionEvent[] = [];
    let seenFrames = 0;
    engine.frames$.subscribe(() => seenFrames++);
    engine.framesets$.subscribe((s) => sets.push(s));
    engine.events$.subscribe((e) => events.push(e));
    await engine.start();
    await engine.done;

    expect(seenFrames).toBe(frames.length);
    // One set per reference (camera) frame: 0, 100, …, 1000 ms.
    expect(sets).toHaveLength(11);
    expect(events).toHaveLength(11);
    const first = events[0];
    expect(first.seq).toBe(0);
    expect(first.stamp).toBe(frames.find((f) => f.sensorId === 'cam')!.stamp);
    expect(first.frames.map((f) => f.sensorId).sort()).toEqual(['cam', 'gnss', 'lidar', 'mic', 'radar']);
    expect(first.missing).toEqual([]);
    expect(first.ego?.latitude).toBeCloseTo(42.336, 9);
    expect(events[10].ego!.position.y).toBeGreaterThan(1); // ten fixes 1e-5° apart going north: ~1.1 m
    expect(first.health.find((h) => h.sensorId === 'lidar')?.state).toBe('ok');
    expect(first.latency.totalMs).toBeGreaterThanOrEqual(0);
    const stats = engine.stats();
    expect(stats.framesByModality).toEqual({ camera: 11, lidar: 11, radar: 21, gnss: 11, audio: 11 });
    expect(stats.events).toBe(11);
    expect(stats.latencyMs.max).toBeGreaterThanOrEqual(stats.latencyMs.p50);
  });

  it('records events into an MCAP file that decodes back', async () => {
    const path = join(dir, 'events.mcap');
    const rig = validateRig({ ...sampleRigInput(), outputs: { mcap: { path } } });
    const engine = createEngine(rig, { input: from(sampleFrames({ durationMs: 500 })) });
    await engine.start();
    await engine.done;
    const handle = await open(path);
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
    const type = loadProtos().type('percept.PerceptionEvent');
    const decoded = [];
    for await (const m of reader.readMessages()) decoded.push(type.toObject(type.decode(m.data), { longs: String }));
    await handle.close();
    expect(decoded).toHaveLength(6);
    expect(decoded[0].frames).toHaveLength(5);
    expect(decoded.map((e) => Number(e.seq ?? 0))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stops on request and finishes its output file', async () => {
    const path = join(dir, 'stopped.mcap');
    const rig = validateRig({ ...sampleRigInput(), outputs: { mcap: { path } } });
    const engine = createEngine(rig, { input: from(sampleFrames({ durationMs: 300 })) });
    await engine.stop();
    await expect(engine.done).resolves.toBeUndefined();
    const engine2 = createEngine(rig, { input: from(sampleFrames({ durationMs: 300 })) });
    await engine2.start();
    await engine2.stop();
    const handle = await open(path);
    await expect(McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) })).resolves.toBeDefined();
    await handle.close();
  });

  it('counts frames of sensors the rig does not know as dropped', async () => {
    const rig = validateRig(sampleRigInput());
    const stray = { ...sampleFrames({ durationMs: 0 })[0], sensorId: 'stray' };
    const engine = createEngine(rig, { input: from([stray, ...sampleFrames({ durationMs: 200 })]) });
    await engine.start();
    await engine.done;
    expect(engine.stats().drops['unknown-sensor']).toBe(1);
  });
});
