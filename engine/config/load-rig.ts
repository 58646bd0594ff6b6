import { readFileSync, statSync } from 'node:fs';
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
    super(formatConfigProblems(source, problems));
    this.name = 'ConfigError';
  }
}

/** One line for one problem; a header and a bulleted line per problem otherwise. */
export function formatConfigProblems(source: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${source}: invalid rig: ${problems[0]}`;
  return `${source}: invalid rig\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(root)';
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    // One line per unknown key, with the key in the path, so the line points at the offending field.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...path, key])}: unknown key`);
    if (issue.code === 'invalid_union') {
      // When one alternative came clearly nearest (fewest problems), its problems say more than "no alternative matched".
      const counts = issue.errors.map((branch) => branch.length);
      const fewest = Math.min(...counts);
      if (counts.filter((c) => c === fewest).length === 1 && fewest > 0) {
        return describeIssues(issue.errors[counts.indexOf(fewest)], path);
      }
    }
    return [`${formatPath(path)}: ${issue.message}`];
  });
}

/** Validates a parsed rig object; throws ConfigError naming every bad field. */
export function validateRig(value: unknown, source = 'rig'): Rig {
  const result = rigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

/** Parses YAML or JSON text (JSON is YAML, but a JSON file gets JSON's stricter errors). */
export function parseRigText(text: string, source = 'rig', format: 'yaml' | 'json' = 'yaml'): Rig {
  if (text.includes('\u0000')) throw new ConfigError(source, ['not a text file (it holds NUL bytes): expected a rig in YAML or JSON']);
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    // yaml's first line ends with a colon that introduces a source excerpt; the excerpt is dropped.
    const message = (err as Error).message.split('\n')[0].replace(/:$/, '');
    throw new ConfigError(source, [`not valid ${format.toUpperCase()}: ${withLineOfPosition(message, text)}`]);
  }
  if (value === null || value === undefined) {
    throw new ConfigError(source, ['the rig is empty: expected a mapping with name, sensors and sync']);
  }
  return validateRig(value, source);
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
};

/** JSON.parse names a character offset; people look for a line and column. */
function withLineOfPosition(message: string, text: string): string {
  const match = /at position (\d+)/.exec(message);
  if (!match) return message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return message.replace(/ \(line \d+ column \d+\)$/, '') + ` (line ${line}, column ${column})`;
}

export function loadRigFile(path: string): Rig {
  let text: string;
  try {
    // Checked before reading, so that a huge file is never read into memory.
    const { size } = statSync(path);
    if (size > MAX_RIG_BYTES) throw tooLarge(path, size);
    const bytes = readFileSync(path);
    if (bytes.length > MAX_RIG_BYTES) throw tooLarge(path, bytes.length);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code && READ_ERRORS[code] ? `${READ_ERRORS[code]} (${code})` : code ?? (err as Error).message;
    throw new ConfigError(path, [`cannot read the file: ${why}`]);
  }
  return parseRigText(text, path, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

function tooLarge(path: string, size: number): ConfigError {
  return new ConfigError(path, [`file is ${size} bytes; a rig may be at most ${MAX_RIG_BYTES}`]);
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
