/**
 * What percept knows about the models it can run without a file from the user: the models shipped
 * in npm packages (engine/encode/encoder-config.ts BUILT_IN_MODELS names them and their files;
 * `coco` is converted from TFJS on first use), with what a person needs to choose one: task,
 * inputs and outputs in words, licence, origin.
 */
import { BUILT_IN_MODELS, resolveModelPath, type EncoderType } from './encoder-config.js';

export interface BuiltInModelInfo {
  /** The name a rig or `percept infer` uses. */
  name: string;
  type: EncoderType;
  title: string;
  task: string;
  /** Inputs and outputs as the model declares them, with what they mean. */
  inputs: string[];
  outputs: string[];
  licence: string;
  /** Where the weights come from. */
  source: string;
  /** npm package and file that ship it. */
  package: string;
  file: string;
}

const DETAILS: Record<string, Omit<BuiltInModelInfo, 'name' | 'type' | 'package' | 'file'>> = {
  vad: {
    title: 'Silero VAD v5',
    task: 'voice activity: speech probability per 32 ms of 16 kHz mono audio',
    inputs: [
      'input float32 [1, 576]: 512 new samples at 16 kHz (−1..1) after the previous window\'s last 64',
      'state float32 [2, 1, 128]: the recurrent state, zeros at the start of a stream',
      'sr int64 []: the sample rate, 16000',
    ],
    outputs: ['output float32 [1, 1]: speech probability of the window', 'stateN float32 [2, 1, 128]: the state for the next window'],
    licence: 'MIT (model, Silero Team); ISC (the @ricky0123/vad-web package that ships it)',
    source: 'snakers4/silero-vad, via @ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx',
  },
  coco: {
    title: 'COCO CenterNet (MobileNetV3)',
    task: 'object detection: boxes of the 80 COCO classes (person, car, truck, bus, bicycle, …) in a camera image',
    inputs: [
      'tower_0/images float32 [1, 512, 512, 3]: the image stretched to 512 × 512 (no letterbox), RGB, 0..255, NHWC',
    ],
    outputs: [
      'tower_0/detections float32 [1, 100, 6]: the 100 highest heatmap peaks (3 × 3 local maxima), best first: x1, y1, x2, y2 in pixels of the 512 × 512 input, score 0..1, class 0..79 (COCO order: 0 person, 2 car, 5 bus, 7 truck); keep score > 0.2, NMS at IoU 0.4',
      'tower_0/wh float32 [1, 128, 128, 4]: per cell of the stride-4 grid, the distances in input pixels from the point (4 · column, 4 · row) to the box\'s left, top, right and bottom edges',
      'tower_0/keypoints float32 [1, 128, 128, 80]: per cell and class, the probability that an object of the class is centred there',
    ],
    licence: 'MIT (@vladmandic/human); model derived from TensorFlow CenterNet, Apache-2.0',
    source: '610265158/mobilenetv3_centernet, via @vladmandic/human@3.3.6 models/centernet.json (TFJS graph model), converted to ONNX by percept into .cache/models/coco-centernet.onnx',
  },
};

/** Every built-in model, in name order. */
export function builtInModels(): BuiltInModelInfo[] {
  return Object.entries(BUILT_IN_MODELS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, m]) => {
      const details = DETAILS[name] ?? { title: m.description, task: m.type, inputs: [], outputs: [], licence: 'see the package', source: m.package };
      return { name, type: m.type, package: m.package, file: m.file, ...details };
    });
}

export function builtInModel(name: string): BuiltInModelInfo | undefined {
  return builtInModels().find((m) => m.name === name);
}

/** The installed file of a built-in model (resolved through its package, wherever npm put it). */
export function builtInModelPath(name: string): string {
  if (!BUILT_IN_MODELS[name]) throw new RangeError(`no built-in model "${name}"; built-in: ${Object.keys(BUILT_IN_MODELS).join(', ')}`);
  return resolveModelPath(name);
}
