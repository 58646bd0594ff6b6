import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Velodyne per-laser calibration in the ROS velodyne driver's YAML format (`lasers[]`, `num_lasers`,
 * `distance_resolution`), read the way its calibration.cpp reads it: angles in radians, distances in
 * metres, optional keys defaulted as there, rings numbered by increasing vertical angle. A bad file
 * is a configuration error: it throws with the path of the offending field.
 */

export interface VelodyneLaserCorrection {
  readonly laserId: number;
  /** Azimuth offset, rad (subtracted from the block's azimuth). */
  readonly rotCorrection: number;
  /** Elevation, rad. */
  readonly vertCorrection: number;
  /** Added to every distance, m. */
  readonly distCorrection: number;
  readonly distCorrectionX: number;
  readonly distCorrectionY: number;
  readonly twoPtCorrectionAvailable: boolean;
  /** Vertical and horizontal offsets of the laser's origin, m. */
  readonly vertOffsetCorrection: number;
  readonly horizOffsetCorrection: number;
  readonly focalDistance: number;
  readonly focalSlope: number;
  readonly minIntensity: number;
  readonly maxIntensity: number;
  /** Rank of the laser by elevation, 0 = lowest. */
  readonly ring: number;
}

export interface VelodyneCalibration {
  readonly numLasers: number;
  /** Metres per distance unit (0.002 for every model here). */
  readonly distanceResolution: number;
  /** Indexed by laser id. */
  readonly lasers: readonly VelodyneLaserCorrection[];
}

const finite = z.number().finite();

const laserSchema = z.object({
  laser_id: z.number().int().min(0).max(127),
  rot_correction: finite,
  vert_correction: finite.min(-Math.PI / 2).max(Math.PI / 2),
  dist_correction: finite,
  dist_correction_x: finite.optional(),
  dist_correction_y: finite.optional(),
  two_pt_correction_available: z.boolean().optional(),
  vert_offset_correction: finite.optional(),
  horiz_offset_correction: finite.optional(),
  focal_distance: finite.optional(),
  focal_slope: finite.optional(),
  min_intensity: finite.optional(),
  max_intensity: finite.optional(),
});

const calibrationSchema = z.object({
  num_lasers: z.number().int().min(1).max(128),
  distance_resolution: finite.positive().max(1).optional(),
  lasers: z.array(laserSchema).min(1).max(128),
});

/** Largest calibration file accepted, bytes (a 64-laser file is about 30 KB). */
export const MAX_CALIBRATION_BYTES = 1_000_000;

function formatZodError(error: z.ZodError, what: string): string {
  const first = error.issues[0];
  const path = first.path.length ? first.path.join('.') : '(root)';
  return `${what}: ${path}: ${first.message}`;
}

/** Calibration from the parsed YAML/JSON object of the ROS driver's format. */
export function velodyneCalibrationFromObject(value: unknown, what = 'velodyne calibration'): VelodyneCalibration {
  const parsed = calibrationSchema.safeParse(value);
  if (!parsed.success) throw new Error(formatZodError(parsed.error, what));
  const doc = parsed.data;
  const lasers: VelodyneLaserCorrection[] = new Array(doc.num_lasers);
  for (const l of doc.lasers) {
    if (l.laser_id >= doc.num_lasers) {
      throw new Error(`${what}: lasers: laser_id ${l.laser_id} is not below num_lasers ${doc.num_lasers}`);
    }
    if (lasers[l.laser_id]) throw new Error(`${what}: lasers: laser_id ${l.laser_id} appears twice`);
    lasers[l.laser_id] = {
      laserId: l.laser_id,
      rotCorrection: l.rot_correction,
      vertCorrection: l.vert_correction,
      distCorrection: l.dist_correction,
      distCorrectionX: l.dist_correction_x ?? 0,
      distCorrectionY: l.dist_correction_y ?? 0,
      twoPtCorrectionAvailable: l.two_pt_correction_available ?? false,
      vertOffsetCorrection: l.vert_offset_correction ?? 0,
      horizOffsetCorrection: l.horiz_offset_correction ?? 0,
      focalDistance: l.focal_distance ?? 0,
      focalSlope: l.focal_slope ?? 0,
      // calibration.cpp floors both bounds.
      minIntensity: Math.floor(l.min_intensity ?? 0),
      maxIntensity: Math.floor(l.max_intensity ?? 255),
      ring: 0,
    };
  }
  for (let i = 0; i < doc.num_lasers; i++) {
    if (!lasers[i]) throw new Error(`${what}: lasers: no entry for laser_id ${i} of ${doc.num_lasers}`);
  }
  // Ring = rank by elevation; ties keep laser order (the driver's own loop would skip a tied laser).
  const order = lasers.map((l, i) => i).sort((a, b) => lasers[a].vertCorrection - lasers[b].vertCorrection || a - b);
  const withRings = lasers.slice();
  order.forEach((laser, ring) => {
    withRings[laser] = { ...lasers[laser], ring };
  });
  return { numLasers: doc.num_lasers, distanceResolution: doc.distance_resolution ?? 0.002, lasers: withRings };
}

/** Calibration from the YAML text of a ROS velodyne driver calibration file. */
export function parseVelodyneCalibration(yamlText: string, what = 'velodyne calibration'): VelodyneCalibration {
  if (yamlText.length > MAX_CALIBRATION_BYTES) throw new Error(`${what}: ${yamlText.length} characters; at most ${MAX_CALIBRATION_BYTES}`);
  let value: unknown;
  try {
    value = parseYaml(yamlText);
  } catch (e) {
    throw new Error(`${what}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return velodyneCalibrationFromObject(value, what);
}

const DEG = Math.PI / 180;

function nominal(verticalDegrees: number[]): VelodyneCalibration {
  return velodyneCalibrationFromObject({
    num_lasers: verticalDegrees.length,
    distance_resolution: 0.002,
    lasers: verticalDegrees.map((deg, laser_id) => ({ laser_id, rot_correction: 0, vert_correction: deg * DEG, dist_correction: 0 })),
  });
}

/**
 * The manufacturer's nominal angles, equal to the ROS driver's VLP16db.yaml and 32db.yaml. Per-unit
 * calibrations (the VLP-32C's azimuth offsets, any HDL-64E) must come from a file.
 */
export function nominalVelodyneCalibration(model: 'VLP16' | 'HDL32E'): VelodyneCalibration {
  if (model === 'VLP16') {
    // Interleaved: -15, 1, -13, 3, ..., -1, 15 degrees.
    return nominal(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? -15 + i : i)));
  }
  // -30.67 to +10.67 in steps of 4/3 degrees, interleaved, rounded to 0.01 as in the data sheet.
  return nominal(
    Array.from({ length: 32 }, (_, i) => {
      const k = i >> 1;
      const deg = i % 2 === 0 ? -92 / 3 + (k * 4) / 3 : -28 / 3 + (k * 4) / 3;
      return Math.round(deg * 100) / 100;
    }),
  );
}
