import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { replayScenario } from '../engine/replay.js';
import { deterministicView, type PerceptionEvent } from '../engine/events/perception-event.js';
import { generateScenario } from '../scenarios/generator/index.js';
import { openScenario } from '../scenarios/scenario-reader.js';
import { scenarioInfo } from '../scenarios/scenario-info.js';
import { loadProtos } from '../engine/core/proto.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'percept-replay-'));
const scenarioPath = join(dir, 'short.mcap');

/** Runs the CLI from the sources, as `percept ARGS`. */
function percept(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'engine/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

function hashEvents(events: PerceptionEvent[]): string {
  const json = JSON.stringify(events.map(deterministicView), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(json).digest('hex');
}

beforeAll(async () => {
  await generateScenario({ preset: 'nuscenes-like', durationS: 3, seed: 1, out: scenarioPath });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay', () => {
  it('replays a generated scenario at full speed: frames of all five modalities become events', async () => {
    const summary = await replayScenario({ path: scenarioPath, max: true });
    expect(summary.framesByModality.camera).toBeGreaterThan(0);
    expect(summary.framesByModality.lidar).toBeGreaterThan(0);
    expect(summary.framesByModality.radar).toBeGreaterThan(0);
    expect(summary.framesByModality.gnss).toBeGreaterThan(0);
    expect(summary.framesByModality.audio).toBeGreaterThan(0);
    // One event per LiDAR sweep (the reference sensor), 20 Hz.
    expect(summary.events).toBe(summary.frames.lidar_top);
    expect(summary.decodeErrors).toBe(0);
    expect(summary.sensorS).toBeGreaterThan(2.5);
  });

  it('gives the same events on every full-speed replay', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const events: PerceptionEvent[] = [];
      await replayScenario({ path: scenarioPath, max: true, onEvent: (e) => events.push(e) });
      expect(events.length).toBeGreaterThan(0);
      runs.push(hashEvents(events));
    }
    expect(runs[1]).toBe(runs[0]);
  });

  it('events carry the stamps of the frames they were made from, the ego pose from GNSS and speech from the VAD', async () => {
    const events: PerceptionEvent[] = [];
    await replayScenario({ path: scenarioPath, max: true, onEvent: (e) => events.push(e) });
    // The generator mixes real speech into the microphone within the first second.
    const speech = events.flatMap((e) => e.audio);
    expect(speech.length).toBeGreaterThan(0);
    expect(speech.every((a) => a.label === 'speech' && a.sensorId === 'mic' && a.end > a.start && a.score > 0.5)).toBe(true);
    const e = events[10];
    const lidar = e.frames.find((f) => f.sensorId === 'lidar_top')!;
    expect(lidar.stamp).toBe(e.stamp);
    for (const f of e.frames) expect(Number(f.stamp - e.stamp) / 1e6).toBeLessThanOrEqual(60);
    expect(e.ego).toBeDefined();
    expect(Math.abs(e.ego!.latitude - 42.336)).toBeLessThan(0.01);
  });

  it('the fusion stage turns LiDAR clusters into classified objects where the ground truth has actors', async () => {
    const events: PerceptionEvent[] = [];
    await replayScenario({ path: scenarioPath, max: true, onEvent: (e) => events.push(e) });
    const scenario = await openScenario(scenarioPath);
    const type = loadProtos().type('percept.GroundTruth');
    const truth = new Map<bigint, { position: { x: number; y: number }; lidar_points: number }[]>();
    for await (const m of scenario.readMessages({ topics: ['/ground_truth'] })) {
      const gt = type.toObject(type.decode(m.data), { longs: String, defaults: true }) as { objects: { position: { x: number; y: number }; lidar_points: number }[] };
      truth.set(m.logTime, gt.objects);
    }
    await scenario.close();
    let seen = 0;
    let found = 0;
    for (const e of events) {
      for (const actor of truth.get(e.stamp) ?? []) {
        if (actor.lidar_points < 30 || Math.hypot(actor.position.x, actor.position.y) > 30) continue;
        seen++;
        // 2 m, the evaluation's distance: boxes grown from the faces the LiDAR sees to the class's size.
        if (e.objects.some((o) => Math.hypot(o.position.x - actor.position.x, o.position.y - actor.position.y) < 2)) found++;
      }
    }
    expect(events.some((e) => e.objects.length > 0)).toBe(true);
    // Tracks updated by this sweep name the LiDAR; coasting ones (predicted only) name no source.
    const lidarObjects = events.flatMap((e) => e.objects).filter((o) => o.classSource === 'shape' && o.sources.length > 0);
    expect(lidarObjects.every((o) => o.sources.includes('lidar_top'))).toBe(true);
    const ids = events.flatMap((e) => e.objects.map((o) => o.id));
    expect(new Set(ids).size).toBeLessThan(ids.length / 5); // stable track ids, not per-sweep numbers
    expect(new Set(lidarObjects.map((o) => o.label))).toContain('car');
    expect(seen).toBeGreaterThan(20);
    expect(found / seen).toBeGreaterThan(0.9);
  });

  it('percept replay --max --summary writes the documented JSON', () => {
    const summaryPath = join(dir, 'summary.json');
    const r = percept(['replay', scenarioPath, '--max', '--summary', summaryPath, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(summaryPath, 'utf8'));
    for (const key of ['frames', 'framesByModality', 'events', 'drops', 'decodeErrors', 'latencyMs', 'wallS', 'sensorS']) expect(s).toHaveProperty(key);
    for (const m of ['camera', 'lidar', 'radar', 'gnss', 'audio']) expect(s.framesByModality[m]).toBeGreaterThan(0);
    for (const q of ['p50', 'p95', 'p99', 'max']) expect(typeof s.latencyMs[q]).toBe('number');
    expect(Object.keys(s.frames)).toHaveLength(14);
  });

  it('prints a summary table and honours --duration and --topics', () => {
    const r = percept(['replay', scenarioPath, '--max', '--duration', '1', '--topics', '/lidar_top/points', '/gnss/fix']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/realtime factor/);
    expect(r.stdout).toMatch(/frames lidar_top\s+2[01]\b/);
    expect(r.stdout).toMatch(/frames cam_front\s+0\b/);
  });

  it('exits 2 with one line for a missing file, a bad rig and a bad argument', () => {
    const missing = percept(['replay', join(dir, 'nope.mcap')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/nope\.mcap/);

    const badRig = join(dir, 'bad-rig.yaml');
    writeFileSync(badRig, 'name: x\nsensors: []\nsync: { policy: nearest, reference: a }\n');
    const rig = percept(['replay', scenarioPath, '--rig', badRig]);
    expect(rig.status).toBe(2);
    expect(rig.stderr).toMatch(/sensors/);
    expect(rig.stderr).not.toMatch(/at .*\.ts:\d+/);

    const rate = percept(['replay', scenarioPath, '--rate', '-1']);
    expect(rate.status).toBe(2);
    expect(rate.stderr).toMatch(/--rate/);

    const check = percept(['config', 'check', badRig]);
    expect(check.status).toBe(2);
  });

  it('replays a truncated file up to the damage, then names the file and the offset', async () => {
    const whole = readFileSync(scenarioPath);
    const cut = join(dir, 'cut.mcap');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const summary = await replayScenario({ path: cut, max: true });
    expect(summary.error).toMatch(/cut\.mcap.*byte \d+/);
    expect(summary.events).toBeGreaterThan(10);
    expect(summary.framesByModality.lidar).toBeGreaterThan(10);
    const cli = percept(['replay', cut, '--max', '--quiet']);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/cut\.mcap.*byte \d+/);
    const garbage = join(dir, 'garbage.mcap');
    writeFileSync(garbage, 'not an mcap file at all');
    const bad = percept(['replay', garbage]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('shuts down within 2 s on SIGINT, with its output file finished', async () => {
    const eventsPath = join(dir, 'events.mcap');
    const scenario = await openScenario(scenarioPath);
    const rigPath = join(dir, 'rig.json');
    writeFileSync(rigPath, JSON.stringify({ ...(scenario.rigInput as object), outputs: { mcap: { path: eventsPath } } }));
    await scenario.close();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'engine/cli/main.ts'), 'replay', scenarioPath, '--rig', rigPath, '--rate', '1', '--quiet'], { cwd: root });
    // The output file appears once the engine has started, signal handlers installed; then let it run.
    for (let waited = 0; !existsSync(eventsPath) && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    const signalled = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(Date.now() - signalled).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(existsSync(eventsPath)).toBe(true);
    const handle = await open(eventsPath);
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle) });
    expect(reader.footer).toBeDefined();
    await handle.close();
    // Raw frames and events in one indexed file that `percept scenario info` reads.
    const info = await scenarioInfo(eventsPath);
    const topics = info.topics.map((t) => t.topic);
    expect(topics).toContain('/percept/events');
    expect(topics).toContain('/lidar_top/points');
    expect(info.topics.find((t) => t.topic === '/percept/events')!.messageCount).toBeGreaterThan(0);
  });
});
