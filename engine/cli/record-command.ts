import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { LiveSensorStats } from '../../adapters/live-input.js';
import type { DecodeIssue } from '../../adapters/decoder.js';
import type { TransportStatus } from '../../adapters/transports/transport.js';
import { ScenarioRecorder, type RecorderStats } from '../../scenarios/scenario-recorder.js';
import type { Rig, RigInput } from '../config/rig-schema.js';
import type { SensorFrame } from '../core/frames.js';
import type { Nanos } from '../core/time.js';
import { UsageError } from './cli-error.js';
import {
  createStatusLine, describeStatus, durationOption, formatSensorStates, loadLiveRig, openLiveInput, scenarioOnlySensors,
  STATUS_LINE_MS, stopOnSignals,
} from './live-session.js';

export interface LiveRecordOptions {
  /** The validated rig: which sensors are live and how to open them. */
  rig: Rig;
  /** The rig as written, stored in the file (live sources become scenario sources). */
  rigInput: RigInput;
  baseDir: string;
  out: string;
  durationS?: number;
  /** Aborting ends the recording cleanly: transports close, decoders flush, the file is finished. */
  signal?: AbortSignal;
  clock?: () => Nanos;
  onStatus?: (sensorId: string, status: TransportStatus) => void;
  onIssue?: (sensorId: string, issue: DecodeIssue) => void;
  /** Each frame as it is handed to the recorder. */
  onFrame?: (frame: SensorFrame) => void;
  onTick?: (sensors: LiveSensorStats[]) => void;
}

export interface LiveRecordSummary extends RecorderStats {
  path: string;
  sensors: LiveSensorStats[];
  wallS: number;
  interrupted: boolean;
}

/**
 * Records the decoded frames of a rig's live sensors as a scenario, in arrival order, until the
 * duration ends, the signal aborts, or every sensor has ended. No engine runs: what is stored is
 * what the sensors gave, so that replaying the file later drives the engine as the sensors would.
 */
export async function recordLive(options: LiveRecordOptions): Promise<LiveRecordSummary> {
  const live = openLiveInput(options.rig, { baseDir: options.baseDir, clock: options.clock, onStatus: options.onStatus, onIssue: options.onIssue });
  let recorder: ScenarioRecorder;
  try {
    recorder = await ScenarioRecorder.create(options.out, { rig: options.rigInput, clock: options.clock });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code ? new UsageError(`cannot write ${options.out}: ${code}`) : err;
  }
  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    live.end();
  };
  const timers: NodeJS.Timeout[] = [];
  const started = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve) => {
      // frames$ never errors: a failing link stops its sensor and is reported as a status.
      live.frames$.subscribe({
        next: (frame) => {
          options.onFrame?.(frame);
          recorder.write(frame);
        },
        error: () => resolve(),
        complete: () => resolve(),
      });
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.durationS !== undefined) timers.push(setTimeout(() => live.end(), options.durationS * 1000));
      if (options.onTick) timers.push(setInterval(() => options.onTick!(live.stats()), STATUS_LINE_MS));
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const t of timers) clearTimeout(t);
  }
  const stats = await recorder.close();
  return { path: options.out, ...stats, sensors: live.stats(), wallS: Number(process.hrtime.bigint() - started) / 1e9, interrupted };
}

/** The rig file as written, for storing (it was validated by loadLiveRig before). */
function rigAsWritten(path: string): RigInput {
  return parseYaml(readFileSync(path, 'utf8'), { maxAliasCount: 100 }) as RigInput;
}

export interface RecordCommandOptions {
  config: string;
  out: string;
  duration?: string;
  quiet?: boolean;
}

export async function runRecordCommand(opts: RecordCommandOptions): Promise<void> {
  const quiet = opts.quiet ?? false;
  const durationS = durationOption(opts.duration);
  const { rig, baseDir } = loadLiveRig(opts.config);
  if (!opts.out.toLowerCase().endsWith('.mcap')) throw new UsageError(`--out must name an .mcap file, got "${opts.out}"`);
  const line = createStatusLine(!quiet);
  const idle = scenarioOnlySensors(rig);
  if (idle.length > 0 && !quiet) line.log(`warning: ${idle.join(', ')}: source is a scenario; nothing of theirs is recorded`);
  const warned = new Set<string>();
  const abort = new AbortController();
  const removeHandlers = stopOnSignals(() => abort.abort(), quiet);
  try {
    const summary = await recordLive({
      rig, rigInput: rigAsWritten(opts.config), baseDir, out: opts.out, durationS, signal: abort.signal,
      onStatus: (sensorId, status) => {
        if (status.type === 'error' || !quiet) line.log(describeStatus(sensorId, status));
      },
      onIssue: (sensorId, issue) => {
        const kind = `${sensorId}:${issue.code}`;
        if (quiet || warned.has(kind)) return;
        warned.add(kind);
        line.log(`warning: ${sensorId}: ${issue.code}: ${issue.message} (further ${issue.code} errors are only counted)`);
      },
      onTick: (sensors) => line.update(`recording ${formatSensorStates(sensors)}`),
    });
    line.clear();
    const frames = Object.entries(summary.frames).filter(([id]) => !idle.includes(id)).map(([id, n]) => `${id} ${n}`).join(', ');
    const skipped = Object.entries(summary.skipped).map(([why, n]) => `${why} ${n}`).join(', ');
    process.stdout.write(`wrote ${summary.path}: ${frames} frames in ${summary.wallS.toFixed(1)} s${skipped ? `; not recorded: ${skipped}` : ''}\n`);
    const stopped = summary.sensors.filter((s) => s.error);
    for (const s of stopped) process.stderr.write(`percept: sensor ${s.sensorId} stopped: ${s.error}\n`);
    if (stopped.length > 0) process.exitCode = 1;
  } finally {
    line.clear();
    removeHandlers();
  }
}
