import type { Rig } from '../engine/config/rig-schema.js';
import { ensureDefaultScenario } from '../scenarios/default-scenario.js';
import { openScenario } from '../scenarios/scenario-reader.js';

/** The default scenario's path and the rig it carries, for benches that replay it with a changed rig. */
export async function defaultScenarioWithRig(): Promise<{ path: string; rig: Rig }> {
  const path = await ensureDefaultScenario();
  const scenario = await openScenario(path);
  const rig = scenario.rig;
  await scenario.close();
  if (!rig) throw new Error(`${path} holds no rig`);
  return { path, rig };
}
