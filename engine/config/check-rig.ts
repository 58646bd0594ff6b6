import { MODALITIES } from '../core/frames.js';
import { ConfigError, loadRigFile, sensorFrameId } from './load-rig.js';
import { sensorTimeoutMs, type Rig, type SensorConfig } from './rig-schema.js';

export type RigCheck =
  | { ok: true; rig: Rig; summary: string }
  | { ok: false; problems: string[] };

/**
 * Validates a rig file for `percept config check`. Never throws: an unreadable or invalid file
 * comes back as problems, each naming a field path (or the file) and what was expected.
 */
export function checkRigFile(path: string): RigCheck {
  try {
    const rig = loadRigFile(path);
    return { ok: true, rig, summary: summarizeRig(rig) };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, problems: [...err.problems] };
    return { ok: false, problems: [`cannot check the rig: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

/** A few lines for a person: the rig's name, its sensors by modality with their rates, the sync policy. */
export function summarizeRig(rig: Rig): string {
  const lines = [`rig ${rig.name}: ${count(rig.sensors.length, 'sensor')}`];
  const width = Math.max(...MODALITIES.map((m) => m.length)) + 1;
  for (const modality of MODALITIES) {
    const sensors = rig.sensors.filter((s) => s.modality === modality);
    if (sensors.length === 0) continue;
    lines.push(`  ${`${modality}:`.padEnd(width)} ${sensors.map(describeSensor).join(', ')}`);
  }
  const { sync } = rig;
  lines.push(`sync: ${describeSync(rig)}`);
  if (rig.fusion.egoGnss !== undefined) lines.push(`fusion: ego pose from ${rig.fusion.egoGnss}`);
  if (rig.outputs.mcap) lines.push(`outputs: events to MCAP ${rig.outputs.mcap.path}`);
  return lines.join('\n');
}

function describeSync(rig: Rig): string {
  const { sync } = rig;
  const parts: string[] = [sync.policy];
  if (sync.policy === 'nearest') parts.push(`to ${sync.reference}, tolerance ${formatNumber(sync.toleranceMs)} ms`);
  else if (sync.reference !== undefined) parts.push(`stamped by ${sync.reference}`);
  if (sync.policy === 'approximate' || sync.policy === 'exact' || sync.policy === 'slop') parts.push(`queue ${sync.queueSize}`);
  if (sync.policy === 'approximate' && sync.maxIntervalMs !== undefined) parts.push(`max interval ${formatNumber(sync.maxIntervalMs)} ms`);
  if (sync.policy === 'slop') parts.push(`slop ${formatNumber(sync.slopMs!)} ms`);
  const timeouts = rig.sensors.map((s) => sensorTimeoutMs(sync, s.id));
  const lo = Math.min(...timeouts), hi = Math.max(...timeouts);
  parts.push(`partial sets after ${lo === hi ? formatNumber(lo) : `${formatNumber(lo)}–${formatNumber(hi)}`} ms`);
  if (sync.reorderWindowMs > 0) parts.push(`reorder window ${formatNumber(sync.reorderWindowMs)} ms`);
  return parts.join(', ');
}

function describeSensor(sensor: SensorConfig): string {
  let text = `${sensor.id} ${formatNumber(sensor.rateHz)} Hz`;
  const details: string[] = [];
  if (sensor.camera) {
    const { width, height, distortion } = sensor.camera;
    details.push(`${width}x${height}`, distortion.model === 'none' ? 'no distortion' : distortion.model);
  }
  if (sensorFrameId(sensor) !== sensor.id) details.push(`frame ${sensorFrameId(sensor)}`);
  if (details.length > 0) text += ` (${details.join(', ')})`;
  return text;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Rates and durations as written, without float noise (12.5, not 12.500000001). */
function formatNumber(n: number): string {
  return String(Number(n.toPrecision(6)));
}
