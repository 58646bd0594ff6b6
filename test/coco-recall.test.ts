import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { CameraFrame, FrameSet, SensorFrame } from '../engine/core/frames.js';
import { createCameraDetector } from '../engine/encode/camera-detector.js';
import { COCO_DETECTOR } from '../engine/encode/coco-model.js';
import type { Detection2D } from '../engine/encode/encoded-set.js';
import { encoderConfigSchema } from '../engine/encode/encoder-config.js';
import { combineRecall, detectionRecall, type RecallResult } from '../engine/evaluate/detection-recall.js';
import { kittiTruthBoxes } from '../engine/evaluate/kitti-boxes-2d.js';
import { nuscenesTruthBoxes } from '../engine/evaluate/nuscenes-boxes-2d.js';
import { parseNuscenesInfo } from '../scenarios/import/nuscenes-info.js';

/**
 * Recall of the built-in coco detector, run as a rig runs it (the encoder entry below, through the
 * camera encoder), on the labelled camera images among the fixtures: KITTI 000001 image_2 and the
 * six cameras of the nuScenes keyframe. Labelled cars and pedestrians count as found by a car,
 * truck or bus detection, or a person detection, at IoU ≥ 0.5. Eight images: the figures are
 * logged and the bounds are loose.
 *
 * Which labels count: KITTI's "moderate" level (box ≥ 25 px tall, occlusion ≤ partly, truncation
 * ≤ 0.3); for nuScenes, whose info file has no visibility level, the projected box ≥ 25 px tall,
 * truncation ≤ 0.3 and at least one LiDAR point in the box (nuScenes' own rule for evaluation).
 * nuScenes' 2D boxes are projected cuboids, looser than a detector's tight boxes, which costs
 * IoU above all on pedestrians.
 */

const fixture = (path: string): string => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));

/** The encoder entry a rig uses for the coco detector. */
const COCO_ENCODER_YAML = `
name: coco
type: camera-detector
model: coco
family: centernet
labels: coco
input:
  width: 512
  height: 512
  layout: nhwc
  channelOrder: rgb
  mean: [0, 0, 0]
  std: [0.00392156862745098, 0.00392156862745098, 0.00392156862745098]
  letterbox: false
scoreThreshold: 0.2
iouThreshold: 0.4
`;

const ACCEPTS = { car: ['car', 'truck', 'bus'], pedestrian: ['person'] };
const NUSCENES_FILTER = { categories: { car: 'car', pedestrian: 'pedestrian' }, minHeight: 25, maxTruncation: 0.3, minLidarPoints: 1 };

function frame(sensorId: string, path: string): CameraFrame {
  return { modality: 'camera', sensorId, frameId: sensorId, stamp: 0n, receivedAt: 0n, seq: 0, encoding: path.endsWith('.png') ? 'png' : 'jpeg', width: 0, height: 0, data: readFileSync(path) };
}

function describeRecall(name: string, r: RecallResult): string {
  const part = (c: string): string => (r.perCategory[c] ? `${c} ${r.perCategory[c].found}/${r.perCategory[c].truth}` : `${c} 0/0`);
  return `${name.padEnd(42)} recall ${r.truth ? r.recall.toFixed(3) : 'n/a'} (${r.found}/${r.truth}; ${part('car')}, ${part('pedestrian')})`;
}

describe('coco detector recall on labelled camera images', () => {
  it('the rig entry is the built-in recipe', () => {
    const config = encoderConfigSchema.parse(parseYaml(COCO_ENCODER_YAML));
    expect(config.input).toEqual({ ...COCO_DETECTOR.input, std: COCO_DETECTOR.input.std.map((s) => expect.closeTo(s, 15)) });
    expect([config.family, config.labels, config.scoreThreshold, config.iouThreshold]).toEqual([COCO_DETECTOR.family, COCO_DETECTOR.labels, COCO_DETECTOR.scoreThreshold, COCO_DETECTOR.iouThreshold]);
  });

  it('finds cars and pedestrians in KITTI 000001 and the six nuScenes cameras', async () => {
    const infoPath = fixture('nuscenes/n015-2018-07-24-11-22-45+0800.from_pkl.json');
    const info = parseNuscenesInfo(readFileSync(infoPath, 'utf8'), infoPath);
    const cameras = Object.keys(info.data_list[0].images);
    const frames: CameraFrame[] = [
      frame('kitti', fixture('kitti/000001/image_2.png')),
      ...cameras.map((c) => frame(c, fixture(`nuscenes/${info.data_list[0].images[c].img_path}`))),
    ];
    const config = encoderConfigSchema.parse({ ...parseYaml(COCO_ENCODER_YAML), providers: ['cpu'] });
    const encoder = await createCameraDetector(config, { sensors: frames.map((f) => ({ id: f.sensorId, modality: 'camera' })), log: () => undefined });
    let detections: Detection2D[] = [];
    try {
      const set: FrameSet = { stamp: 0n, frames: new Map<string, SensorFrame>(frames.map((f) => [f.sensorId, f])), missing: [], formedAt: 0n, seq: 0 };
      detections = (await encoder.encode(set)).detections ?? [];
    } finally {
      await encoder.close();
    }
    const of = (sensorId: string) => detections.filter((d) => d.sensorId === sensorId);

    const kittiLabels = readFileSync(fixture('kitti/000001/label_2.txt'), 'utf8');
    const categories = { Car: 'car', Pedestrian: 'pedestrian' };
    const kittiModerate = detectionRecall(kittiTruthBoxes(kittiLabels, 'label_2.txt', categories, 'moderate'), of('kitti'), { accepts: ACCEPTS });
    const kittiAll = detectionRecall(kittiTruthBoxes(kittiLabels, 'label_2.txt', categories, 'all'), of('kitti'), { accepts: ACCEPTS });
    const perCamera = cameras.map((c) => detectionRecall(nuscenesTruthBoxes(info, c, NUSCENES_FILTER), of(c), { accepts: ACCEPTS }));
    const nuscenes = combineRecall(perCamera);
    const loose = combineRecall(cameras.map((c) => detectionRecall(nuscenesTruthBoxes(info, c, NUSCENES_FILTER), of(c), { accepts: ACCEPTS, iouThreshold: 0.3 })));
    console.log(
      [
        describeRecall('KITTI 000001, moderate', kittiModerate),
        describeRecall('KITTI 000001, any size (one 21.6 px car)', kittiAll),
        ...cameras.map((c, i) => describeRecall(`nuScenes ${c}`, perCamera[i])),
        describeRecall('nuScenes, six cameras', nuscenes),
        describeRecall('nuScenes, six cameras, at IoU ≥ 0.3', loose),
      ].join('\n'),
    );

    // KITTI 000001 has nothing at the moderate level.
    expect(kittiModerate.truth).toBe(0);
    expect(nuscenes.perCategory.car.truth).toBe(10);
    expect(nuscenes.perCategory.pedestrian.truth).toBe(33);
    // Measured: 5 of 43 (cars 4 of 10, pedestrians 1 of 33).
    expect(nuscenes.found).toBeGreaterThanOrEqual(4);
    expect(nuscenes.perCategory.car.found).toBeGreaterThanOrEqual(3);
    expect(loose.found).toBeGreaterThanOrEqual(nuscenes.found);
  });
});
