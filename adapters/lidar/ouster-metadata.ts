import { z } from 'zod';

/**
 * Ouster sensor metadata (the JSON the sensor serves and the SDK stores beside a pcap), in either
 * layout: the flat one of firmware 1.x–2.x (beam angles, `data_format` and transforms at the top
 * level — both samples here) or the nested one of later firmware and SDKs (`beam_intrinsics`,
 * `lidar_data_format`, `lidar_intrinsics`, `config_params`, `sensor_info`). A bad file is a
 * configuration error: it throws naming the field.
 */

export type OusterLidarProfile = 'LEGACY' | 'RNG15_RFL8_NIR8';
export const OUSTER_PROFILES: readonly OusterLidarProfile[] = ['LEGACY', 'RNG15_RFL8_NIR8'];

export interface OusterSensorInfo {
  readonly profile: OusterLidarProfile;
  readonly pixelsPerColumn: number;
  readonly columnsPerPacket: number;
  readonly columnsPerFrame: number;
  /** First and last measurement id the sensor sends (inclusive; may wrap past the end). */
  readonly columnWindow: readonly [number, number];
  readonly pixelShiftByRow: readonly number[];
  /** Degrees, one per row (row 0 = top beam). */
  readonly beamAltitudeAngles: readonly number[];
  readonly beamAzimuthAngles: readonly number[];
  /** Beam origin offsets, mm: along x (radial) and z of the lidar frame. */
  readonly beamOriginXMm: number;
  readonly beamOriginZMm: number;
  /** Row-major 4×4, translation in mm. */
  readonly lidarToSensorTransform: readonly number[];
  readonly initializationId: number | undefined;
  readonly prodLine: string | undefined;
}

const finite = z.number().finite();
const matrix4 = z.array(finite).length(16);

const normalizedSchema = z.object({
  profile: z.enum(['LEGACY', 'RNG15_RFL8_NIR8']),
  pixelsPerColumn: z.number().int().min(1).max(256),
  columnsPerPacket: z.number().int().min(1).max(64),
  columnsPerFrame: z.number().int().min(16).max(8192),
  columnWindow: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  pixelShiftByRow: z.array(z.number().int().min(-8192).max(8192)),
  beamAltitudeAngles: z.array(finite.min(-90).max(90)),
  beamAzimuthAngles: z.array(finite.min(-180).max(180)),
  beamOriginXMm: finite,
  beamOriginZMm: finite,
  lidarToSensorTransform: matrix4,
  initializationId: z.number().int().optional(),
  prodLine: z.string().optional(),
});

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

export function ousterSensorInfoFromObject(value: unknown, what = 'ouster metadata'): OusterSensorInfo {
  const root = obj(value);
  const nested = 'lidar_data_format' in root || 'beam_intrinsics' in root;
  const beams = nested ? obj(root.beam_intrinsics) : root;
  const format = nested ? obj(root.lidar_data_format) : obj(root.data_format);
  const config = obj(root.config_params);
  const sensor = nested ? obj(root.sensor_info) : root;
  const lidarToSensor = nested ? obj(root.lidar_intrinsics).lidar_to_sensor_transform : root.lidar_to_sensor_transform;
  const profile = format.udp_profile_lidar ?? config.udp_profile_lidar ?? 'LEGACY';
  const beamToLidar = beams.beam_to_lidar_transform as number[] | undefined;
  const originMm = beams.lidar_origin_to_beam_origin_mm;
  const columnsPerFrame = format.columns_per_frame;
  const candidate = {
    profile,
    pixelsPerColumn: format.pixels_per_column,
    columnsPerPacket: format.columns_per_packet,
    columnsPerFrame,
    columnWindow: format.column_window ?? [0, typeof columnsPerFrame === 'number' ? columnsPerFrame - 1 : 0],
    pixelShiftByRow: format.pixel_shift_by_row,
    beamAltitudeAngles: beams.beam_altitude_angles,
    beamAzimuthAngles: beams.beam_azimuth_angles,
    beamOriginXMm: Array.isArray(beamToLidar) ? beamToLidar[3] : (originMm ?? 0),
    beamOriginZMm: Array.isArray(beamToLidar) ? beamToLidar[11] : 0,
    lidarToSensorTransform: lidarToSensor ?? [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    initializationId: sensor.initialization_id,
    prodLine: sensor.prod_line,
  };
  const parsed = normalizedSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}${issue.path[0] === 'profile' ? ` (supported: ${OUSTER_PROFILES.join(', ')})` : ''}`);
  }
  const info = parsed.data;
  const h = info.pixelsPerColumn;
  for (const key of ['pixelShiftByRow', 'beamAltitudeAngles', 'beamAzimuthAngles'] as const) {
    if (info[key].length !== h) throw new Error(`${what}: ${key}: ${info[key].length} values for ${h} pixels per column`);
  }
  const [first, last] = info.columnWindow;
  if (first >= info.columnsPerFrame || last >= info.columnsPerFrame) {
    throw new Error(`${what}: columnWindow: [${first}, ${last}] outside ${info.columnsPerFrame} columns`);
  }
  if (info.columnsPerFrame % info.columnsPerPacket !== 0) {
    throw new Error(`${what}: columnsPerPacket: ${info.columnsPerPacket} does not divide ${info.columnsPerFrame} columns`);
  }
  return { ...info, columnWindow: [first, last] as const, initializationId: info.initializationId, prodLine: info.prodLine };
}

/** Largest metadata file accepted (a 128-beam file is about 10 KB). */
export const MAX_OUSTER_METADATA_BYTES = 1_000_000;

export function parseOusterMetadata(jsonText: string, what = 'ouster metadata'): OusterSensorInfo {
  if (jsonText.length > MAX_OUSTER_METADATA_BYTES) throw new Error(`${what}: ${jsonText.length} characters; at most ${MAX_OUSTER_METADATA_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(jsonText);
  } catch (e) {
    throw new Error(`${what}: not JSON: ${(e as Error).message}`);
  }
  return ousterSensorInfoFromObject(value, what);
}
