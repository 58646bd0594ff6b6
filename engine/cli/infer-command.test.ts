import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { centerNetTestModel, yoloV5TestModel, yoloV8TestModel } from '../encode/test-models/index.js';
import { UsageError } from './cli-error.js';
import { inferLines } from './infer-command.js';
import { collectModelReports, formatModelReports } from './models-command.js';

const fixture = (path: string): string => fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
const SPEECH = fixture('audio/speech.wav');
/** A real 1600×900 nuScenes camera JPEG: letterboxed into 640×640 at scale 0.4 with 140 px of padding above and below. */
const IMAGE = fixture('camera/n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg');

const dir = mkdtempSync(join(tmpdir(), 'percept-infer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function modelFile(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('percept infer', () => {
  it('vad on a WAV: one JSON line per speech segment, in seconds', async () => {
    const lines = (await inferLines('vad', SPEECH, { json: true })).map((l) => JSON.parse(l) as { start: number; end: number; probability: number });
    expect(lines.map((l) => [l.start, l.end])).toEqual([[0.002, 2.078], [2.658, 4.862], [4.962, 6.846]]);
    for (const l of lines) expect(l.probability).toBeGreaterThan(0.9);
  });

  it('a YOLOv5-layout model on a JPEG: boxes back in pixels of the input image, COCO names', async () => {
    // A test model whose output is these rows (it computes nothing): cx, cy, w, h, objectness, 2 class scores.
    const model = modelFile('yolov5.onnx', yoloV5TestModel([[[320, 320, 100, 50, 0.9, 0.1, 0.8], [100, 100, 10, 10, 0.1, 0.9, 0.9]]]).bytes);
    const lines = (await inferLines(model, IMAGE, { json: true, family: 'yolov5', labels: 'coco' })).map((l) => JSON.parse(l));
    // Model box [270, 295, 370, 345] → ((x − 0) / 0.4, (y − 140) / 0.4).
    expect(lines).toEqual([{ class: 'bicycle', classId: 1, score: 0.72, box: [675, 387.5, 925, 512.5] }]);
  });

  it('YOLOv8 and CenterNet layouts through their decoders', async () => {
    const v8 = modelFile('yolov8.onnx', yoloV8TestModel([[[320, 140 + 36, 40, 40, 0.05, 0.6]]]).bytes);
    expect((await inferLines(v8, IMAGE, { json: true, family: 'yolov8' })).map((l) => JSON.parse(l))).toEqual([
      { class: 'class_1', classId: 1, score: 0.6, box: [750, 40, 850, 140] },
    ]);
    // CenterNet's input is 512 × 512 NHWC: scale 0.32, padY 112.
    const cn = modelFile('centernet.onnx', centerNetTestModel([[0, 112, 512, 400, 0.7, 2]]).bytes);
    expect((await inferLines(cn, IMAGE, { json: true, family: 'centernet', labels: 'coco' })).map((l) => JSON.parse(l))).toEqual([
      { class: 'car', classId: 2, score: 0.7, box: [0, 0, 1600, 900] },
    ]);
  });

  it('fails with one line (a UsageError, exit code 2) on what the user can fix', async () => {
    const v5 = modelFile('v5.onnx', yoloV5TestModel([[[1, 1, 1, 1, 0.9, 0.9]]]).bytes);
    const corrupt = modelFile('corrupt.onnx', new TextEncoder().encode('not a model'));
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => inferLines(join(dir, 'missing.onnx'), IMAGE), /model not found/],
      [() => inferLines(corrupt, IMAGE, { family: 'yolov5' }), /cannot load model .*corrupt\.onnx/],
      [() => inferLines('vad', IMAGE), /is not a WAV file/],
      [() => inferLines('vad', join(dir, 'none.wav')), /input not found/],
      [() => inferLines(v5, SPEECH, { family: 'yolov5' }), /is not a JPEG or PNG image/],
      [() => inferLines(v5, IMAGE), /needs --family/],
      [() => inferLines(v5, IMAGE, { family: 'yolov8' }), /not a yolov8 output/],
      [() => inferLines(v5, IMAGE, { family: 'yolov5', labels: join(dir, 'labels.txt') }), /--labels/],
    ];
    for (const [run, message] of cases) {
      const err = await run().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('percept models', () => {
  it('lists Silero VAD v5 with its inputs, outputs, licence, provider and warm latency', async () => {
    const vad = (await collectModelReports()).find((r) => r.name === 'vad')!;
    expect(vad).toMatchObject({ name: 'vad', origin: 'built-in', type: 'vad', provider: 'cpu' });
    expect(vad.licence).toMatch(/MIT/);
    expect(vad.inputs?.map((i) => `${i.name}:${i.type}`)).toEqual(['input:float32', 'state:float32', 'sr:int64']);
    expect(vad.outputs?.map((o) => o.name)).toEqual(['output', 'stateN']);
    expect(vad.warmLatencyMs).toBeGreaterThan(0);
    expect(formatModelReports([vad])).toMatch(/latency +[\d.]+ ms warm/);
  });
});
