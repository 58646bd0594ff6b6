import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { Modality } from '../core/frames.js';
import { COCO_DETECTOR, ensureCocoModel } from './coco-model.js';

export const ENCODER_TYPES = ['camera-detector', 'vad'] as const;
export type EncoderType = (typeof ENCODER_TYPES)[number];
export const DETECTOR_FAMILIES = ['yolov5', 'yolov8', 'centernet', 'ssd'] as const;
export type DetectorFamily = (typeof DETECTOR_FAMILIES)[number];

/** The modality each encoder type reads. */
export const ENCODER_MODALITY: Record<EncoderType, Modality> = { 'camera-detector': 'camera', vad: 'audio' };

/** How a built-in detector is run: its output layout, labels, input recipe and thresholds. */
export interface BuiltInDetector {
  readonly family: DetectorFamily;
  readonly labels: 'coco';
  readonly input: {
    readonly width: number;
    readonly height: number;
    readonly layout: 'nchw' | 'nhwc';
    readonly channelOrder: 'rgb' | 'bgr';
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
    readonly letterbox: boolean;
  };
  readonly scoreThreshold: number;
  readonly iouThreshold: number;
}

export interface BuiltInModel {
  package: string;
  /** The file in the package: the model itself, or what percept converts it from. */
  file: string;
  type: EncoderType;
  description: string;
  /** For a model converted from the package's file: makes (or finds cached) the .onnx and returns its path. */
  build?: () => string;
  detector?: BuiltInDetector;
}

/** Models shipped in npm packages, by the name a rig may give instead of a path. */
export const BUILT_IN_MODELS: Record<string, BuiltInModel> = {
  vad: { package: '@ricky0123/vad-web', file: 'dist/silero_vad_v5.onnx', type: 'vad', description: 'Silero VAD v5 (MIT)' },
  coco: {
    package: '@vladmandic/human',
    file: 'models/centernet.json',
    type: 'camera-detector',
    description: 'COCO CenterNet (MobileNetV3), 80 classes (MIT; model Apache-2.0)',
    build: () => ensureCocoModel(),
    detector: COCO_DETECTOR,
  },
};

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const probability = z.number().min(0).max(1);
const rgbTriple = z.tuple([finite, finite, finite]);

/**
 * How camera images become the model's input tensor. Pixel values become (value / 255 − mean) / std
 * per channel, in the order of `channelOrder` (defaults: 0..1, the YOLO convention; ImageNet's is
 * mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]); a uint8 model input takes the pixels as
 * they are. `letterbox` keeps the aspect ratio and pads; without it the image is stretched.
 */
const inputSchema = z
  .object({
    width: z.number().int().positive().max(8192),
    height: z.number().int().positive().max(8192),
    layout: z.enum(['nchw', 'nhwc']).default('nchw'),
    channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
    mean: rgbTriple.default([0, 0, 0]),
    std: rgbTriple.refine((s) => s.every((v) => v !== 0), 'a std of 0 divides by zero').default([1, 1, 1]),
    letterbox: z.boolean().default(true),
  })
  .strict();

/** How an SSD model gives its boxes and scores (TF's exports: yxyx, normalized, background first). */
const ssdSchema = z
  .object({
    boxFormat: z.enum(['xyxy', 'yxyx']).default('xyxy'),
    /** Boxes are fractions 0..1 of the input rather than input pixels. */
    normalized: z.boolean().default(false),
    /** Score column 0 is the background class. */
    background: z.enum(['none', 'first']).default('none'),
    scoreActivation: z.enum(['none', 'sigmoid', 'softmax']).default('none'),
  })
  .strict();

export const encoderConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    type: z.enum(ENCODER_TYPES),
    /** A path to an .onnx file (relative to the rig file) or a built-in model's name ('vad': Silero VAD v5; 'coco': COCO CenterNet). */
    model: z.string().min(1),
    /** The detector's output layout; camera-detector only. */
    family: z.enum(DETECTOR_FAMILIES).optional(),
    /** family ssd: the output conventions. */
    ssd: ssdSchema.optional(),
    /** Sensors to encode; default every sensor of the encoder's modality. */
    sensors: z.array(z.string().min(1)).min(1).optional(),
    /** camera-detector: the input tensor's recipe; default from the model's fixed input shape. */
    input: inputSchema.optional(),
    /** Class names by class id: 'coco' (80 classes) or a list. */
    labels: z.union([z.literal('coco'), z.array(z.string()).min(1)]).optional(),
    /** Defaults: the built-in detector's own (coco: 0.2 and 0.4), else 0.25 and 0.45. */
    scoreThreshold: probability.optional(),
    iouThreshold: probability.optional(),
    maxDetections: z.number().int().positive().max(10_000).default(100),
    /** Tried in order; default CUDA, then CPU. */
    providers: z.array(z.enum(['cuda', 'cpu'])).min(1).default(['cuda', 'cpu']),
    /** ONNX Runtime's intra-op threads; default its own choice. */
    threads: z.number().int().positive().max(256).optional(),
    /** Run on every Nth set this encoder sees (1: every set). */
    every: z.number().int().positive().default(1),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.type === 'camera-detector') {
      const builtIn = BUILT_IN_MODELS[e.model];
      if (!e.family && !builtIn?.detector) ctx.addIssue({ code: 'custom', path: ['family'], message: `a camera-detector needs its output layout: one of ${DETECTOR_FAMILIES.join(', ')}` });
      if (e.ssd && e.family !== 'ssd') ctx.addIssue({ code: 'custom', path: ['ssd'], message: `only for family ssd, not ${e.family}` });
      if (builtIn && builtIn.type !== e.type) ctx.addIssue({ code: 'custom', path: ['model'], message: `"${e.model}" is the built-in ${builtIn.description}, a ${builtIn.type} model` });
    } else {
      for (const field of ['family', 'input', 'labels', 'ssd'] as const) {
        if (e[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `not used by a ${e.type} encoder` });
      }
    }
  })
  // A built-in detector brings its own recipe: `model: coco` alone runs it the way it was trained.
  .transform((e) => {
    const recipe = BUILT_IN_MODELS[e.model]?.detector;
    if (e.type !== 'camera-detector' || !recipe) return { ...e, scoreThreshold: e.scoreThreshold ?? 0.25, iouThreshold: e.iouThreshold ?? 0.45 };
    return {
      ...e,
      family: e.family ?? recipe.family,
      labels: e.labels ?? recipe.labels,
      input: e.input ?? { ...recipe.input, mean: [...recipe.input.mean] as [number, number, number], std: [...recipe.input.std] as [number, number, number] },
      scoreThreshold: e.scoreThreshold ?? recipe.scoreThreshold,
      iouThreshold: e.iouThreshold ?? recipe.iouThreshold,
    };
  });

export type EncoderConfigInput = z.input<typeof encoderConfigSchema>;
export type EncoderConfig = z.output<typeof encoderConfigSchema>;
export type ImageInputConfig = z.output<typeof inputSchema>;

/**
 * Problems between the encoder list and the rig's sensors, as zod issues relative to the rig (so
 * rig-schema's superRefine can add them as they are): unknown or wrong-modality sensors, duplicate
 * encoder names.
 */
export function encoderRigIssues(
  encoders: readonly EncoderConfig[],
  sensors: readonly { id: string; modality: string }[],
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  encoders.forEach((e, i) => {
    if (names.has(e.name)) issues.push({ path: ['encoders', i, 'name'], message: `duplicate encoder name "${e.name}"` });
    names.add(e.name);
    const modality = ENCODER_MODALITY[e.type];
    e.sensors?.forEach((id, j) => {
      const sensor = sensors.find((s) => s.id === id);
      if (!sensor) issues.push({ path: ['encoders', i, 'sensors', j], message: `no sensor with id "${id}"` });
      else if (sensor.modality !== modality) issues.push({ path: ['encoders', i, 'sensors', j], message: `"${id}" is ${/^[aeiou]/.test(sensor.modality) ? 'an' : 'a'} ${sensor.modality} sensor; a ${e.type} encoder reads ${modality}` });
    });
  });
  return issues;
}

/** The sensors an encoder reads: those it names, else every sensor of its modality, in rig order. */
export function encoderSensors(config: EncoderConfig, sensors: readonly { id: string; modality: string }[]): string[] {
  const modality = ENCODER_MODALITY[config.type];
  const named = config.sensors ? new Set(config.sensors) : undefined;
  return sensors.filter((s) => s.modality === modality && (!named || named.has(s.id))).map((s) => s.id);
}

/**
 * A built-in model's file (converted first, for a model percept converts, such as `coco`), or the
 * path resolved against `baseDir` (the rig file's folder).
 */
export function resolveModelPath(model: string, baseDir: string = process.cwd()): string {
  const builtIn = Object.hasOwn(BUILT_IN_MODELS, model) ? BUILT_IN_MODELS[model] : undefined;
  if (builtIn) return builtIn.build ? builtIn.build() : createRequire(import.meta.url).resolve(`${builtIn.package}/${builtIn.file}`);
  return isAbsolute(model) ? model : resolve(baseDir, model);
}
