import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectedObject } from '../events/perception-event.js';
import type { GroundTruthObject } from '../../scenarios/scenario-writer.js';
import { generateScenario } from '../../scenarios/generator/index.js';
import { replayScenario } from '../replay.js';
import { ReplayEvaluator, evaluateEvents, formatEvaluation } from './evaluate-replay.js';
import type { GroundTruthFrame } from './ground-truth-stream.js';

function truthObject(id: number, x: number, y: number, lidarPoints = 50, label = 'car'): GroundTruthObject {
  return { id, label, position: { x, y, z: 0.8 }, size: { x: 4, y: 2, z: 1.6 }, yaw: 0, velocity: { x: 0, y: 0, z: 0 }, lidarPoints };
}

function cluster(id: number, x: number, y: number): DetectedObject {
  return {
    id, label: 'cluster', score: 1, position: { x, y, z: 0.5 }, size: { x: 1, y: 1, z: 1 }, yaw: 0, velocity: { x: 0, y: 0, z: 0 },
    latitude: NaN, longitude: NaN, covariance: [], ageS: 0, sources: ['lidar'],
  };
}

const frame = (stamp: bigint, objects: GroundTruthObject[]): GroundTruthFrame => ({ stamp, ego: undefined, objects });

describe('ReplayEvaluator', () => {
  it('scores only objects within range that the LiDAR sees, and drops hypotheses on the others', async () => {
    const truth = frame(100n, [
      truthObject(1, 10, 0), // scored, found
      truthObject(2, 20, 5), // scored, missed
      truthObject(3, 45, 0), // beyond 40 m: a cluster on it is no false positive
      truthObject(4, 5, -5, 0), // occluded (no LiDAR points): likewise
      truthObject(5, 25, -8, 3), // 3 points, fewer than the default 5: likewise
    ]);
    const r = await evaluateEvents(
      [{ stamp: 100n, objects: [cluster(0, 10.5, 0), cluster(1, 45.3, 0), cluster(2, 5, -5.5), cluster(3, -30, 0), cluster(4, 70, 0), cluster(5, 25, -8)] }],
      new Map([[100n, truth]]),
    );
    // Scored: 1 and 2. Hypotheses: 0 matches 1; 1, 2 and 5 sit on unscored objects and 4 is beyond range (ignored); 3 is a false positive.
    expect(r).toMatchObject({ gtCount: 2, matches: 1, misses: 1, falsePositives: 1, ignoredHypotheses: 4, idSwitches: 0, frames: 1 });
    expect(r.recall).toBeCloseTo(0.5);
    expect(r.precision).toBeCloseTo(0.5);
    expect(r.motp).toBeCloseTo(0.5);
    expect(r.mota).toBeCloseTo(0);
  });

  it('filters by label case-insensitively, and keeps the settings beside the figures', async () => {
    const truth = frame(1n, [truthObject(1, 10, 0, 50, 'Car'), truthObject(2, 15, 0, 50, 'Truck'), truthObject(3, 20, 0, 50, 'Pedestrian')]);
    const r = await evaluateEvents([{ stamp: 1n, objects: [cluster(0, 10, 0), cluster(1, 15, 0)] }], new Map([[1n, truth]]), { labels: ['car', 'pedestrian'] });
    expect(r).toMatchObject({ gtCount: 2, matches: 1, misses: 1, falsePositives: 0, ignoredHypotheses: 1 });
    expect(r).toMatchObject({ maxRangeM: 40, minLidarPoints: 5, thresholdM: 2, labels: ['car', 'pedestrian'] });
  });

  it('counts a new cluster id on the same object as an ID switch (per-sweep cluster ids)', async () => {
    const truth = new Map([1n, 2n, 3n].map((s) => [s, frame(s, [truthObject(1, 10 + Number(s), 0)])]));
    const events = [
      { stamp: 1n, objects: [cluster(0, 11, 0)] },
      { stamp: 2n, objects: [cluster(5, 12, 0)] },
      { stamp: 3n, objects: [cluster(5, 13, 0)] },
    ];
    const r = await evaluateEvents(events, truth);
    expect(r).toMatchObject({ matches: 3, idSwitches: 1, recall: 1 });
    expect(r.mota).toBeCloseTo(1 - 1 / 3);
  });

  it('keeps two LiDARs\' clusters with the same id apart', async () => {
    const truth = frame(1n, [truthObject(1, 10, 0), truthObject(2, -10, 0)]);
    const r = await evaluateEvents([{ stamp: 1n, objects: [cluster(0, 10, 0), cluster(0, -10, 0)] }], new Map([[1n, truth]]));
    expect(r).toMatchObject({ matches: 2, falsePositives: 0 });
  });

  it('waits for ground truth that comes after its event, takes the nearest stamp within tolerance, and counts events without any', () => {
    const ev = new ReplayEvaluator({ stampToleranceMs: 5 });
    ev.event({ stamp: 1_000_000_000n, objects: [cluster(0, 10, 0)] });
    ev.groundTruth(frame(1_000_000_000n, [truthObject(1, 10, 0)]));
    // 3 ms off: the nearest ground truth within 5 ms.
    ev.event({ stamp: 1_100_000_000n, objects: [cluster(0, 10, 0)] });
    ev.groundTruth(frame(1_103_000_000n, [truthObject(1, 10, 0)]));
    // Nothing within 5 ms of this one.
    ev.event({ stamp: 1_200_000_000n, objects: [cluster(0, 10, 0)] });
    ev.groundTruth(frame(1_300_000_000n, [truthObject(1, 10, 0)]));
    const r = ev.finish();
    expect(r).toMatchObject({ frames: 2, matches: 2, eventsWithoutGroundTruth: 1 });
    expect(ev.finish()).toBe(r);
  });

  it('gives NaN ratios (null in JSON) with no ground truth, and formats them as n/a', async () => {
    const r = await evaluateEvents([{ stamp: 1n, objects: [] }], new Map([[1n, frame(1n, [])]]));
    expect(r.mota).toBeNaN();
    expect(JSON.parse(JSON.stringify({ mota: r.mota })).mota).toBeNull();
    expect(formatEvaluation(r)).toMatch(/MOTA n\/a/);
  });
});

describe('percept replay --evaluate', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = mkdtempSync(join(tmpdir(), 'percept-evaluate-'));
  const scenarioPath = join(dir, 'short.mcap');
  beforeAll(async () => {
    await generateScenario({ preset: 'nuscenes-like', durationS: 1, seed: 1, out: scenarioPath });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the figures and writes `evaluation` into the summary JSON', () => {
    const summaryPath = join(dir, 'summary.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'engine/cli/main.ts'), 'replay', scenarioPath, '--max', '--evaluate', '--summary', summaryPath], {
      cwd: root, encoding: 'utf8', timeout: 120_000,
    });
    // Only the encoders' one line about the ONNX Runtime provider they use.
    expect(r.stderr.trim().split('\n').every((line) => line.startsWith('encoder '))).toBe(true);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/evaluation\s+MOTA -?\d\.\d{3}\s+MOTP \d\.\d\d m\s+ID switches \d+\s+precision \d\.\d{3}\s+recall \d\.\d{3}/);
    const s = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(Object.keys(s.evaluation).slice(0, 5)).toEqual(['mota', 'motp', 'idSwitches', 'precision', 'recall']);
    // One scored frame per LiDAR sweep; the generator's ground truth has actors within 40 m.
    expect(s.evaluation.frames).toBe(s.frames.lidar_top);
    expect(s.evaluation.eventsWithoutGroundTruth).toBe(0);
    expect(s.evaluation.gtCount).toBeGreaterThan(50);
    expect(s.evaluation.matches + s.evaluation.misses).toBe(s.evaluation.gtCount);
    console.log(`generated scenario (1 s, seed 1): ${formatEvaluation(s.evaluation)}`);
    // Loose: cluster centres are only the faces the LiDAR sees (a car's is up to half its length off).
    expect(s.evaluation.recall).toBeGreaterThan(0.25);
    expect(s.evaluation.precision).toBeGreaterThan(0.35);
  });

  it('replayScenario fills summary.evaluation (reading the ground truth even when --topics leaves it out), and only when asked', async () => {
    const withEvaluation = await replayScenario({ path: scenarioPath, max: true, evaluate: true, durationS: 0.5, topics: ['/lidar_top/points'] });
    expect(withEvaluation.evaluation!.frames).toBe(withEvaluation.frames.lidar_top);
    expect(withEvaluation.evaluation!.gtCount).toBeGreaterThan(0);
    const without = await replayScenario({ path: scenarioPath, max: true, durationS: 0.5, topics: ['/lidar_top/points'] });
    expect(without.evaluation).toBeUndefined();
  });
});
