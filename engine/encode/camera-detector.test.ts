import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraFrame, FrameSet, SensorFrame } from '../core/frames.js';
import { createRng } from '../core/prng.js';
import { millisToNanos } from '../core/time.js';
import { createCameraDetector } from './camera-detector.js';
import type { Encoder } from './encode-stage.js';
import { encoderConfigSchema, type EncoderConfigInput } from './encoder-config.js';
import { buildModel, graph } from './onnx-builder/index.js';
import { ssdTestModel, yoloV5TestModel, yoloV8TestModel } from './test-models/index.js';
import { SSD_BOXES, SSD_EXPECTED, SSD_SCORES, YOLOV5_EXPECTED_IN_IMAGE, YOLOV5_ROWS, YOLOV8_ROWS } from './test-models/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-detector-'));
const sensors = [
  { id: 'cam_front', modality: 'camera' },
  { id: 'lidar', modality: 'lidar' },
  { id: 'cam_back', modality: 'camera' },
];
const quiet = (): void => undefined;
const encoders: Encoder[] = [];
let jpeg: Uint8Array;

function writeModel(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function rgbPixels(width: number, height: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => rng.int(0, 255));
}

function camera(sensorId: string, seq: number, image: { encoding: 'rgb8' | 'jpeg'; width: number; height: number; data: Uint8Array }): CameraFrame {
  const stamp = millisToNanos(100 * seq);
  return { modality: 'camera', sensorId, frameId: sensorId, stamp, receivedAt: stamp, seq, ...image };
}

function frameSet(seq: number, frames: CameraFrame[]): FrameSet {
  const stamp = millisToNanos(100 * seq);
  return { stamp, frames: new Map<string, SensorFrame>(frames.map((f) => [f.sensorId, f])), missing: [], formedAt: stamp, seq };
}

/** Two 128×96 cameras: cam_front raw RGB, cam_back JPEG (decoded by sharp). */
function twoCameras(seq: number): FrameSet {
  return frameSet(seq, [
    camera('cam_back', seq, { encoding: 'jpeg', width: 0, height: 0, data: jpeg }),
    camera('cam_front', seq, { encoding: 'rgb8', width: 128, height: 96, data: rgbPixels(128, 96, seq + 1) }),
  ]);
}

async function detector(config: EncoderConfigInput): Promise<Encoder> {
  const encoder = await createCameraDetector(encoderConfigSchema.parse(config), { sensors, log: quiet });
  encoders.push(encoder);
  return encoder;
}

beforeAll(async () => {
  jpeg = new Uint8Array(await sharp(Buffer.from(rgbPixels(128, 96, 99)), { raw: { width: 128, height: 96, channels: 3 } }).jpeg().toBuffer());
});
afterAll(async () => {
  await Promise.all(encoders.map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** YOLOv5 scenario decoded (threshold 0.25, IoU 0.45, per class): rows 0, 2, 5, 7, classes 0, 1, 2, 0. */
const YOLOV5_CLASSES = [0, 1, 2, 0];
const YOLOV5_SCORES = [0.765625, 0.65625, 0.5, 0.375];

describe('camera detector', () => {
  it('YOLOv5 with batch 1: one run per camera, boxes in each original image, labels from the rig', async () => {
    // The input recipe is read off the model: [1, 3, 64, 64], letterboxed, 0..1.
    const model = writeModel('yolov5.onnx', yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    const encoder = await detector({ name: 'det', type: 'camera-detector', model, family: 'yolov5', labels: ['a', 'b', 'c'], providers: ['cpu'] });
    expect(encoder.modality).toBe('camera');
    const { detections } = await encoder.encode(twoCameras(0));
    // Rig order: cam_front before cam_back, whatever the set's order.
    expect(detections?.map((d) => d.sensorId)).toEqual(['cam_front', 'cam_front', 'cam_front', 'cam_front', 'cam_back', 'cam_back', 'cam_back', 'cam_back']);
    const expected = (sensorId: string) =>
      YOLOV5_EXPECTED_IN_IMAGE.map((box, i) => ({ sensorId, classId: YOLOV5_CLASSES[i], label: 'abc'[YOLOV5_CLASSES[i]], score: YOLOV5_SCORES[i], box, encoder: 'det' }));
    expect(detections).toEqual([...expected('cam_front'), ...expected('cam_back')]);
  });

  it('YOLOv8 with batch 2: both cameras in one run, each its own image of the output', async () => {
    const model = writeModel('yolov8.onnx', yoloV8TestModel(YOLOV8_ROWS, 64).bytes);
    const encoder = await detector({ name: 'v8', type: 'camera-detector', model, family: 'yolov8', labels: 'coco', providers: ['cpu'] });
    const { detections } = await encoder.encode(twoCameras(0));
    const front = detections!.filter((d) => d.sensorId === 'cam_front');
    const back = detections!.filter((d) => d.sensorId === 'cam_back');
    expect(front.map((d) => d.box)).toEqual(YOLOV5_EXPECTED_IN_IMAGE);
    expect(front.map((d) => d.label)).toEqual(['person', 'bicycle', 'car', 'person']);
    // Image 1: class 1 at 0.5, [0, 0, 64, 64] in the input → the whole 128×96 image (padding clipped).
    expect(back).toEqual([{ sensorId: 'cam_back', classId: 1, label: 'bicycle', score: 0.5, box: [0, 0, 128, 96], encoder: 'v8' }]);
  });

  it('SSD in TF form (uint8 NHWC input, yxyx fractions, background column), on the cameras the rig names', async () => {
    const model = writeModel('ssd.onnx', ssdTestModel(SSD_BOXES, SSD_SCORES, 300).bytes);
    const encoder = await detector({
      name: 'ssd', type: 'camera-detector', model, family: 'ssd', sensors: ['cam_back'], scoreThreshold: 0.3, providers: ['cpu'],
      ssd: { boxFormat: 'yxyx', normalized: true, background: 'first' },
    });
    const image = { encoding: 'rgb8' as const, width: 300, height: 300, data: rgbPixels(300, 300, 7) };
    const { detections } = await encoder.encode(frameSet(0, [camera('cam_front', 0, image), camera('cam_back', 0, image)]));
    expect(detections).toEqual(
      SSD_EXPECTED.map((d) => ({ sensorId: 'cam_back', classId: d.classId, label: ['person', 'bicycle', 'car'][d.classId], score: d.score, box: d.box, encoder: 'ssd' })),
    );
  });

  it('every: 2 runs on every other set it sees', async () => {
    const model = writeModel('yolov5-every.onnx', yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    const encoder = await detector({ name: 'sparse', type: 'camera-detector', model, family: 'yolov5', every: 2, providers: ['cpu'] });
    const counts = [];
    for (let seq = 0; seq < 4; seq++) counts.push((await encoder.encode(twoCameras(seq))).detections?.length);
    expect(counts).toEqual([8, 0, 8, 0]);
  });

  it('a set without its cameras gives no detections and no run', async () => {
    const model = writeModel('yolov5-none.onnx', yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    const encoder = await detector({ name: 'none', type: 'camera-detector', model, family: 'yolov5', providers: ['cpu'] });
    expect(await encoder.encode(frameSet(0, []))).toEqual({ detections: [] });
  });

  it('an input size that the model does not take is an error at start-up naming the model and the shapes', async () => {
    const model = writeModel('yolov5-64.onnx', yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    await expect(
      detector({ name: 'det', type: 'camera-detector', model, family: 'yolov5', input: { width: 32, height: 32 }, providers: ['cpu'] }),
    ).rejects.toThrow(`model "det" (${model}): input "images" is [1, 3, 64, 64] in the model, the configuration needs [?, 3, 32, 32]`);
  });

  it('a model of dynamic size needs the input recipe', async () => {
    const bytes = buildModel({ opset: 17, graph: graph('dyn').input('images', 'float32', ['b', 3, 'h', 'w']).node('Identity', ['images'], 'out').output('out', 'float32', ['b', 3, 'h', 'w']) });
    await expect(detector({ name: 'dyn', type: 'camera-detector', model: writeModel('dyn.onnx', bytes), family: 'yolov5', providers: ['cpu'] })).rejects.toThrow(
      /encoder dyn: model input "images" \[b, 3, h, w\]: not a \[N, 3, H, W\] or \[N, H, W, 3\] image of fixed size; give the encoder's input/,
    );
  });

  it('a corrupt JPEG fails the set with a message naming the camera', async () => {
    const model = writeModel('yolov5-bad.onnx', yoloV5TestModel([YOLOV5_ROWS], 64).bytes);
    const encoder = await detector({ name: 'det', type: 'camera-detector', model, family: 'yolov5', providers: ['cpu'] });
    const broken = camera('cam_back', 3, { encoding: 'jpeg', width: 0, height: 0, data: jpeg.subarray(0, 40) });
    await expect(encoder.encode(frameSet(3, [broken]))).rejects.toThrow(/camera cam_back frame 3: cannot decode jpeg/);
  });
});
