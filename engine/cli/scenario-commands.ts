import { existsSync } from 'node:fs';
import { generateScenario } from '../../scenarios/generator/index.js';
import { importComma2k19 } from '../../scenarios/import/comma2k19.js';
import { importKitti } from '../../scenarios/import/kitti.js';
import { importNuscenes } from '../../scenarios/import/nuscenes.js';
import { formatScenarioInfo, scenarioInfo } from '../../scenarios/scenario-info.js';
import { UsageError } from './cli-error.js';
import { createProgress } from './progress.js';

export async function runScenarioGenerate(opts: { preset: string; duration: string; seed: string; out: string }): Promise<void> {
  const durationS = Number(opts.duration);
  const seed = Number(opts.seed);
  if (opts.preset !== 'nuscenes-like') throw new UsageError(`unknown preset "${opts.preset}" (available: nuscenes-like)`);
  if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 3600) throw new UsageError(`--duration must be a number of seconds in (0, 3600], got "${opts.duration}"`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${opts.seed}"`);
  const progress = createProgress('generating', 'messages');
  try {
    const result = await generateScenario({
      preset: 'nuscenes-like', durationS, seed, out: opts.out,
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.stop();
    const frames = Object.values(result.frames).reduce((a, b) => a + b, 0);
    process.stdout.write(`wrote ${result.path}: ${frames} frames from ${Object.keys(result.frames).length} sensors, ${result.groundTruth} ground-truth records, in ${result.wallS.toFixed(1)} s\n`);
  } finally {
    progress.stop();
  }
}

export async function runScenarioImport(kind: 'kitti' | 'nuscenes', dir: string, opts: { out: string }): Promise<void> {
  if (!existsSync(dir)) throw new UsageError(`not found: ${dir}`);
  const result = kind === 'kitti' ? await importKitti({ dir, out: opts.out }) : await importNuscenes({ dir, out: opts.out });
  const frames = Object.entries(result.frames).map(([id, n]) => `${id} ${n}`).join(', ');
  process.stdout.write(`wrote ${result.path}: ${frames}; ${result.groundTruth} ground-truth records\n`);
}

export async function runScenarioImportComma2k19(dir: string, opts: { out: string; dbc?: string; radarBus?: string }): Promise<void> {
  if (!existsSync(dir)) throw new UsageError(`not found: ${dir}`);
  if (opts.dbc !== undefined && !existsSync(opts.dbc)) throw new UsageError(`--dbc not found: ${opts.dbc}`);
  const radarBus = Number(opts.radarBus ?? '1');
  if (!Number.isSafeInteger(radarBus) || radarBus < 0) throw new UsageError(`--radar-bus must be a non-negative integer, got "${opts.radarBus}"`);
  let warnings = 0;
  const result = await importComma2k19({
    dir, out: opts.out, dbc: opts.dbc, radarBus,
    onWarning: (warning) => {
      // The first few say what is wrong; the count says how much.
      if (warnings++ < 5) process.stderr.write(`warning: ${warning}\n`);
    },
  });
  if (warnings > 5) process.stderr.write(`${warnings} warnings in all\n`);
  const frames = Object.entries(result.frames).map(([id, n]) => `${id} ${n}`).join(', ');
  process.stdout.write(`wrote ${result.path}: ${frames}${result.skipped ? `; ${result.skipped} records skipped` : ''}\n`);
}

export async function runScenarioInfo(file: string): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`scenario file not found: ${file}`);
  process.stdout.write(formatScenarioInfo(await scenarioInfo(file)) + '\n');
}
