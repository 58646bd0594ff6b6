import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iou } from '../encode/postprocess/iou.js';
import { nuscenesCameras } from '../../native/camera-models.js';
import { parseNuscenesInfo } from '../../scenarios/import/nuscenes-info.js';
import { parsePythonJson } from '../../scenarios/import/python-json.js';
import { combineRecall, detectionRecall, type DetectedBox, type TruthBox } from './detection-recall.js';
import { kittiTruthBoxes } from './kitti-boxes-2d.js';
import { nuscenesTruthBoxes, projectBox3d } from './nuscenes-boxes-2d.js';

const fixture = (path: string): string => fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
const accepts = { car: ['car', 'truck', 'bus'], pedestrian: ['person'] };

describe('detection recall', () => {
  const truth: TruthBox[] = [
    { box: [0, 0, 10, 10], category: 'car' },
    { box: [20, 0, 30, 10], category: 'car' },
    { box: [40, 0, 44, 12], category: 'pedestrian' },
  ];

  it('counts a box found when a detection of an accepted label overlaps it at IoU ≥ 0.5', () => {
    const detections: DetectedBox[] = [
      { box: [0, 0, 10, 12], label: 'truck', score: 0.9 }, // IoU 10/12 with the first car
      { box: [25, 0, 35, 10], label: 'car', score: 0.8 }, // IoU 1/3 with the second: too little
      { box: [40, 0, 44, 12], label: 'car', score: 0.7 }, // right place, a label a pedestrian does not accept
    ];
    const r = detectionRecall(truth, detections, { accepts });
    expect(r).toMatchObject({ truth: 3, found: 1, perCategory: { car: { truth: 2, found: 1, recall: 0.5 }, pedestrian: { truth: 1, found: 0, recall: 0 } } });
    expect(r.matchedIou[0]).toBeCloseTo(10 / 12, 12);
    expect(detectionRecall(truth, detections, { accepts, iouThreshold: 0.3 }).found).toBe(2);
  });

  it('matches one to one, best score first, each detection taking the box it overlaps most', () => {
    const two: TruthBox[] = [{ box: [0, 0, 10, 10], category: 'car' }, { box: [2, 0, 12, 10], category: 'car' }];
    // The better detection overlaps both boxes and takes the one it overlaps most (the second);
    // the weaker one then finds the first. Two detections on one box find it once.
    const r = detectionRecall(two, [{ box: [0, 0, 10, 10], label: 'car', score: 0.2 }, { box: [2, 0, 12, 10], label: 'car', score: 0.9 }], { accepts });
    expect(r.found).toBe(2);
    expect(detectionRecall(two.slice(0, 1), [{ box: [0, 0, 10, 10], label: 'car', score: 0.2 }, { box: [0, 0, 10, 10], label: 'car', score: 0.9 }], { accepts }).found).toBe(1);
  });

  it('adds images up, and says NaN where there is nothing to find', () => {
    const a = detectionRecall(truth, [{ box: [0, 0, 10, 10], label: 'car', score: 1 }], { accepts });
    const b = detectionRecall([{ box: [0, 0, 5, 5], category: 'pedestrian' }], [{ box: [0, 0, 5, 5], label: 'person', score: 1 }], { accepts });
    expect(combineRecall([a, b])).toMatchObject({ truth: 4, found: 2, recall: 0.5, perCategory: { car: { truth: 2, found: 1 }, pedestrian: { truth: 2, found: 1 } } });
    expect(detectionRecall([], [], { accepts }).recall).toBeNaN();
  });
});

describe('KITTI 2D boxes', () => {
  const labels = readFileSync(fixture('kitti/000001/label_2.txt'), 'utf8');
  const categories = { Car: 'car', Pedestrian: 'pedestrian' };

  it('follow the benchmark\'s difficulty rules: the frame\'s one car is 21.6 px tall, below the 25 px of moderate', () => {
    expect(kittiTruthBoxes(labels, 'label_2.txt', categories, 'moderate')).toEqual([]);
    expect(kittiTruthBoxes(labels, 'label_2.txt', categories, 'all')).toEqual([{ box: [387.63, 181.54, 423.81, 203.12], category: 'car' }]);
    // The truck (32.8 px, fully visible) passes hard; the cyclist's occlusion level is 3, unknown, which no level admits.
    expect(kittiTruthBoxes(labels, 'label_2.txt', { Truck: 'car', Cyclist: 'pedestrian' }, 'hard').map((b) => b.category)).toEqual(['car']);
    expect(kittiTruthBoxes(labels, 'label_2.txt', { Truck: 'car', Cyclist: 'pedestrian' }, 'all').map((b) => b.category)).toEqual(['car', 'pedestrian']);
  });
});

describe('nuScenes 2D boxes', () => {
  const text = readFileSync(fixture('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json'), 'utf8');
  const info = parseNuscenesInfo(text, 'info.json');

  it('agree with the 2D boxes mmdetection3d stored for each camera (IoU > 0.9 for every car and pedestrian in view)', () => {
    const stored = (parsePythonJson(text) as { data_list: { cam_instances: Record<string, { bbox: number[]; bbox_label_3d: number }[]> }[] }).data_list[0].cam_instances;
    let compared = 0;
    for (const { name, camera } of nuscenesCameras(info)) {
      for (const instance of info.data_list[0].instances) {
        if (instance.bbox_label_3d !== info.metainfo.categories.car && instance.bbox_label_3d !== info.metainfo.categories.pedestrian) continue;
        const projected = projectBox3d(instance.bbox_3d, camera);
        if (!projected || projected.truncation > 0 || projected.depth > 80) continue;
        const best = Math.max(...stored[name].filter((s) => s.bbox_label_3d === instance.bbox_label_3d).map((s) => iou(s.bbox, projected.box)));
        expect(best, `${name}: box at depth ${projected.depth.toFixed(1)} m`).toBeGreaterThan(0.9);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('are filtered by height, truncation and LiDAR points', () => {
    const filter = { categories: { car: 'car', pedestrian: 'pedestrian' }, minHeight: 25, maxTruncation: 0.3, minLidarPoints: 1 };
    const front = nuscenesTruthBoxes(info, 'CAM_FRONT', filter);
    expect(front.length).toBe(21);
    for (const b of front) expect(b.box[3] - b.box[1]).toBeGreaterThanOrEqual(25);
    expect(nuscenesTruthBoxes(info, 'CAM_FRONT', { ...filter, minHeight: 100 }).length).toBe(1);
    expect(() => nuscenesTruthBoxes(info, 'CAM_NOPE', filter)).toThrow(/no camera CAM_NOPE/);
  });
});
