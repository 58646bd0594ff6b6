import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RigInput } from '../../engine/config/rig-schema.js';
import { validateRig } from '../../engine/config/load-rig.js';
import { ScenarioWriter } from '../scenario-writer.js';

/**
 * Runs `body` against a fresh scenario file; if it throws, the half-written file is removed so that a
 * failed import never leaves something that looks like a scenario.
 */
export async function writeScenario(
  out: string,
  rig: RigInput,
  info: Record<string, string>,
  body: (writer: ScenarioWriter) => Promise<void>,
): Promise<void> {
  const validRig = validateRig(rig, 'imported rig');
  await mkdir(dirname(out), { recursive: true });
  const writer = await ScenarioWriter.create(out, { rig, validRig, info });
  try {
    await body(writer);
  } catch (err) {
    await writer.close().catch(() => {});
    await rm(out, { force: true });
    throw err;
  }
  await writer.close();
}
