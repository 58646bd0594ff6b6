/**
 * `percept overlay`: LiDAR points drawn on a camera image, coloured by depth (turbo colour map,
 * near = red), written as PNG. The projection is the native `project` kernel's, so the picture is
 * a visual check of a calibration and of the kernel at once. `--detect` adds a camera detector's
 * boxes, run by `percept infer`'s code so both commands see the same detections.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { kittiCamera, nuscenesCameras } from '../../native/camera-models.js';
import { projectPoints, type ProjectionCamera, type ProjectionResult } from '../../native/project.js';
import { ImportError } from '../../scenarios/import/import-error.js';
import type { Detection2D } from '../events/perception-event.js';
import { UsageError } from './cli-error.js';
import { detectInImage } from './infer-command.js';

export interface OverlayCommandOptions {
  calib?: string;
  info?: string;
  points?: string;
  image: string;
  out: string;
  format?: string;
  camera?: string;
  maxDepth?: string;
  /** A built-in detector or a detector .onnx; `true` (the bare flag) is the built-in `coco`. */
  detect?: string | boolean;
  family?: string;
  labels?: string;
}

export type OverlayFormat = 'kitti' | 'nuscenes';

// Size limits on what is read: a sweep of a 128-beam LiDAR is ~10 MB, camera images a few MB.
const MAX_POINTS_BYTES = 256 * 1024 * 1024;
const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
const MAX_TEXT_BYTES = 16 * 1024 * 1024;
/** Floats per point of each dataset's .bin: KITTI x y z intensity, nuScenes x y z intensity ring. */
const POINT_STRIDE: Record<OverlayFormat, number> = { kitti: 4, nuscenes: 5 };

export async function runOverlayCommand(opts: OverlayCommandOptions): Promise<void> {
  const format = parseFormat(opts);
  const maxDepth = opts.maxDepth === undefined ? 60 : Number(opts.maxDepth);
  if (!Number.isFinite(maxDepth) || maxDepth <= 0) throw new UsageError(`--max-depth must be a positive number of metres, got "${opts.maxDepth}"`);
  const model = opts.detect === true ? 'coco' : opts.detect || undefined;
  if (opts.points === undefined && model === undefined) {
    throw new UsageError("required option '--points <file>' not specified (or give --detect for the camera detector's boxes alone)");
  }
  const imageBytes = readLimited(opts.image, '--image', MAX_IMAGE_BYTES);
  const points = opts.points === undefined ? undefined : readPoints(opts.points, format);

  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(imageBytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UsageError(`--image ${opts.image}: cannot decode: ${(err as Error).message}`);
  }
  const { width, height, channels } = decoded.info;
  const summary: string[] = [];
  if (points !== undefined) {
    const stride = POINT_STRIDE[format];
    const { camera, name } = cameraFor(format, opts, width, height);
    const projection = projectPoints(points, stride, camera);
    const drawn = drawDepthDots(decoded.data, width, height, channels, projection, maxDepth);
    summary.push(`${drawn} of ${points.length / stride} points in ${name}`);
  }
  let labelSvg: string | undefined;
  if (model !== undefined) {
    const detections = await detect(model, opts);
    // Lowest score first, so where boxes overlap the more confident one stays on top.
    for (const d of [...detections].reverse()) drawBox(decoded.data, width, height, channels, d.box, boxColour(d.classId), BOX_THICKNESS);
    labelSvg = labelsSvg(detections, width, height);
    for (const d of detections) process.stdout.write(`${d.label} ${d.score.toFixed(3)} [${d.box.map((v) => v.toFixed(1)).join(', ')}]\n`);
    summary.push(`${detections.length} detections by ${model}`);
  }
  let image = sharp(decoded.data, { raw: { width, height, channels } });
  if (labelSvg !== undefined) image = image.composite([{ input: Buffer.from(labelSvg), top: 0, left: 0 }]);
  await image.png().toFile(opts.out);
  process.stdout.write(`wrote ${opts.out}: ${summary.join(', ')} (${width}×${height})\n`);
}

function readPoints(path: string, format: OverlayFormat): Float32Array {
  const pointBytes = readLimited(path, '--points', MAX_POINTS_BYTES);
  const stride = POINT_STRIDE[format];
  if (pointBytes.length % (stride * 4) !== 0) {
    throw new UsageError(`--points ${path}: ${pointBytes.length} bytes is not a whole number of ${stride}-float ${format} points`);
  }
  const points = new Float32Array(pointBytes.length / 4);
  new Uint8Array(points.buffer).set(pointBytes);
  return points;
}

/** The detections of `percept infer MODEL IMAGE`, most confident first. */
async function detect(model: string, opts: OverlayCommandOptions): Promise<Detection2D[]> {
  try {
    const detections = await detectInImage(model, opts.image, { family: opts.family, labels: opts.labels });
    return detections.sort((a, b) => b.score - a.score);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`--detect: ${err.message}`);
    throw err;
  }
}

function parseFormat(opts: OverlayCommandOptions): OverlayFormat {
  const format = opts.format ?? (opts.info !== undefined ? 'nuscenes' : 'kitti');
  if (format !== 'kitti' && format !== 'nuscenes') throw new UsageError(`--format must be kitti or nuscenes, got "${format}"`);
  return format;
}

function cameraFor(format: OverlayFormat, opts: OverlayCommandOptions, width: number, height: number): { camera: ProjectionCamera; name: string } {
  try {
    if (format === 'kitti') {
      if (opts.calib === undefined) throw new UsageError('--calib calib.txt is needed for KITTI');
      const text = readLimited(opts.calib, '--calib', MAX_TEXT_BYTES).toString('utf8');
      const index = opts.camera === undefined ? 2 : Number(/^(?:P|image_)?([0-3])$/.exec(opts.camera)?.[1] ?? NaN);
      if (!Number.isInteger(index)) throw new UsageError(`--camera for KITTI is 0..3 (2 is image_2), got "${opts.camera}"`);
      return { camera: kittiCamera(text, index, width, height, basename(opts.calib)), name: `KITTI camera ${index}` };
    }
    const infoFile = opts.info ?? opts.calib;
    if (infoFile === undefined) throw new UsageError('--info INFO.json (mmdetection3d nuScenes info) is needed for nuScenes');
    const text = readLimited(infoFile, '--info', MAX_TEXT_BYTES).toString('utf8');
    const cams = nuscenesCameras(text, { width, height, file: basename(infoFile) });
    const wanted = opts.camera ?? 'CAM_FRONT';
    const found = cams.find((c) => c.name === wanted);
    if (found === undefined) throw new UsageError(`--camera ${wanted} is not in ${infoFile} (it has ${cams.map((c) => c.name).join(', ')})`);
    return { camera: found.camera, name: found.name };
  } catch (err) {
    if (err instanceof ImportError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

function readLimited(path: string, flag: string, limit: number): Buffer {
  if (!existsSync(path)) throw new UsageError(`${flag} not found: ${path}`);
  const size = statSync(path).size;
  if (size > limit) throw new UsageError(`${flag} ${path} is ${size} bytes, more than the ${limit}-byte limit`);
  return readFileSync(path);
}

/**
 * One colour per class id; ids beyond the palette wrap around, so two classes can share a colour
 * in a busy image.
 */
const BOX_PALETTE: readonly [number, number, number][] = [
  [255, 56, 56], [255, 157, 151], [255, 178, 29], [207, 210, 49], [72, 249, 10],
  [26, 147, 52], [0, 212, 187], [44, 153, 168], [0, 194, 255], [52, 69, 147],
  [100, 115, 255], [132, 56, 255], [203, 56, 255], [255, 149, 200], [255, 55, 199],
];
const BOX_THICKNESS = 3;

export function boxColour(classId: number): [number, number, number] {
  const i = ((Math.trunc(classId) % BOX_PALETTE.length) + BOX_PALETTE.length) % BOX_PALETTE.length;
  const [r, g, b] = BOX_PALETTE[i];
  return [r, g, b];
}

/**
 * Draws a box outline `thickness` pixels wide, inside the box, into an interleaved 8-bit image;
 * the box is x1 y1 x2 y2 in pixels and is clipped to the image. The outline is drawn on the raw
 * pixels rather than in the SVG so its colour is exact (no anti-aliasing).
 */
export function drawBox(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  box: readonly number[],
  colour: readonly [number, number, number],
  thickness: number,
): void {
  const left = Math.max(0, Math.round(box[0]));
  const top = Math.max(0, Math.round(box[1]));
  const right = Math.min(width, Math.round(box[2])) - 1;
  const bottom = Math.min(height, Math.round(box[3])) - 1;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const onEdge = x - left < thickness || right - x < thickness || y - top < thickness || bottom - y < thickness;
      if (!onEdge) continue;
      const o = (y * width + x) * channels;
      pixels[o] = colour[0];
      pixels[o + 1] = colour[1];
      pixels[o + 2] = colour[2];
    }
  }
}

/**
 * "label score" tags in the box colour, above each box's top-left corner (inside the box where
 * the box touches the top of the image), as an SVG the size of the image.
 */
export function labelsSvg(detections: readonly Detection2D[], width: number, height: number): string {
  const fontSize = Math.max(12, Math.round(height / 50));
  const tagHeight = fontSize + 4;
  const tags = [...detections].reverse().map((d) => {
    const text = `${d.label} ${d.score.toFixed(2)}`;
    // An estimate: the SVG cannot measure text, and DejaVu Sans, the usual fallback, averages about 0.55 em.
    const tagWidth = Math.ceil(text.length * fontSize * 0.55) + 6;
    const x = Math.max(0, Math.min(width - tagWidth, Math.round(d.box[0])));
    const y = Math.round(d.box[1]) >= tagHeight ? Math.round(d.box[1]) - tagHeight : Math.max(0, Math.round(d.box[1]));
    const [r, g, b] = boxColour(d.classId);
    const ink = 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
    return `<rect x="${x}" y="${y}" width="${tagWidth}" height="${tagHeight}" fill="rgb(${r},${g},${b})"/>`
      + `<text x="${x + 3}" y="${y + fontSize}" font-family="sans-serif" font-size="${fontSize}" fill="${ink}">${escapeXml(text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${tags.join('')}</svg>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Draws a 2×2 dot per in-image point into an interleaved 8-bit image (3 or more channels), far
 * points first so near ones stay on top. Returns how many points were drawn.
 */
export function drawDepthDots(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  projection: ProjectionResult,
  maxDepth: number,
): number {
  const order: number[] = [];
  for (let i = 0; i < projection.inImage.length; i++) if (projection.inImage[i]) order.push(i);
  order.sort((a, b) => projection.depth[b] - projection.depth[a] || a - b);
  for (const i of order) {
    const [r, g, b] = turbo(1 - Math.min(1, projection.depth[i] / maxDepth));
    const x0 = Math.floor(projection.u[i]), y0 = Math.floor(projection.v[i]);
    for (let y = y0; y < Math.min(height, y0 + 2); y++) {
      for (let x = x0; x < Math.min(width, x0 + 2); x++) {
        const o = (y * width + x) * channels;
        pixels[o] = r;
        pixels[o + 1] = g;
        pixels[o + 2] = b;
      }
    }
  }
  return order.length;
}

/**
 * Google's Turbo colour map, t in [0, 1] → 8-bit RGB (0 dark blue … 1 dark red), by the degree-5
 * polynomial fit of Ruofei Du's public approximation (max error about 1 %).
 */
export function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const poly = (c: readonly number[]): number => c.reduceRight((acc, k) => acc * x + k, 0);
  const r = poly([0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943]);
  const g = poly([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]);
  const b = poly([0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]);
  const byte = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [byte(r), byte(g), byte(b)];
}
