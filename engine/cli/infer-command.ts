/**
 * `percept infer MODEL FILE`: one model on one file, for trying a model before putting it in a rig.
 * `vad` (or a Silero VAD .onnx) on a WAV prints one line per speech segment; `coco` or a detector
 * .onnx on a JPEG or PNG prints one line per detection, its box in pixels of the input image (a
 * built-in detector brings its family, labels, input recipe and thresholds). Every failure
 * the user can fix (missing or corrupt model, wrong input, an output the decoder cannot read) is
 * one line and exit code 2.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createWavDecoder } from '../../adapters/audio/wav-decode.js';
import { parseWavHeader } from '../../adapters/audio/wav-header.js';
import type { CameraFrame } from '../core/frames.js';
import type { Detection2D } from '../events/perception-event.js';
import { COCO_LABELS } from '../encode/coco-labels.js';
import { BUILT_IN_MODELS, resolveModelPath, type BuiltInDetector } from '../encode/encoder-config.js';
import { identityLetterbox } from '../encode/letterbox.js';
import { decodeCenterNet, decodeYoloV5, decodeYoloV8, toDetections2D, type BoxDetection } from '../encode/postprocess/index.js';
import { decodeCameraFrame } from '../encode/preprocess-image.js';
import { preprocessImagesAsync, type TensorSpec } from '../../native/preprocess.js';
import { createSession, type Session } from '../encode/session.js';
import { SileroVad } from '../encode/vad.js';
import { UsageError } from './cli-error.js';

export interface InferCommandOptions {
  json?: boolean;
  family?: string;
  labels?: string;
  scoreThreshold?: string;
  iouThreshold?: string;
}

export const INFER_FAMILIES = ['yolov5', 'yolov8', 'centernet'] as const;
type Family = (typeof INFER_FAMILIES)[number];

const MAX_INPUT_BYTES = 512 * 1024 * 1024;
const SILERO_INPUTS = 'input,sr,state';

export async function runInferCommand(model: string, file: string, opts: InferCommandOptions): Promise<void> {
  const lines = await inferLines(model, file, opts);
  for (const line of lines) process.stdout.write(line + '\n');
}

/** What `percept infer` prints, one string per line (for the command and its tests). */
export async function inferLines(model: string, file: string, opts: InferCommandOptions = {}): Promise<string[]> {
  const result = await runModel(model, file, opts);
  if (result.kind === 'speech') return result.lines;
  const round = (v: number): number => Math.round(v * 10) / 10;
  return result.detections.map((d) => {
    const line = { class: d.label, classId: d.classId, score: Math.round(d.score * 1000) / 1000, box: d.box.map(round) };
    return opts.json ? JSON.stringify(line) : `${d.label} ${line.score.toFixed(3)} [${line.box.join(', ')}]`;
  });
}

/** A detector's boxes on one JPEG or PNG, in the image's pixels, as `percept infer` finds them. */
export async function detectInImage(model: string, file: string, opts: InferCommandOptions = {}): Promise<Detection2D[]> {
  const result = await runModel(model, file, opts);
  if (result.kind === 'speech') throw new UsageError(`${model} is a voice activity model, not an image detector`);
  return result.detections;
}

type ModelResult = { kind: 'speech'; lines: string[] } | { kind: 'detections'; detections: Detection2D[] };

async function runModel(model: string, file: string, opts: InferCommandOptions): Promise<ModelResult> {
  const builtIn = Object.hasOwn(BUILT_IN_MODELS, model) ? BUILT_IN_MODELS[model] : undefined;
  let modelPath = model;
  try {
    if (builtIn) modelPath = resolveModelPath(model);
  } catch (err) {
    throw new UsageError(`model not found: ${model} (the built-in model's package is missing or its conversion failed: ${(err as Error).message})`);
  }
  if (!existsSync(modelPath)) throw new UsageError(`model not found: ${model}${builtIn ? ' (the built-in model\'s package is missing: run npm install)' : ''}`);
  const input = readInput(file);
  const session = await createSession(modelPath, { name: model, providers: ['cpu'], warmup: false, log: () => undefined }).catch((err: Error) => {
    throw new UsageError(`cannot load model ${model}: ${err.message.replace(/^model "[^"]*" \([^)]*\): (cannot be loaded: )?/, '')}`);
  });
  const names = session.inputs.map((i) => i.name).sort().join(',');
  try {
    if (names === SILERO_INPUTS) {
      await session.close();
      return { kind: 'speech', lines: await inferVad(modelPath, file, input, opts) };
    }
    return { kind: 'detections', detections: await inferDetector(session, model, file, input, opts, builtIn?.detector) };
  } finally {
    await session.close().catch(() => undefined);
  }
}

function readInput(file: string): Uint8Array {
  if (!existsSync(file)) throw new UsageError(`input not found: ${file}`);
  const stat = statSync(file);
  if (!stat.isFile()) throw new UsageError(`input is not a file: ${file}`);
  if (stat.size > MAX_INPUT_BYTES) throw new UsageError(`input of ${stat.size} bytes is larger than the ${MAX_INPUT_BYTES}-byte limit: ${file}`);
  return readFileSync(file);
}

async function inferVad(modelPath: string, file: string, bytes: Uint8Array, opts: InferCommandOptions): Promise<string[]> {
  const header = parseWavHeader(bytes);
  if (!header.ok) throw new UsageError(`${file} is not a WAV file the VAD can read: ${header.message}`);
  const decoder = createWavDecoder({ sensorId: 'wav', chunkMs: 100, start: 0n });
  const chunks = decoder.push(bytes, 0n);
  if (chunks.length === 0) throw new UsageError(`${file}: no audio decoded (${Object.keys(decoder.stats.errors).join(', ') || 'empty data chunk'})`);
  const vad = await SileroVad.create({ model: modelPath, log: () => undefined });
  try {
    const events = [];
    for (const c of chunks) events.push(...(await vad.push(c)));
    events.push(...(await vad.flush()));
    const seconds = (ns: bigint): number => Math.round(Number(ns) / 1e6) / 1e3;
    return events.map((e) => {
      const segment = { start: seconds(e.start), end: seconds(e.end), probability: Math.round(e.score * 1000) / 1000 };
      return opts.json ? JSON.stringify(segment) : `speech ${segment.start.toFixed(3)}–${segment.end.toFixed(3)} s  p=${segment.probability.toFixed(3)}`;
    });
  } finally {
    await vad.close();
  }
}

async function inferDetector(
  session: Session, model: string, file: string, bytes: Uint8Array, opts: InferCommandOptions, builtIn?: BuiltInDetector,
): Promise<Detection2D[]> {
  const family = opts.family ?? builtIn?.family;
  if (family === undefined) throw new UsageError(`${model} is not a VAD model; a detector needs --family (${INFER_FAMILIES.join(', ')})`);
  if (!(INFER_FAMILIES as readonly string[]).includes(family)) throw new UsageError(`--family must be one of ${INFER_FAMILIES.join(', ')}, got "${family}"`);
  const labels = labelList(opts.labels ?? builtIn?.labels);
  const scoreThreshold = threshold(opts.scoreThreshold, '--score-threshold', builtIn?.scoreThreshold ?? (family === 'centernet' ? 0.2 : 0.25));
  const iouThreshold = threshold(opts.iouThreshold, '--iou-threshold', builtIn?.iouThreshold ?? 0.45);

  const input = session.inputs[0];
  const spec: TensorSpec = builtIn
    ? { ...builtIn.input, mean: [...builtIn.input.mean], std: [...builtIn.input.std], padValue: 0, dtype: input.type === 'uint8' ? 'uint8' : 'float32' }
    : tensorSpecFor(model, input.dims, input.type, family as Family);
  const encoding = sniffImage(bytes);
  if (!encoding) throw new UsageError(`${file} is not a JPEG or PNG image`);
  const frame: CameraFrame = { modality: 'camera', sensorId: 'image', frameId: 'image', stamp: 0n, receivedAt: 0n, seq: 0, encoding, width: 0, height: 0, data: bytes };
  const image = await decodeCameraFrame(frame).catch((err: Error) => {
    throw new UsageError(err.message.replace(/^camera image frame 0: /, `${file}: `));
  });
  const pre = await preprocessImagesAsync([image], spec);
  const g = pre.geometry[0];
  // A stretched image has a scale per axis, which a letterbox transform cannot hold: undo it here.
  const letterbox = spec.letterbox
    ? { scale: g.scaleX, padX: g.padX, padY: g.padY, srcWidth: image.width, srcHeight: image.height }
    : identityLetterbox(image.width, image.height);
  const unstretch = (d: BoxDetection): BoxDetection =>
    spec.letterbox ? d : { ...d, box: [d.box[0] / g.scaleX, d.box[1] / g.scaleY, d.box[2] / g.scaleX, d.box[3] / g.scaleY] };
  const tensor = spec.dtype === 'float32'
    ? new ort.Tensor('float32', pre.tensor as Float32Array, pre.dims)
    : new ort.Tensor('uint8', pre.tensor as Uint8Array, pre.dims);
  const outputs = await session.run({ [input.name]: tensor }).catch((err: Error) => {
    throw new UsageError(`${model}: ${err.message.replace(/^model "[^"]*" \([^)]*\): /, '')}`);
  });
  const output = outputs[session.outputs[0].name];
  let detections: BoxDetection[];
  try {
    if (family === 'yolov5') detections = decodeYoloV5(output, { scoreThreshold, iouThreshold })[0] ?? [];
    else if (family === 'yolov8') detections = decodeYoloV8(output, { scoreThreshold, iouThreshold })[0] ?? [];
    else detections = decodeCenterNet(output, { scoreThreshold, iouThreshold })[0] ?? [];
  } catch (err) {
    throw new UsageError(`${model}: the output is not a ${family} output: ${(err as Error).message}`);
  }
  return toDetections2D(detections.map(unstretch), { sensorId: 'image', encoder: model, labels, letterbox });
}

/**
 * The input tensor a detector family expects: YOLO NCHW RGB 0..1 letterboxed on grey 114, the
 * CenterNet conversion of @vladmandic/human NHWC RGB 0..255. Layout and size follow the model's
 * input dims; a dynamic size is 640.
 */
function tensorSpecFor(model: string, dims: readonly (number | string)[], type: string, family: Family): TensorSpec {
  if (dims.length !== 4) throw new UsageError(`${model}: the input is [${dims.join(', ')}]; an image detector takes [N, 3, H, W] or [N, H, W, 3]`);
  if (type !== 'float32' && type !== 'uint8') throw new UsageError(`${model}: the input is ${type}; float32 or uint8 images are supported`);
  const fixed = (d: number | string): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);
  const nhwc = fixed(dims[3]) === 3 && fixed(dims[1]) !== 3;
  const [h, w] = nhwc ? [dims[1], dims[2]] : [dims[2], dims[3]];
  if (!nhwc && fixed(dims[1]) !== undefined && fixed(dims[1]) !== 3) throw new UsageError(`${model}: the input is [${dims.join(', ')}]; an image detector takes 3 channels`);
  const zeroTo255 = family === 'centernet' || type === 'uint8';
  return {
    width: fixed(w) ?? 640,
    height: fixed(h) ?? 640,
    layout: nhwc ? 'nhwc' : 'nchw',
    channelOrder: 'rgb',
    mean: [0, 0, 0],
    std: zeroTo255 ? [1 / 255, 1 / 255, 1 / 255] : [1, 1, 1],
    letterbox: true,
    padValue: family === 'centernet' ? 0 : 114,
    dtype: type,
  };
}

function labelList(labels: string | undefined): readonly string[] {
  if (labels === undefined) return [];
  if (labels === 'coco') return COCO_LABELS;
  if (!existsSync(labels)) throw new UsageError(`--labels must be "coco" or a file with one name per line: ${labels} not found`);
  if (statSync(labels).size > 16 * 1024 * 1024) throw new UsageError(`--labels file ${labels} is larger than 16 MiB`);
  return readFileSync(labels, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}

function threshold(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!(v >= 0 && v <= 1)) throw new UsageError(`${flag} must be a number in [0, 1], got "${value}"`);
  return v;
}

function sniffImage(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return undefined;
}
