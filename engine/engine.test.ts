import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import type { FrameSet, SensorFrame } from './core/frames.js';
import { NS_PER_MS } from './core/time.js';
import type { PerceptionEvent } from './events/perception-event.js';
import { yoloV5TestModel } from './encode/test-models/index.js';
import { YOLOV5_EXPECTED_CLASS_AWARE, YOLOV5_EXPECTED_IN_IMAGE, YOLOV5_ROWS } from './encode/test-models/scenarios.js';
import { SAMPLE_T0, sampleFrames, sampleRigInput } from '../test/fixtures/mcap/sample-scenario.js';

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
    expect(first.detections).toEqual([]);
    // The first GNSS fix comes 20 ms after the first set's stamp: no pose to interpolate yet.
    expect(first.ego).toBeUndefined();
    // Set 1 (100 ms) lies between fixes 0 (20 ms) and 1 (120 ms), 1e-5° apart: 80% of the way.
    expect(events[1].ego!.latitude).toBeCloseTo(42.336 + 0.8e-5, 9);
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
    const eventsChannel = [...reader.channelsById.values()].find((c) => c.topic === '/percept/events')!.id;
    for await (const m of reader.readMessages()) {
      if (m.channelId === eventsChannel) decoded.push(type.toObject(type.decode(m.data), { longs: String }));
    }
    // The raw frames are recorded too, so the file replays as a scenario.
    expect([...reader.channelsById.values()].map((c) => c.topic)).toContain('/lidar/points');
    await handle.close();
    expect(decoded).toHaveLength(6);
    expect(decoded[0].frames).toHaveLength(5);
    expect(decoded.map((e) => Number(e.seq ?? 0))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('puts the camera detector\'s 2D detections in every event and in the recording', async () => {
    const model = join(dir, 'yolov5.onnx');
    writeFileSync(model, yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    const path = join(dir, 'detections.mcap');
    const rig = validateRig({
      ...sampleRigInput(),
      encoders: [{ name: 'det', type: 'camera-detector', model, family: 'yolov5', labels: 'coco', providers: ['cpu'] }],
      outputs: { mcap: { path, frames: false } },
    });
    // The fixture's camera bytes are not a decodable JPEG: the detector needs real pixels of the rig's 64×48 camera.
    const frames = sampleFrames({ durationMs: 300 }).map((f): SensorFrame =>
      f.modality === 'camera' ? { ...f, encoding: 'rgb8', width: 64, height: 48, data: new Uint8Array(64 * 48 * 3) } : f);
    const engine = createEngine(rig, { input: from(frames) });
    const events: PerceptionEvent[] = [];
    engine.events$.subscribe((e) => events.push(e));
    await engine.start();
    await engine.done;

    // The 64×48 image letterboxes into 64×64 at scale 1, so its boxes are half those the 128×96 image gives.
    const expected = YOLOV5_EXPECTED_CLASS_AWARE.map((d, i) => ({
      sensorId: 'cam', encoder: 'det', classId: d.classId, label: ['person', 'bicycle', 'car'][d.classId], score: d.score,
      box: YOLOV5_EXPECTED_IN_IMAGE[i].map((v) => v / 2),
    }));
    expect(events).toHaveLength(4);
    for (const event of events) expect(event.detections).toEqual(expected);

    const handle = await open(path);
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
    const type = loadProtos().type('percept.PerceptionEvent');
    const recorded = [];
    for await (const m of reader.readMessages({ topics: ['/percept/events'] })) recorded.push(type.toObject(type.decode(m.data), { longs: String, defaults: true }));
    await handle.close();
    expect(recorded).toHaveLength(4);
    expect(recorded[3].detections).toEqual(expected.map((d) => ({
      sensor_id: d.sensorId, encoder: d.encoder, label: d.label, class_id: d.classId, score: d.score, x1: d.box[0], y1: d.box[1], x2: d.box[2], y2: d.box[3],
    })));
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

describe('createEngine with the rig\'s synchronization policy', () => {
  const run = async (rigInput: object, frames = sampleFrames({ durationMs: 1000 })) => {
    const rig = validateRig(rigInput);
    const engine = createEngine(rig, { input: from(frames) });
    const sets: FrameSet[] = [];
    engine.framesets$.subscribe((s) => sets.push(s));
    await engine.start();
    await engine.done;
    return { sets, stats: engine.stats() };
  };

  it('approximate: one frame per sensor in every set, each frame used once', async () => {
    const { sets, stats } = await run({ ...sampleRigInput(), sync: { policy: 'approximate', reference: 'cam', queueSize: 5 } });
    expect(sets.length).toBeGreaterThanOrEqual(9);
    const used = new Set<SensorFrame>();
    for (const set of sets) {
      expect(set.frames.size).toBe(5);
      expect(set.missing).toEqual([]);
      expect(set.stamp).toBe(set.frames.get('cam')!.stamp);
      for (const f of set.frames.values()) {
        expect(used.has(f)).toBe(false);
        used.add(f);
      }
    }
    // Radar runs at twice the others' rate: half its scans can be in no set.
    expect(stats.drops.superseded ?? 0).toBeGreaterThan(0);
  });

  it('goes on without a sensor that falls silent, names it missing, and takes it back when it returns', async () => {
    const frames = sampleFrames({ durationMs: 2000 }).filter((f) => !(f.sensorId === 'mic' && f.stamp > SAMPLE_T0 + 500n * NS_PER_MS && f.stamp < SAMPLE_T0 + 1500n * NS_PER_MS));
    const { sets } = await run({ ...sampleRigInput(), sync: { policy: 'approximate', reference: 'cam', timeoutMs: 250 } }, frames);
    const missingMic = sets.filter((s) => s.missing.includes('mic'));
    expect(missingMic.length).toBeGreaterThanOrEqual(5);
    const last = sets[sets.length - 1];
    expect(last.missing).toEqual([]);
    expect(last.frames.get('mic')).toBeDefined();
  });

  it('exact, slop and latest run from the rig', async () => {
    const exact = await run({ ...sampleRigInput(), sync: { policy: 'exact' } });
    // The sample's sensors are offset by 10–30 ms: no two stamps are equal, so ExactTime forms nothing.
    expect(exact.sets).toHaveLength(0);
    const slop = await run({ ...sampleRigInput(), sync: { policy: 'slop', slopMs: 40 } });
    expect(slop.sets.length).toBeGreaterThanOrEqual(10);
    for (const set of slop.sets) {
      const stamps = [...set.frames.values()].map((f) => f.stamp);
      const spread = stamps.reduce((a, b) => (a > b ? a : b)) - stamps.reduce((a, b) => (a < b ? a : b));
      expect(spread).toBeLessThan(40n * NS_PER_MS);
    }
    const latest = await run({ ...sampleRigInput(), sync: { policy: 'latest' } });
    expect(latest.sets.length).toBeGreaterThan(10);
  });

  it('applies per-sensor clock offsets and re-sorts within the reorder window', async () => {
    const frames = sampleFrames({ durationMs: 500 });
    const swapped = [...frames];
    // Two lidar frames arrive in the wrong order; a 150 ms window puts them back.
    const a = swapped.findIndex((f) => f.sensorId === 'lidar' && f.seq === 1);
    const b = swapped.findIndex((f) => f.sensorId === 'lidar' && f.seq === 2);
    [swapped[a], swapped[b]] = [swapped[b], swapped[a]];
    const rig = validateRig({ ...sampleRigInput(), sync: { policy: 'nearest', reference: 'cam', reorderWindowMs: 150, offsetsMs: { lidar: -10 } } });
    const engine = createEngine(rig, { input: from(swapped) });
    const lidarStamps: bigint[] = [];
    engine.frames$.subscribe((f) => f.sensorId === 'lidar' && lidarStamps.push(f.stamp));
    await engine.start();
    await engine.done;
    const expected = frames.filter((f) => f.sensorId === 'lidar').map((f) => f.stamp - 10n * NS_PER_MS);
    expect(lidarStamps).toEqual(expected);
    expect(engine.stats().drops.late ?? 0).toBe(0);
  });
});
