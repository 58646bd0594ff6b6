import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom, take, toArray, type Observable } from 'rxjs';
import type { SensorFrame } from '../engine/core/frames.js';
import { validateRig } from '../engine/config/load-rig.js';
import { NS_PER_MS } from '../engine/core/time.js';
import { createPlayer, type PlaybackEvent, type PlayerOptions } from './player.js';
import { openScenario, ScenarioReadError, type Scenario } from './scenario-reader.js';
import { SAMPLE_T0, sampleRig, sampleRigInput, writeSampleScenario } from '../test/fixtures/mcap/sample-scenario.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/mcap/', import.meta.url));

let dir: string;
let samplePath: string;
let written: SensorFrame[];
let scenario: Scenario;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'percept-player-'));
  samplePath = join(dir, 'sample.mcap');
  ({ frames: written } = await writeSampleScenario(samplePath, { chunkSize: 2048 }));
  scenario = await openScenario(samplePath);
});

afterAll(async () => {
  await scenario.close();
  rmSync(dir, { recursive: true, force: true });
});

const byStamp = (a: SensorFrame, b: SensorFrame): number => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0);
const ms = (n: number): bigint => BigInt(n) * NS_PER_MS;

function play(options: PlayerOptions = {}): Promise<SensorFrame[]> {
  return lastValueFrom(createPlayer(scenario, options).frames$.pipe(toArray()));
}

/** Collects frames with the wall time (ms since subscribe) each arrived at. */
function timed(frames$: Observable<SensorFrame>, onFrame?: (frame: SensorFrame, atMs: number) => void): Promise<{ frames: { frame: SensorFrame; atMs: number }[]; totalMs: number }> {
  const started = performance.now();
  const frames: { frame: SensorFrame; atMs: number }[] = [];
  return new Promise((resolve, reject) => {
    frames$.subscribe({
      next: (frame) => {
        const atMs = performance.now() - started;
        frames.push({ frame, atMs });
        onFrame?.(frame, atMs);
      },
      error: reject,
      complete: () => resolve({ frames, totalMs: performance.now() - started }),
    });
  });
}

describe('player, max mode', () => {
  it('emits every frame in log-time order, equal to the frames written', async () => {
    const frames = await play({ max: true });
    expect(frames).toHaveLength(written.length);
    expect([...frames].sort(byStamp)).toEqual(frames);
    // receivedAt is the recorded publish time, so the frames are exactly those written.
    expect(frames).toEqual(written);
  });

  it('gives identical frames on two runs', async () => {
    const a = await play({ max: true });
    const b = await play({ max: true });
    expect(b).toEqual(a);
  });

  it('interleaves ground truth in the combined stream', async () => {
    const player = createPlayer(scenario, { max: true });
    const events: PlaybackEvent[] = await lastValueFrom(player.playback$.pipe(toArray()));
    const truths = events.filter((e) => e.kind === 'groundTruth');
    expect(truths).toHaveLength(11);
    const first = truths[0].kind === 'groundTruth' ? truths[0].groundTruth : undefined;
    expect(first?.stamp).toBe(SAMPLE_T0);
    expect(first?.objects[0]).toMatchObject({ id: 1, label: 'car', size: { x: 4.5, y: 1.8, z: 1.5 } });
    const stats = await player.done;
    expect(stats).toMatchObject({ framesEmitted: written.length, groundTruthEmitted: 11, messagesRead: written.length + 11, unknownTopics: [] });
    expect(await lastValueFrom(player.groundTruth$.pipe(toArray()))).toHaveLength(11);
  });

  it('filters topics', async () => {
    const frames = await play({ max: true, topics: ['/cam/image', '/radar/scan'] });
    expect(new Set(frames.map((f) => f.sensorId))).toEqual(new Set(['cam', 'radar']));
    expect(frames).toHaveLength(11 + 21);
  });

  it('plays the window [start + offset, start + offset + duration)', async () => {
    const frames = await play({ max: true, startOffsetS: 0.3, durationS: 0.4 });
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((f) => f.stamp >= SAMPLE_T0 + ms(300) && f.stamp < SAMPLE_T0 + ms(700))).toBe(true);
    expect(frames).toEqual(written.filter((f) => f.stamp >= SAMPLE_T0 + ms(300) && f.stamp < SAMPLE_T0 + ms(700)));
  });

  it('loops with stamps shifted by the loop period and sequence numbers that keep counting', async () => {
    const player = createPlayer(scenario, { max: true, loop: true });
    const frames = await lastValueFrom(player.frames$.pipe(take(written.length * 2 + 10), toArray()));
    const cam = frames.filter((f) => f.sensorId === 'cam');
    expect(cam.map((f) => f.seq)).toEqual(cam.map((_, i) => i));
    // An open window repeats after its span plus one period of the fastest sensor (radar, 20 Hz).
    const period = ms(1030) + ms(50);
    expect(cam[11].stamp).toBe(SAMPLE_T0 + period);
    expect(cam[22].stamp).toBe(SAMPLE_T0 + 2n * period);
    for (const id of ['cam', 'lidar', 'radar', 'gnss', 'mic']) {
      const mine = frames.filter((f) => f.sensorId === id);
      for (let i = 1; i < mine.length; i++) {
        expect(mine[i].stamp).toBeGreaterThan(mine[i - 1].stamp);
        expect(mine[i].seq).toBe(mine[i - 1].seq + 1);
      }
    }
    expect(player.stats.rounds).toBe(2);
    expect((await player.done).framesEmitted).toBe(written.length * 2 + 10);
  });

  it('loops a bounded window with the window length as period', async () => {
    const frames = await lastValueFrom(createPlayer(scenario, { max: true, loop: true, startOffsetS: 0.2, durationS: 0.3, topics: ['/cam/image'] })
      .frames$.pipe(take(7), toArray()));
    expect(frames.map((f) => f.stamp - SAMPLE_T0)).toEqual([200, 300, 400, 500, 600, 700, 800].map(ms));
    expect(frames.map((f) => f.seq)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('skips topics the rig does not know, reporting each once', async () => {
    const camOnly = validateRig({ ...sampleRigInput(), sensors: [sampleRigInput().sensors[0]] });
    const reported: string[] = [];
    const player = createPlayer(scenario, { rig: camOnly, max: true, onUnknownTopic: (topic) => reported.push(topic) });
    const a = await lastValueFrom(player.frames$.pipe(toArray()));
    const b = await lastValueFrom(player.frames$.pipe(toArray()));
    expect(a.every((f) => f.sensorId === 'cam')).toBe(true);
    expect(b).toHaveLength(a.length);
    expect(reported.sort()).toEqual(['/gnss/fix', '/lidar/points', '/mic/audio', '/radar/scan']);
    expect(player.stats.unknownTopics.sort()).toEqual(reported);
  });

  it('counts decode errors per sensor and goes on', async () => {
    // A camera bound to the radar topic: RadarScan bytes are no CompressedImage.
    const input = sampleRigInput();
    const rig = validateRig({ ...input, sensors: input.sensors.map((s) => (s.id === 'cam' ? { ...s, source: { type: 'scenario', topic: '/radar/scan' } } : s.id === 'radar' ? { ...s, source: { type: 'scenario', topic: '/radar/none' } } : s)) });
    const errors: string[] = [];
    const player = createPlayer(scenario, { rig, max: true, onDecodeError: (sensorId) => errors.push(sensorId) });
    const frames = await lastValueFrom(player.frames$.pipe(toArray()));
    expect(frames.filter((f) => f.sensorId === 'cam')).toHaveLength(0);
    expect(frames.filter((f) => f.sensorId === 'lidar')).toHaveLength(11);
    expect(player.stats.decodeErrors).toEqual({ cam: 21 });
    expect(errors).toHaveLength(21);
  });

  it('requires a rig when the scenario has none, and a positive rate', async () => {
    const talker = await openScenario(join(fixtures, 'talker.mcap'));
    try {
      expect(() => createPlayer(talker)).toThrow(/stores no rig/);
      expect(() => createPlayer(scenario, { rate: 0 })).toThrow(RangeError);
      expect(() => createPlayer(scenario, { rate: Number.NaN })).toThrow(RangeError);
    } finally {
      await talker.close();
    }
  });

  it('skips every topic of ROS 2 bags as unknown without crashing', async () => {
    for (const [file, topics] of [
      ['talker.mcap', ['/parameter_events', '/rosout', '/topic']],
      ['cdr_test_0.mcap', ['/array_topic', '/test_topic']],
    ] as const) {
      const bag = await openScenario(join(fixtures, file));
      try {
        const reported: string[] = [];
        const player = createPlayer(bag, { rig: sampleRig(), max: true, onUnknownTopic: (t) => reported.push(t) });
        expect(await lastValueFrom(player.frames$.pipe(toArray()))).toEqual([]);
        expect(reported.sort()).toEqual([...topics]);
        expect((await player.done).framesEmitted).toBe(0);
      } finally {
        await bag.close();
      }
    }
  });

  it('on a truncated file delivers the frames before the cut, then errors naming the file and offset', async () => {
    const whole = readFileSync(samplePath);
    const cutPath = join(dir, 'cut.mcap');
    writeFileSync(cutPath, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const cut = await openScenario(cutPath);
    try {
      const player = createPlayer(cut, { max: true });
      const frames: SensorFrame[] = [];
      const error = await new Promise<unknown>((resolve) => {
        player.frames$.subscribe({ next: (f) => frames.push(f), error: resolve, complete: () => resolve(undefined) });
      });
      expect(frames.length).toBeGreaterThan(10);
      expect(frames).toEqual(written.slice(0, frames.length));
      expect(error).toBeInstanceOf(ScenarioReadError);
      expect((error as Error).message).toContain(cutPath);
      expect((error as Error).message).toMatch(/reading stopped at byte \d+/);
      await expect(player.done).rejects.toBeInstanceOf(ScenarioReadError);
    } finally {
      await cut.close();
    }
  });

  it('stops reading on unsubscribe', async () => {
    const player = createPlayer(scenario, { max: true, loop: true });
    const first = await firstValueFrom(player.frames$);
    expect(first).toEqual(written[0]);
    const stats = await player.done;
    expect(stats.framesEmitted).toBe(1);
    // The replay is gone: nothing more is read after the unsubscription settled.
    await new Promise((r) => setTimeout(r, 20));
    expect(player.stats.messagesRead).toBe(stats.messagesRead);
  });
});

// The sample spans 1.03 s from its first message (ground truth at 0) to its last (audio at 1030 ms).
const SPAN_MS = 1030;

describe('player, paced', () => {
  it('takes the scenario span at rate 1, without drift', async () => {
    const { frames, totalMs } = await timed(createPlayer(scenario, { rate: 1 }).frames$);
    expect(frames).toHaveLength(written.length);
    expect(totalMs).toBeGreaterThan(SPAN_MS * 0.75);
    expect(totalMs).toBeLessThan(SPAN_MS * 1.25);
    // Each frame goes out on its absolute schedule, not late by an accumulating error.
    const last = frames[frames.length - 1];
    expect(Math.abs(last.atMs - Number(last.frame.stamp - SAMPLE_T0) / 1e6)).toBeLessThan(60);
    // Paced receivedAt is the engine clock at emission: increasing, near the wall time.
    for (let i = 1; i < frames.length; i++) expect(frames[i].frame.receivedAt).toBeGreaterThanOrEqual(frames[i - 1].frame.receivedAt);
    expect(Number(frames[frames.length - 1].frame.receivedAt / 1_000_000n)).toBeGreaterThan(Date.now() - 1000);
  });

  it('takes half the span at rate 2', async () => {
    const { frames, totalMs } = await timed(createPlayer(scenario, { rate: 2 }).frames$);
    expect(frames).toHaveLength(written.length);
    expect(totalMs).toBeGreaterThan((SPAN_MS / 2) * 0.75);
    expect(totalMs).toBeLessThan((SPAN_MS / 2) * 1.25);
  });

  it('pauses and resumes where it stopped', async () => {
    const player = createPlayer(scenario, { rate: 2 });
    const pauseAtMs = 150;
    const pauseForMs = 300;
    setTimeout(() => {
      player.pause();
      setTimeout(() => player.resume(), pauseForMs);
    }, pauseAtMs);
    const { frames, totalMs } = await timed(player.frames$);
    expect(frames).toHaveLength(written.length);
    const expected = SPAN_MS / 2 + pauseForMs;
    expect(totalMs).toBeGreaterThan(expected * 0.75);
    expect(totalMs).toBeLessThan(expected * 1.25);
    // Nothing came out while paused (allowing for timer slack at both ends).
    const during = frames.filter((f) => f.atMs > pauseAtMs + 20 && f.atMs < pauseAtMs + pauseForMs - 20);
    expect(during).toHaveLength(0);
  });

  it('seeks forward and back; the next frames come from the seek point', async () => {
    const player = createPlayer(scenario, { rate: 2, topics: ['/cam/image'] });
    let seekedForward = false;
    let seekedBack = false;
    const { frames } = await timed(player.frames$, (frame) => {
      if (!seekedForward && frame.seq === 1) {
        seekedForward = true;
        player.seek(0.8);
      } else if (seekedForward && !seekedBack && frame.seq === 9) {
        seekedBack = true;
        player.seek(0.5);
      }
    });
    expect(frames.map((f) => f.frame.seq)).toEqual([0, 1, 8, 9, 5, 6, 7, 8, 9, 10]);
  });

  it('changes rate mid-way without jumping', async () => {
    const player = createPlayer(scenario, { rate: 1 });
    setTimeout(() => player.setRate(4), 300);
    const { frames, totalMs } = await timed(player.frames$);
    expect(frames).toHaveLength(written.length);
    const expected = 300 + (SPAN_MS - 300) / 4;
    expect(totalMs).toBeGreaterThan(expected * 0.75);
    expect(totalMs).toBeLessThan(expected * 1.25);
    expect(player.rate).toBe(4);
  });
});
