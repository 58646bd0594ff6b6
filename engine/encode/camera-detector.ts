import * as ort from 'onnxruntime-node';
import type { CameraFrame, FrameSet } from '../core/frames.js';
import { COCO_LABELS } from './coco-labels.js';
import type { Detection2D } from './encoded-set.js';
import type { Encoder } from './encode-stage.js';
import { encoderSensors, resolveModelPath, type EncoderConfig, type ImageInputConfig } from './encoder-config.js';
import { identityLetterbox } from './letterbox.js';
import { decodeCenterNet, decodeSsd, decodeYoloV5, decodeYoloV8, toDetections2D, type BoxDetection, type TensorLike } from './postprocess/index.js';
import { preprocessImages, type ImageTensorSpec, type ImageTransform } from './preprocess-image.js';
import { runBatch } from './scheduler.js';
import { createSession, formatDims, type Fetches, type Session, type TensorInfo } from './session.js';

export interface CameraDetectorOptions {
  /** The rig's sensors: the encoder reads its `sensors`, else every camera, in rig order. */
  sensors: readonly { id: string; modality: string }[];
  /** The folder a relative model path is resolved against (the rig file's). */
  baseDir?: string;
  log?: (line: string) => void;
}

/**
 * The camera encoder: a detector in one of the standard output layouts (YOLOv5, YOLOv8/11,
 * CenterNet as @vladmandic/human exports it, SSD with decoded boxes) run on the set's camera
 * frames. All cameras go through one run when the model's batch dimension allows it, else one run
 * per camera. Boxes come out in pixels of each original image.
 */
export async function createCameraDetector(config: EncoderConfig, options: CameraDetectorOptions): Promise<Encoder> {
  if (config.type !== 'camera-detector' || !config.family) throw new Error(`encoder ${config.name}: not a camera-detector with a family`);
  const family = config.family;
  const sensorIds = encoderSensors(config, options.sensors);
  const session = await createSession(resolveModelPath(config.model, options.baseDir), {
    name: config.name,
    providers: config.providers,
    intraOpThreads: config.threads,
    firstInputShape: config.input ? imageShape(config.input) : undefined,
    log: options.log,
  });
  let spec: ImageTensorSpec;
  try {
    spec = tensorSpec(config, session.inputs[0]);
    checkOutputs(config, session.outputs);
  } catch (err) {
    await session.close();
    throw err;
  }
  const labels = config.labels === undefined || config.labels === 'coco' ? COCO_LABELS : config.labels;
  const inputName = session.inputs[0].name;
  let seen = 0;

  const encode = async (set: FrameSet): Promise<{ detections: Detection2D[] }> => {
    // Counted over the sets this encoder sees, so live mode's dropped sets do not starve it.
    if (seen++ % config.every !== 0) return { detections: [] };
    const frames: CameraFrame[] = [];
    for (const id of sensorIds) {
      const frame = set.frames.get(id);
      if (frame?.modality === 'camera') frames.push(frame);
    }
    if (frames.length === 0) return { detections: [] };
    const images = await preprocessImages(frames, spec);
    const batch = new ort.Tensor(spec.dtype, images.tensor as Float32Array, images.dims);
    const perImage = await runBatch(session, inputName, batch);
    const detections: Detection2D[] = [];
    perImage.forEach((fetches, i) => {
      const boxes = decode(family, config, spec, session.outputs, fetches);
      detections.push(...toOriginalPixels(boxes, images.transforms[i], spec.letterbox, frames[i].sensorId, config.name, labels));
    });
    return { detections };
  };

  return { name: config.name, modality: 'camera', encode, close: () => session.close() };
}

/** The first input's shape for an image recipe; the batch is left to the model. */
function imageShape(input: ImageInputConfig): (number | null)[] {
  return input.layout === 'nchw' ? [null, 3, input.height, input.width] : [null, input.height, input.width, 3];
}

/** The recipe from the rig, or read off a model whose input has a fixed size. */
function tensorSpec(config: EncoderConfig, input: TensorInfo): ImageTensorSpec {
  const where = `encoder ${config.name}: model input "${input.name}" ${formatDims(input.dims)}`;
  if (input.type !== 'float32' && input.type !== 'uint8') throw new Error(`${where}: ${input.type} images are not supported (float32, uint8 are)`);
  const dtype = input.type;
  if (config.input) return { ...config.input, dtype };
  const d = input.dims;
  const fixed = (v: number | string | undefined): v is number => typeof v === 'number' && v > 0;
  if (d.length === 4 && d[1] === 3 && fixed(d[2]) && fixed(d[3])) {
    return { width: d[3], height: d[2], layout: 'nchw', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true, dtype };
  }
  if (d.length === 4 && d[3] === 3 && fixed(d[1]) && fixed(d[2])) {
    return { width: d[2], height: d[1], layout: 'nhwc', channelOrder: 'rgb', mean: [0, 0, 0], std: [1, 1, 1], letterbox: true, dtype };
  }
  throw new Error(`${where}: not a [N, 3, H, W] or [N, H, W, 3] image of fixed size; give the encoder's input (width, height, layout)`);
}

function checkOutputs(config: EncoderConfig, outputs: readonly TensorInfo[]): void {
  const needed = config.family === 'ssd' ? 2 : 1;
  if (outputs.length < needed) {
    throw new Error(`encoder ${config.name}: a ${config.family} model has ${needed === 2 ? 'two outputs (boxes, scores)' : 'an output'}, this one has ${outputs.length}`);
  }
}

/** One image's detections, in model input pixels. */
function decode(
  family: NonNullable<EncoderConfig['family']>,
  config: EncoderConfig,
  spec: ImageTensorSpec,
  outputs: readonly TensorInfo[],
  fetches: Fetches,
): BoxDetection[] {
  const thresholds = { scoreThreshold: config.scoreThreshold, iouThreshold: config.iouThreshold, maxDetections: config.maxDetections };
  const output = (name: string): TensorLike => fetches[name];
  switch (family) {
    case 'yolov5':
      return decodeYoloV5(output(outputs[0].name), thresholds)[0] ?? [];
    case 'yolov8':
      return decodeYoloV8(output(outputs[0].name), thresholds)[0] ?? [];
    case 'centernet':
      return decodeCenterNet(output(outputs[0].name), thresholds)[0] ?? [];
    case 'ssd': {
      // Named outputs where the model names them so, else boxes first, as TF's exports order them.
      const boxes = outputs.find((o) => /box/i.test(o.name)) ?? outputs[0];
      const scores = outputs.find((o) => /score/i.test(o.name)) ?? outputs.find((o) => o !== boxes) ?? outputs[1];
      const ssd = config.ssd;
      return (
        decodeSsd(output(boxes.name), output(scores.name), {
          ...thresholds,
          boxFormat: ssd?.boxFormat,
          background: ssd?.background,
          scoreActivation: ssd?.scoreActivation,
          normalizedTo: ssd?.normalized ? { width: spec.width, height: spec.height } : undefined,
        })[0] ?? []
      );
    }
  }
}

/** Boxes in the model's input pixels back in the camera image's pixels. */
function toOriginalPixels(
  boxes: BoxDetection[],
  transform: ImageTransform,
  letterbox: boolean,
  sensorId: string,
  encoder: string,
  labels: readonly string[],
): Detection2D[] {
  if (letterbox) return toDetections2D(boxes, { sensorId, encoder, labels, letterbox: transform });
  // A stretched image has a scale per axis, which a letterbox transform cannot hold.
  const unstretched = boxes.map((b) => ({
    ...b,
    box: [b.box[0] / transform.scaleX, b.box[1] / transform.scaleY, b.box[2] / transform.scaleX, b.box[3] / transform.scaleY] as BoxDetection['box'],
  }));
  return toDetections2D(unstretched, { sensorId, encoder, labels, letterbox: identityLetterbox(transform.srcWidth, transform.srcHeight) });
}
