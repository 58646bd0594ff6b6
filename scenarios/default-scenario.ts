import { existsSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../engine/core/package-root.js';
import { generateScenario } from './generator/index.js';
import { GENERATOR_VERSION } from './generator/version.js';

export { loadPresetRig } from './generator/preset-rig.js';

/** What `percept replay` plays when given no scenario: 20 s of the nuscenes-like preset, seed 1. */
export const DEFAULT_SCENARIO = { preset: 'nuscenes-like', durationS: 20, seed: 1 } as const;

/** $PERCEPT_CACHE_DIR, or .cache/scenarios under the package root. */
export function scenarioCacheDir(): string {
  return process.env.PERCEPT_CACHE_DIR || join(packageRoot(), '.cache', 'scenarios');
}

/** The cached default scenario's path; its name changes with anything that changes its content. */
export function defaultScenarioPath(): string {
  const { preset, durationS, seed } = DEFAULT_SCENARIO;
  return join(scenarioCacheDir(), `${preset}-${durationS}s-seed${seed}-v${GENERATOR_VERSION}.mcap`);
}

/**
 * The default scenario's path, generating it first if it is not cached. It is written under a
 * temporary name and renamed when complete, so an interrupted run never leaves a file that looks whole.
 */
export async function ensureDefaultScenario(onProgress?: (done: number, total: number) => void): Promise<string> {
  const path = defaultScenarioPath();
  if (existsSync(path)) return path;
  await mkdir(scenarioCacheDir(), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  try {
    await generateScenario({ ...DEFAULT_SCENARIO, out: partial, onProgress });
    await rename(partial, path);
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    throw err;
  }
  return path;
}
