import { z } from 'zod';
import { formatPath } from '../../engine/config/load-rig.js';
import { ImportError } from './import-error.js';
import { parsePythonJson } from './python-json.js';

const num = z.number().refine(Number.isFinite, 'expected a finite number');
/** A number that may be unknown: nuScenes writes NaN, which parsePythonJson turns into null. */
const maybeNum = z.number().nullable().transform((v) => (v === null ? NaN : v));
const row4 = z.tuple([num, num, num, num]);
const matrix4 = z.tuple([row4, row4, row4, row4]);
const row3 = z.tuple([num, num, num]);
const matrix3 = z.tuple([row3, row3, row3]);

const cameraSchema = z.object({
  img_path: z.string().min(1),
  cam2img: matrix3,
  cam2ego: matrix4,
  /** Seconds (float). */
  timestamp: num,
  lidar2cam: matrix4.optional(),
});

const instanceSchema = z.object({
  /** [x, y, z, l, w, h, yaw] in the LiDAR frame; z is the box centre (see instanceToGroundTruth). */
  bbox_3d: z.tuple([num, num, num, num, num, num, num]),
  /** Index into metainfo.categories; −1 for a category outside the list. */
  bbox_label_3d: z.number().int(),
  velocity: z.tuple([maybeNum, maybeNum]),
  num_lidar_pts: z.number().int().optional(),
});

const sampleSchema = z.object({
  token: z.string().optional(),
  /** Seconds (float) of the LiDAR sweep. */
  timestamp: num,
  ego2global: matrix4,
  lidar_points: z.object({
    lidar_path: z.string().min(1),
    lidar2ego: matrix4,
    num_pts_feats: z.number().int().optional(),
  }),
  images: z.record(z.string().regex(/^[A-Za-z0-9_]+$/), cameraSchema),
  instances: z.array(instanceSchema).default([]),
});

/** The mmdet3d v1.x info file (converted from its pickle to JSON), as in mmdetection3d's demo data. */
const infoSchema = z.object({
  metainfo: z.object({
    categories: z.record(z.string(), z.number().int().nonnegative()),
    dataset: z.string().optional(),
    version: z.string().optional(),
  }),
  data_list: z.array(sampleSchema).min(1),
});

export type NuscenesInfo = z.output<typeof infoSchema>;
export type NuscenesSample = NuscenesInfo['data_list'][number];
export type NuscenesCamera = z.output<typeof cameraSchema>;
export type NuscenesInstance = z.output<typeof instanceSchema>;

/** Parses and validates the info JSON; a problem names the file and the field path. */
export function parseNuscenesInfo(text: string, file: string): NuscenesInfo {
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch (err) {
    throw new ImportError(file, `not valid JSON: ${(err as Error).message}`);
  }
  const result = infoSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : '';
    throw new ImportError(file, `${formatPath(issue.path)}: ${issue.message}${more}`);
  }
  return result.data;
}

/** Row-major flat copy of a nested matrix. */
export function flatRows(m: readonly (readonly number[])[]): number[] {
  return m.flat();
}
