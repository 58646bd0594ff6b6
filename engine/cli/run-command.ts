import { writeFileSync } from 'node:fs';
import type { LiveSensorStats } from '../../adapters/live-input.js';
import type { DecodeIssue } from '../../adapters/decoder.js';
import type { TransportStatus } from '../../adapters/transports/transport.js';
import type { Rig } from '../config/rig-schema.js';
import { MODALITIES, type Modality } from '../core/frames.js';
import type { Nanos } from '../core/time.js';
import { createEngine, type Engine } from '../engine.js';
import { outputsFromFlags, withOutputs, type OutputFlags } from './output-flags.js';
import type { RunSummary } from '../engine-stats.js';
import {
  createStatusLine, describeStatus, durationOption, formatSensorStates, loadLiveRig, openLiveInput, scenarioOnlySensors,
  STATUS_LINE_MS, stopOnSignals,
} from './live-session.js';

export interface LiveRunOptions {
  rig: Rig;
  /** Folder of the rig file, for its relative paths. */
  baseDir: string;
  /** Stop after this many seconds of wall time. */
  durationS?: number;
  /** Aborting stops the run cleanly: transports close, decoders flush, outputs finish. */
  signal?: AbortSignal;
  clock?: () => Nanos;
  onStatus?: (sensorId: string, status: TransportStatus) => void;
  onIssue?: (sensorId: string, issue: DecodeIssue) => void;
  /** Called once the engine exists and before it starts, for callers that want its streams. */
  onEngine?: (engine: Engine) => void;
  /** One line for the user: where outputs listen, what failed. */
  log?: (line: string) => void;
  /** Called every STATUS_LINE_MS while running. */
  onTick?: (engine: Engine, sensors: LiveSensorStats[]) => void;
}

/** What a live run did, per sensor: its link and its decoder. */
export interface LiveSensorSummary {
  format: string;
  transport: string;
  state: string;
  frames: number;
  chunks: number;
  bytes: number;
  reconnects: number;
  dropped: Record<string, number>;
  decodeErrors: Record<string, number>;
  error?: string;
}

/**
 * The closing summary of `percept run`. Not a ReplaySummary: a live run has no scenario, sensor
 * time or realtime factor, and it has links. The keys replay documents come first in the JSON.
 */
export interface LiveRunSummary extends RunSummary {
  sensors: Record<string, LiveSensorSummary>;
  /** Sensors whose source is a scenario: they get no frames in a live run. */
  idleSensors: string[];
}

function sensorSummary(s: LiveSensorStats): LiveSensorSummary {
  return {
    format: s.format, transport: s.transport, state: s.state, frames: s.frames,
    chunks: s.link.chunks, bytes: s.link.bytes, reconnects: s.link.reconnects, dropped: { ...s.link.dropped },
    decodeErrors: { ...s.decoder.errors }, ...(s.error ? { error: s.error } : {}),
  };
}

/** Runs a rig's live sensors through the engine until the duration ends, the signal aborts, or every sensor has ended. */
export async function runLive(options: LiveRunOptions): Promise<LiveRunSummary> {
  const { rig } = options;
  let engine: Engine | undefined;
  const live = openLiveInput(rig, {
    baseDir: options.baseDir,
    clock: options.clock,
    onStatus: (sensorId, status) => {
      // The engine's health of the sensor follows its link: down from a disconnect or error until it is back.
      if (status.type === 'connected' || status.type === 'listening') engine?.setLinkState(sensorId, true);
      else if (status.type === 'disconnected' || status.type === 'error') engine?.setLinkState(sensorId, false);
      options.onStatus?.(sensorId, status);
    },
    onIssue: (sensorId, issue) => {
      engine?.countDecodeError(sensorId);
      options.onIssue?.(sensorId, issue);
    },
  });
  engine = createEngine(rig, { input: live.frames$, clock: options.clock, log: options.log, mode: 'live', baseDir: options.baseDir });
  options.onEngine?.(engine);

  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    live.end();
  };
  const timers: NodeJS.Timeout[] = [];
  const started = process.hrtime.bigint();
  let failure: Error | undefined;
  try {
    await engine.start();
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.durationS !== undefined) timers.push(setTimeout(() => live.end(), options.durationS * 1000));
    if (options.onTick) timers.push(setInterval(() => options.onTick!(engine!, live.stats()), STATUS_LINE_MS));
    await engine.done;
  } catch (err) {
    failure = err as Error;
    await engine.stop().catch(() => undefined);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const t of timers) clearTimeout(t);
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = engine.stats();
  return {
    rig: rig.name,
    frames: stats.frames,
    framesByModality: Object.fromEntries(MODALITIES.map((m) => [m, stats.framesByModality[m]])) as Record<Modality, number>,
    framesets: stats.framesets,
    partialFramesets: stats.partialFramesets,
    events: stats.events,
    drops: stats.drops,
    decodeErrors: stats.decodeErrors,
    latencyMs: stats.latencyMs,
    wallS,
    sensors: Object.fromEntries(live.stats().map((s) => [s.sensorId, sensorSummary(s)])),
    idleSensors: scenarioOnlySensors(rig),
    interrupted,
    ...(failure ? { error: failure.message } : {}),
  };
}

export function formatLiveRunSummary(s: LiveRunSummary): string {
  const rows: [string, string][] = [
    ['rig', s.rig],
    ...Object.entries(s.sensors).map(([id, x]): [string, string] => [
      `frames ${id}`,
      `${x.frames}  (${x.format} over ${x.transport}, ${x.state}; ${x.chunks} chunks, ${x.bytes} bytes` +
        `${x.reconnects ? `, ${x.reconnects} reconnects` : ''}` +
        `${Object.keys(x.decodeErrors).length ? `; errors ${Object.entries(x.decodeErrors).map(([c, n]) => `${c} ${n}`).join(', ')}` : ''})`,
    ]),
    ['frames by modality', MODALITIES.map((m) => `${m} ${s.framesByModality[m]}`).join(', ')],
    ['frame sets', `${s.framesets} (${s.partialFramesets} partial)`],
    ['events', String(s.events)],
    ['drops', Object.entries(s.drops).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'],
    ['decode errors', String(s.decodeErrors)],
    ['latency ms', `p50 ${s.latencyMs.p50.toFixed(2)}  p95 ${s.latencyMs.p95.toFixed(2)}  p99 ${s.latencyMs.p99.toFixed(2)}  max ${s.latencyMs.max.toFixed(2)}`],
    ['wall time', `${s.wallS.toFixed(2)} s`],
  ];
  if (s.idleSensors.length > 0) rows.push(['no live source', s.idleSensors.join(', ')]);
  for (const [id, x] of Object.entries(s.sensors)) if (x.error) rows.push([`stopped ${id}`, x.error]);
  if (s.interrupted) rows.push(['stopped', 'interrupted by a signal']);
  if (s.error) rows.push(['ended early', s.error]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** The JSON written by --summary: replay's documented keys first, then the live ones. */
export function liveRunSummaryJson(s: LiveRunSummary): Record<string, unknown> {
  const { frames, framesByModality, events, drops, decodeErrors, latencyMs, wallS, ...rest } = s;
  return { frames, framesByModality, events, drops, decodeErrors, latencyMs, wallS, ...rest };
}

export interface RunCommandOptions extends OutputFlags {
  config: string;
  duration?: string;
  summary?: string;
  quiet?: boolean;
}

export async function runRunCommand(opts: RunCommandOptions): Promise<void> {
  const quiet = opts.quiet ?? false;
  const durationS = durationOption(opts.duration);
  const loaded = loadLiveRig(opts.config);
  const rig = withOutputs(loaded.rig, outputsFromFlags(opts));
  const { baseDir } = loaded;
  const line = createStatusLine(!quiet);
  const idle = scenarioOnlySensors(rig);
  if (idle.length > 0 && !quiet) line.log(`warning: ${idle.join(', ')}: source is a scenario; no frames in a live run`);
  const warned = new Set<string>();
  const abort = new AbortController();
  const removeHandlers = stopOnSignals(() => abort.abort(), quiet);
  try {
    const summary = await runLive({
      rig, baseDir, durationS, signal: abort.signal,
      log: (message) => line.log(message),
      onStatus: (sensorId, status) => {
        // Errors always; the rest of the link's life only when someone is watching.
        if (status.type === 'error' || !quiet) line.log(describeStatus(sensorId, status));
      },
      onIssue: (sensorId, issue) => {
        // One line per sensor and kind of problem: a corrupt stream would otherwise flood the terminal.
        const kind = `${sensorId}:${issue.code}`;
        if (quiet || warned.has(kind)) return;
        warned.add(kind);
        line.log(`warning: ${sensorId}: ${issue.code}: ${issue.message} (further ${issue.code} errors are only counted)`);
      },
      onTick: (engine, sensors) => line.update(`${formatSensorStates(sensors)} | ${engine.stats().events} events`),
    });
    line.clear();
    if (opts.summary) writeFileSync(opts.summary, JSON.stringify(liveRunSummaryJson(summary), null, 2) + '\n');
    if (!quiet) process.stdout.write(formatLiveRunSummary(summary) + '\n');
    const stopped = Object.entries(summary.sensors).filter(([, s]) => s.error);
    for (const [id, s] of stopped) process.stderr.write(`percept: sensor ${id} stopped: ${s.error}\n`);
    if (summary.error) process.stderr.write(`percept: ${summary.error}\n`);
    if (summary.error || stopped.length > 0) process.exitCode = 1;
  } finally {
    line.clear();
    removeHandlers();
  }
}
