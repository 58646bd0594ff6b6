/**
 * `percept overlay`: LiDAR points drawn on a camera image, coloured by depth (turbo colour map,
 * near = red), written as PNG. The projection is the native `project` kernel's, so the picture is
 * a visual check of a calibration and of the kernel at once.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { kittiCamera, nuscenesCameras } from '../../native/camera-models.js';
import { projectPoints, type ProjectionCamera, type ProjectionResult } from '../../native/project.js';
import { ImportError } from '../../scenarios/import/import-error.js';
import { UsageError } from './cli-error.js';

export interface OverlayCommandOptions {
  calib?: string;
  info?: string;
  points: string;
  image: string;
  out: string;
  format?: string;
  camera?: string;
  maxDepth?: string;
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
  const imageBytes = readLimited(opts.image, '--image', MAX_IMAGE_BYTES);
  const pointBytes = readLimited(opts.points, '--points', MAX_POINTS_BYTES);
  const stride = POINT_STRIDE[format];
  if (pointBytes.length % (stride * 4) !== 0) {
    throw new UsageError(`--points ${opts.points}: ${pointBytes.length} bytes is not a whole number of ${stride}-float ${format} points`);
  }
  const points = new Float32Array(pointBytes.length / 4);
  new Uint8Array(points.buffer).set(pointBytes);

  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(imageBytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UsageError(`--image ${opts.image}: cannot decode: ${(err as Error).message}`);
  }
  const { width, height } = decoded.info;
  const { camera, name } = cameraFor(format, opts, width, height);
  const projection = projectPoints(points, stride, camera);
  const drawn = drawDepthDots(decoded.data, width, height, decoded.info.channels, projection, maxDepth);
  await sharp(decoded.data, { raw: { width, height, channels: decoded.info.channels } }).png().toFile(opts.out);
  process.stdout.write(`wrote ${opts.out}: ${drawn} of ${points.length / stride} points in ${name} (${width}×${height})\n`);
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
