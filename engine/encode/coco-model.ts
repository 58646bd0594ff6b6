/**
 * The built-in `coco` detector: @vladmandic/human's CenterNet (MobileNetV3 backbone, the 80 COCO
 * classes), a TFJS graph model that ships with the package, converted to ONNX on first use and
 * kept under .cache/models of the package root. No network: the weights are in node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import { ensureConvertedModel } from './tfjs-to-onnx/cached-conversion.js';

export const COCO_SOURCE = { package: '@vladmandic/human', file: 'models/centernet.json' } as const;

/** Detections first: the centernet decoder reads the model's first output. */
export const COCO_OUTPUTS = ['tower_0/detections', 'tower_0/wh', 'tower_0/keypoints'] as const;

/**
 * How percept runs it, as @vladmandic/human does: the whole image stretched (no letterbox) to
 * 512 × 512, RGB 0..255 as float32, NHWC; rows of [x1, y1, x2, y2, score, class] in input pixels,
 * class 0-based in COCO_LABELS order; human keeps scores above 0.2 and runs NMS at IoU 0.4.
 */
export const COCO_DETECTOR = {
  family: 'centernet',
  labels: 'coco',
  input: {
    width: 512,
    height: 512,
    layout: 'nhwc',
    channelOrder: 'rgb',
    mean: [0, 0, 0],
    std: [1 / 255, 1 / 255, 1 / 255],
    letterbox: false,
  },
  scoreThreshold: 0.2,
  iouThreshold: 0.4,
} as const;

export function modelCacheDir(): string {
  return join(packageRoot(), '.cache', 'models');
}

/** model.json inside the installed package. */
export function cocoSourcePath(): string {
  return join(cocoPackage().dir, COCO_SOURCE.file);
}

/** The converted model's path, converting it first when there is no current copy. */
export function ensureCocoModel(options: { cacheDir?: string } = {}): string {
  const { dir, version } = cocoPackage();
  return ensureConvertedModel(join(dir, COCO_SOURCE.file), join(options.cacheDir ?? modelCacheDir(), 'coco-centernet.onnx'), {
    outputs: COCO_OUTPUTS,
    origin: `${COCO_SOURCE.package}@${version} ${COCO_SOURCE.file}`,
  });
}

/** The installed package's folder and version, found from its entry point (its `exports` hide its files from require.resolve). */
function cocoPackage(): { dir: string; version: string } {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(COCO_SOURCE.package);
  } catch {
    throw new Error(`package ${COCO_SOURCE.package} is not installed; run npm install`);
  }
  let dir = dirname(entry);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === COCO_SOURCE.package) return { dir, version: pkg.version ?? 'unknown' };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package ${COCO_SOURCE.package} not found; run npm install`);
    dir = parent;
  }
}
