import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Rig, RigInput } from '../../engine/config/rig-schema.js';
import { validateRig } from '../../engine/config/load-rig.js';
import { packageRoot } from '../../engine/core/package-root.js';

export const PRESET_NAMES = ['nuscenes-like'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function presetRigPath(preset: PresetName = 'nuscenes-like'): string {
  return join(packageRoot(), 'scenarios', 'rigs', `${preset}.yaml`);
}

/** The preset's rig as written (stored verbatim in scenarios) and validated (defaults filled in). */
export function loadPresetRig(preset: PresetName = 'nuscenes-like'): { input: RigInput; rig: Rig } {
  const path = presetRigPath(preset);
  const input = parseYaml(readFileSync(path, 'utf8'), { maxAliasCount: 100 }) as RigInput;
  return { input, rig: validateRig(input, path) };
}
