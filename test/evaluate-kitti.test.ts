import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRig } from '../engine/config/load-rig.js';
import type { PerceptionEvent } from '../engine/events/perception-event.js';
import { evaluateEvents, type EvaluationResult } from '../engine/evaluate/evaluate-replay.js';
import { readGroundTruthFile, type GroundTruthFrame } from '../engine/evaluate/ground-truth-stream.js';
import { replayScenario } from '../engine/replay.js';
import { importKitti } from '../scenarios/import/kitti.js';
import { importNuscenes } from '../scenarios/import/nuscenes.js';
import { openScenario } from '../scenarios/scenario-reader.js';

/**
 * Recall of LiDAR clusters on real labelled frames: each frame is imported as a scenario, replayed
 * through the engine with the fusion stage's LiDAR clusters on, and its labelled boxes scored at
 * 2 m centre distance. One frame each, so the figures are logged and only loosely asserted.
 */

const KITTI_FRAME = fileURLToPath(new URL('./fixtures/kitti/000001/', import.meta.url));
const NUSCENES_DIR = fileURLToPath(new URL('./fixtures/nuscenes/', import.meta.url));
/** The default rig's cluster settings. Its ground limit is 0.6 m above the ground: base_link z 0.6 where
 * base_link is on the ground (nuScenes), −1.13 where it is KITTI's LiDAR, 1.73 m up. */
const CLUSTERS = { rangeM: 50, resolutionM: 0.25, groundThresholdM: 0.25, minPoints: 4, linkRadius: 2 };
const KITTI_CLUSTERS = { ...CLUSTERS, maxGroundZ: 0.6 - 1.73 };
const NUSCENES_CLUSTERS = { ...CLUSTERS, maxGroundZ: 0.6 };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'percept-evaluate-real-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Replays an imported scenario with LiDAR clusters added to its stored rig; returns the events and ground truth. */
async function replayWithClusters(path: string, clusters: Record<string, number>): Promise<{ events: PerceptionEvent[]; truth: Map<bigint, GroundTruthFrame> }> {
  const scenario = await openScenario(path);
  const rigInput = scenario.rigInput as Record<string, unknown>;
  await scenario.close();
  // One frame: recall of the clusters themselves (a tracker confirms nothing from a single sweep).
  const rig = validateRig({ ...rigInput, fusion: { lidarClusters: clusters, track: false } }, `${path} with LiDAR clusters`);
  const events: PerceptionEvent[] = [];
  await replayScenario({ path, rig, max: true, onEvent: (e) => events.push(e) });
  return { events, truth: await readGroundTruthFile(path) };
}

/**
 * Recall only: the labels cover part of what the LiDAR sees (KITTI labels only cam2's view,
 * nuScenes only its ten classes), so clusters on walls, trees and poles, or behind the camera,
 * would count as false positives that are not, and precision and MOTA say nothing here.
 */
function log(name: string, r: EvaluationResult): void {
  const recall = r.gtCount ? `${r.recall.toFixed(2)} (${r.matches}/${r.gtCount})` : `n/a (0/0: nothing to score)`;
  const motp = Number.isFinite(r.motp) ? `, mean centre distance of the matches ${r.motp.toFixed(2)} m` : '';
  console.log(`${name.padEnd(50)} recall ${recall}${motp}`);
}

describe('LiDAR cluster recall on KITTI object frame 000001', () => {
  it('has no labelled object within 40 m; beyond, the cyclist and the car are found and the truck is not', async () => {
    const path = join(tmp, 'kitti-000001.mcap');
    await importKitti({ dir: KITTI_FRAME, out: path });
    const { events, truth } = await replayWithClusters(path, KITTI_CLUSTERS);
    expect(events).toHaveLength(1);
    const labels = [...truth.values()][0].objects.map((o) => `${o.label} ${Math.hypot(o.position.x, o.position.y).toFixed(1)} m, ${o.lidarPoints} points`);
    console.log(`KITTI 000001 labels: ${labels.join('; ')}; ${events[0].objects.length} clusters`);

    const near = await evaluateEvents(events, truth, { labels: ['Car', 'Pedestrian', 'Cyclist'] });
    log('KITTI 000001 Car/Pedestrian/Cyclist ≤ 40 m', near);
    log('KITTI 000001 Truck/Van ≤ 40 m', await evaluateEvents(events, truth, { labels: ['Truck', 'Van'] }));
    // Cyclist at 46 m, car at 61 m, truck at 70 m: nothing to score within 40 m in this frame.
    expect(near.gtCount).toBe(0);

    // The whole frame, with a grid that reaches the truck (±80 m).
    const wide = await replayWithClusters(path, { ...KITTI_CLUSTERS, rangeM: 80 });
    const far = await evaluateEvents(wide.events, wide.truth, { labels: ['Car', 'Pedestrian', 'Cyclist'], maxRangeM: 80 });
    const other = await evaluateEvents(wide.events, wide.truth, { labels: ['Truck', 'Van'], maxRangeM: 80 });
    log('KITTI 000001 Car/Pedestrian/Cyclist ≤ 80 m', far);
    log('KITTI 000001 Truck/Van ≤ 80 m', other);
    expect(far.gtCount).toBe(2);
    // The cyclist (18 points at 46 m) and the car (9 points at 61 m).
    expect(far.matches).toBe(2);
    expect(other.gtCount).toBe(1);
    // A 12.3 m truck seen from behind: grown from its tail to a typical truck's 8 m, the box centre
    // is still 2.2 m short of the label's.
    expect(other.matches).toBe(0);
  });
});

describe('LiDAR cluster recall on the nuScenes keyframe (scene-0061)', () => {
  it('finds most cars, pedestrians and cyclists within 40 m that the LiDAR sees', async () => {
    const path = join(tmp, 'nuscenes.mcap');
    await importNuscenes({ dir: NUSCENES_DIR, out: path });
    const { events, truth } = await replayWithClusters(path, NUSCENES_CLUSTERS);
    expect(events).toHaveLength(1);
    const main = await evaluateEvents(events, truth, { labels: ['car', 'pedestrian', 'bicycle', 'motorcycle'] });
    const other = await evaluateEvents(events, truth, { labels: ['truck', 'bus', 'trailer', 'construction_vehicle'] });
    const all = await evaluateEvents(events, truth);
    log('nuScenes car/pedestrian/bicycle/motorcycle ≤ 40 m', main);
    log('nuScenes truck/bus/trailer/construction ≤ 40 m', other);
    log('nuScenes every label ≤ 40 m (barriers, cones too)', all);
    expect(main.gtCount).toBeGreaterThanOrEqual(10);
    expect(main.recall).toBeGreaterThan(0.5);
    expect(all.recall).toBeGreaterThan(0.25);
  });
});
