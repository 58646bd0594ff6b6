import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { rigSchema, type Rig, type SensorConfig } from './rig-schema.js';
import { quatFromEuler, quatNormalize, type CameraModel, type Transform } from '../core/geometry.js';

/** Rig files larger than this are not rig files. */
const MAX_RIG_BYTES = 4 * 1024 * 1024;

/** A rig that failed validation; each line names a field path and what was expected there. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid rig\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(root)';
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

/** Validates a parsed rig object; throws ConfigError naming every bad field. */
export function validateRig(value: unknown, source = 'rig'): Rig {
  const result = rigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

/** Parses YAML or JSON text (JSON is YAML, but a JSON file gets JSON's stricter errors). */
export function parseRigText(text: string, source = 'rig', format: 'yaml' | 'json' = 'yaml'): Rig {
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(source, [`not valid ${format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`]);
  }
  return validateRig(value, source);
}

export function loadRigFile(path: string): Rig {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_RIG_BYTES) throw new ConfigError(path, [`file is ${bytes.length} bytes; a rig may be at most ${MAX_RIG_BYTES}`]);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(path, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseRigText(text, path, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

/** The sensor's coordinate frame name: its frameId, or its id. */
export function sensorFrameId(sensor: SensorConfig): string {
  return sensor.frameId ?? sensor.id;
}

export function sensorExtrinsic(sensor: SensorConfig): Transform {
  const [x, y, z] = sensor.extrinsic.translation;
  const r = sensor.extrinsic.rotation;
  const rotation = 'quaternion' in r
    ? quatNormalize({ x: r.quaternion[0], y: r.quaternion[1], z: r.quaternion[2], w: r.quaternion[3] })
    : quatFromEuler(r.rpy[0], r.rpy[1], r.rpy[2]);
  return { translation: { x, y, z }, rotation };
}

export function sensorCameraModel(sensor: SensorConfig): CameraModel | undefined {
  const c = sensor.camera;
  if (!c) return undefined;
  return {
    width: c.width,
    height: c.height,
    fx: c.fx,
    fy: c.fy,
    cx: c.cx,
    cy: c.cy,
    distortionModel: c.distortion.model,
    distortion: c.distortion.coefficients,
  };
}
