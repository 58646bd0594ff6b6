import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encoderConfigSchema, encoderRigIssues, encoderSensors, resolveModelPath } from './encoder-config.js';

function issues(input: unknown): string[] {
  const r = encoderConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('encoderConfigSchema', () => {
  it('fills the defaults', () => {
    const e = encoderConfigSchema.parse({ name: 'det', type: 'camera-detector', model: 'models/yolo.onnx', family: 'yolov8', input: { width: 640, height: 640 } });
    expect(e).toMatchObject({ scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100, providers: ['cuda', 'cpu'], every: 1 });
    expect(e.input).toEqual({ width: 640, height: 640, layout: 'nchw', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true });
  });

  it('runs a built-in detector with its own recipe unless the rig says otherwise', () => {
    const e = encoderConfigSchema.parse({ name: 'coco', type: 'camera-detector', model: 'coco' });
    expect(e).toMatchObject({ family: 'centernet', labels: 'coco', scoreThreshold: 0.2, iouThreshold: 0.4 });
    expect(e.input).toEqual({ width: 512, height: 512, layout: 'nhwc', channelOrder: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], letterbox: false });
    const tuned = encoderConfigSchema.parse({ name: 'coco', type: 'camera-detector', model: 'coco', scoreThreshold: 0.5, input: { width: 512, height: 512, layout: 'nhwc', std: [1 / 255, 1 / 255, 1 / 255], letterbox: true } });
    expect(tuned).toMatchObject({ scoreThreshold: 0.5, iouThreshold: 0.4, input: { letterbox: true } });
  });

  it('names the field of each error', () => {
    expect(issues({ name: 'det', type: 'camera-detector', model: 'm.onnx' })).toEqual([expect.stringMatching(/^family: a camera-detector needs its output layout/)]);
    expect(issues({ name: 'det', type: 'camera-detector', model: 'm.onnx', family: 'yolov8', scoreThreshold: 2, providers: ['tpu'], extra: 1 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^scoreThreshold: /), expect.stringMatching(/^providers\.0: /), expect.stringMatching(/^: Unrecognized key.*extra/)]),
    );
    expect(issues({ name: 'det', type: 'camera-detector', model: 'm.onnx', family: 'yolov8', input: { width: 640, height: 640, std: [1, 0, 1] } })).toEqual([
      'input.std: a std of 0 divides by zero',
    ]);
    expect(issues({ name: 'vad', type: 'vad', model: 'vad', family: 'yolov5' })).toEqual(['family: not used by a vad encoder']);
    expect(issues({ name: 'det', type: 'camera-detector', model: 'vad', family: 'yolov5' })).toEqual([expect.stringMatching(/^model: "vad" is the built-in Silero VAD v5/)]);
    expect(issues({ name: 'det', type: 'camera-detector', model: 'm.onnx', family: 'yolov5', ssd: {} })).toEqual(['ssd: only for family ssd, not yolov5']);
    expect(issues({ name: 'det', type: 'camera-detector', model: 'm.onnx', family: 'yolov5', every: 0 })).toEqual([expect.stringMatching(/^every: /)]);
  });
});

describe('encoders and the rig', () => {
  const sensors = [{ id: 'cam', modality: 'camera' }, { id: 'mic', modality: 'audio' }, { id: 'cam2', modality: 'camera' }];
  it('finds unknown and wrong-modality sensors and duplicate names', () => {
    const encoders = [
      encoderConfigSchema.parse({ name: 'a', type: 'camera-detector', model: 'm.onnx', family: 'yolov5', sensors: ['cam', 'mic', 'nope'] }),
      encoderConfigSchema.parse({ name: 'a', type: 'vad', model: 'vad' }),
    ];
    expect(encoderRigIssues(encoders, sensors)).toEqual([
      { path: ['encoders', 0, 'sensors', 1], message: '"mic" is an audio sensor; a camera-detector encoder reads camera' },
      { path: ['encoders', 0, 'sensors', 2], message: 'no sensor with id "nope"' },
      { path: ['encoders', 1, 'name'], message: 'duplicate encoder name "a"' },
    ]);
    expect(encoderSensors(encoders[1], sensors)).toEqual(['mic']);
    expect(encoderSensors(encoderConfigSchema.parse({ name: 'd', type: 'camera-detector', model: 'm.onnx', family: 'yolov5' }), sensors)).toEqual(['cam', 'cam2']);
  });

  it('resolves the built-in VAD model and relative paths', () => {
    expect(existsSync(resolveModelPath('vad'))).toBe(true);
    expect(resolveModelPath('models/y.onnx', '/rigs')).toBe('/rigs/models/y.onnx');
    expect(resolveModelPath('/abs/y.onnx', '/rigs')).toBe('/abs/y.onnx');
  });
});
