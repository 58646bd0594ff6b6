import { unlink } from 'node:fs/promises';
import { ScenarioWriter } from '../scenario-writer.js';
import { FrameProducer, type ProducedFrame } from './frame-producer.js';
import { PRESET_NAMES, loadPresetRig, type PresetName } from './preset-rig.js';
import { SCENARIO_START, scheduleFrames, sensorTimings } from './schedule.js';
import { GENERATOR_VERSION } from './version.js';
import { createWorld } from './world.js';

export { loadPresetRig, PRESET_NAMES, type PresetName } from './preset-rig.js';
export { GENERATOR_VERSION } from './version.js';

export interface GenerateOptions {
  preset: PresetName;
  /** Scenario length, seconds (0 < durationS ≤ 3600). */
  durationS: number;
  /** Any integer; equal seeds give byte-identical files. */
  seed: number;
  /** Output MCAP path; overwritten. */
  out: string;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  path: string;
  /** Frames written per sensor id. */
  frames: Record<string, number>;
  /** Ground-truth messages written (one per LiDAR sweep). */
  groundTruth: number;
  /** Wall-clock seconds the generation took. */
  wallS: number;
}

/** Frames in flight at once: enough to keep the JPEG encoders of libuv's pool busy. */
const IN_FLIGHT = 12;
const MAX_DURATION_S = 3600;

/**
 * Simulates a drive and writes it as a scenario (MCAP): calibration first, then every sensor's frames
 * in stamp order, with ground truth at each LiDAR stamp. Deterministic in (preset, duration, seed).
 */
export async function generateScenario(options: GenerateOptions): Promise<GenerateResult> {
  const began = performance.now();
  const { preset, durationS, seed, out, onProgress } = options;
  if (!PRESET_NAMES.includes(preset)) throw new RangeError(`unknown preset "${preset}"; known: ${PRESET_NAMES.join(', ')}`);
  if (!(durationS > 0 && durationS <= MAX_DURATION_S)) throw new RangeError(`durationS must be in (0, ${MAX_DURATION_S}], got ${durationS}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);

  const { input, rig } = loadPresetRig(preset);
  const world = createWorld(seed);
  const timings = sensorTimings(rig, seed);
  const schedule = scheduleFrames(timings, SCENARIO_START, durationS);
  const producer = new FrameProducer(world, rig, SCENARIO_START, durationS);

  const writer = await ScenarioWriter.create(out, {
    rig: input,
    validRig: rig,
    info: { generator: 'percept', preset, seed: String(seed), durationS: String(durationS), generatorVersion: String(GENERATOR_VERSION) },
  });
  const frames: Record<string, number> = Object.fromEntries(rig.sensors.map((s) => [s.id, 0]));
  let groundTruth = 0;
  let done = 0;
  const write = async (item: ProducedFrame): Promise<void> => {
    await writer.writeFrame(item.frame);
    frames[item.frame.sensorId]++;
    if (item.groundTruth) {
      await writer.writeGroundTruth(item.groundTruth.stamp, item.groundTruth.ego, item.groundTruth.objects);
      groundTruth++;
    }
    onProgress?.(++done, schedule.length);
  };

  const pending: Promise<ProducedFrame>[] = [];
  try {
    await writer.writeCalibration(SCENARIO_START);
    for (const item of schedule) {
      const produced = Promise.resolve(producer.produce(item));
      // Awaited in order below; this only keeps an early failure from being reported as unhandled.
      produced.catch(() => undefined);
      pending.push(produced);
      while (pending.length > IN_FLIGHT) await write(await pending.shift()!);
    }
    while (pending.length > 0) await write(await pending.shift()!);
    await writer.close();
  } catch (err) {
    await Promise.allSettled(pending);
    await writer.close().catch(() => undefined);
    await unlink(out).catch(() => undefined);
    throw err;
  }
  return { path: out, frames, groundTruth, wallS: (performance.now() - began) / 1000 };
}
