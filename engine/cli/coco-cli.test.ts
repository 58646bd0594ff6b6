import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inferLines } from './infer-command.js';
import { collectModelReports, formatModelReports } from './models-command.js';

const IMAGE = fileURLToPath(new URL('../../test/fixtures/nuscenes/n015-2018-07-24-11-22-45+0800__CAM_BACK__1532402927637525.jpg', import.meta.url));

describe('the built-in coco detector in the CLI', () => {
  it('percept infer coco IMAGE: COCO class names, boxes in pixels of the 1600×900 image, no flags needed', async () => {
    const lines = (await inferLines('coco', IMAGE, { json: true })).map((l) => JSON.parse(l) as { class: string; classId: number; score: number; box: number[] });
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      expect(l.score).toBeGreaterThan(0.2);
      expect(l.box[0]).toBeGreaterThanOrEqual(0);
      expect(l.box[2]).toBeLessThanOrEqual(1600);
      expect(l.box[3]).toBeLessThanOrEqual(900);
    }
    // Best first: the taxi on the left, then the pedestrian crossing on the right.
    expect(lines[0]).toMatchObject({ class: 'car', classId: 2 });
    expect(lines[0].box[0]).toBeGreaterThan(250);
    expect(lines[0].box[2]).toBeLessThan(550);
    expect(lines.some((l) => l.class === 'person' && l.box[0] > 1000)).toBe(true);
    const text = await inferLines('coco', IMAGE, { scoreThreshold: '0.3' });
    expect(text).toEqual(lines.filter((l) => l.score > 0.3).map((l) => `${l.class} ${l.score.toFixed(3)} [${l.box.join(', ')}]`));
  });

  it('percept models lists it with its licence and the converted file', async () => {
    const reports = await collectModelReports({ latency: false });
    const coco = reports.find((r) => r.name === 'coco');
    expect(coco).toMatchObject({ origin: 'built-in', type: 'camera-detector', licence: 'MIT (@vladmandic/human); model derived from TensorFlow CenterNet, Apache-2.0' });
    expect(coco?.path).toMatch(/[/\\]\.cache[/\\]models[/\\]coco-centernet\.onnx$/);
    expect(formatModelReports(reports)).toMatch(/^coco {2}\(built-in, camera-detector\) {2}COCO CenterNet \(MobileNetV3\): object detection/m);
  });
});
