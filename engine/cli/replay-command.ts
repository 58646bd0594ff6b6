import { existsSync, writeFileSync } from 'node:fs';
import { ConfigError, loadRigFile } from '../config/load-rig.js';
import { formatReplaySummary, replayScenario, summaryJson } from '../replay.js';
import { ensureDefaultScenario } from '../../scenarios/default-scenario.js';
import { UsageError } from './cli-error.js';
import { createProgress } from './progress.js';
import { outputsFromFlags, type OutputFlags } from './output-flags.js';

export interface ReplayCommandOptions extends OutputFlags {
  scenario?: string;
  rig?: string;
  rate?: string;
  max?: boolean;
  loop?: boolean;
  start?: string;
  duration?: string;
  topics?: string[];
  summary?: string;
  quiet?: boolean;
  /** Score the events against the scenario's ground truth (CLEAR MOT). */
  evaluate?: boolean;
}

/** Past this after SIGINT/SIGTERM the process exits even if an output is still closing. */
const SHUTDOWN_DEADLINE_MS = 2000;

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function nonNegativeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number ≥ 0, got "${value}"`);
  return n;
}

async function resolveScenario(file: string | undefined, name: string | undefined, quiet: boolean): Promise<string> {
  if (file && name) throw new UsageError('give a scenario FILE or --scenario NAME, not both');
  if (file) {
    if (!existsSync(file)) throw new UsageError(`scenario file not found: ${file}`);
    return file;
  }
  const scenarioName = name ?? 'default';
  if (scenarioName !== 'default') throw new UsageError(`unknown scenario "${scenarioName}" (bundled: default)`);
  const progress = createProgress('generating the default scenario', 'messages', !quiet);
  try {
    return await ensureDefaultScenario((done, total) => progress.update(done, total));
  } finally {
    progress.stop();
  }
}

export async function runReplayCommand(file: string | undefined, opts: ReplayCommandOptions): Promise<void> {
  const quiet = opts.quiet ?? false;
  const rate = positiveNumber('rate', opts.rate);
  const startS = nonNegativeNumber('start', opts.start);
  const durationS = positiveNumber('duration', opts.duration);
  if (rate !== undefined && opts.max) throw new UsageError('--rate and --max exclude each other');
  let rig;
  if (opts.rig) {
    try {
      rig = loadRigFile(opts.rig);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  const outputs = outputsFromFlags(opts);
  const path = await resolveScenario(file, opts.scenario, quiet);

  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) return;
    if (!quiet) process.stderr.write(`\n${signal}: stopping\n`);
    abort.abort();
    setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = createProgress('replay', 's', !quiet);
  const warned = new Set<string>();
  try {
    const summary = await replayScenario({
      path, rig, rate, max: opts.max, loop: opts.loop, startS, durationS, topics: opts.topics,
      evaluate: opts.evaluate,
      signal: abort.signal,
      outputs,
      log: quiet ? undefined : (message) => process.stderr.write(`${message}\n`),
      onProgress: (done, total) => progress.update(done, total),
      onWarning: (message) => {
        // One line per kind of warning: a corrupt stream would otherwise flood the terminal.
        const kind = message.split(':')[0];
        if (warned.has(kind)) return;
        warned.add(kind);
        process.stderr.write(`warning: ${message}\n`);
      },
    });
    progress.stop();
    if (opts.summary) writeFileSync(opts.summary, JSON.stringify(summaryJson(summary), null, 2) + '\n');
    if (!quiet) process.stdout.write(formatReplaySummary(summary) + '\n');
    if (summary.error) {
      process.stderr.write(`percept: ${summary.error}\n`);
      process.exitCode = 1;
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
