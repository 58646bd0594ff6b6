import { filter, map } from 'rxjs';
import type { Rig, RigInput } from './config/rig-schema.js';
import { withOutputs } from './cli/output-flags.js';
import { MODALITIES, type Modality } from './core/frames.js';
import { nanosToSeconds, type Nanos } from './core/time.js';
import { createEngine, type Engine } from './engine.js';
import type { RunSummary } from './engine-stats.js';
import type { PerceptionEvent } from './events/perception-event.js';
import { ReplayEvaluator, formatEvaluation, type EvaluationResult } from './evaluate/evaluate-replay.js';
import { openScenario } from '../scenarios/scenario-reader.js';
import { createPlayer } from '../scenarios/player.js';
import { GROUND_TRUTH_TOPIC } from '../scenarios/topics.js';

export interface ReplayOptions {
  path: string;
  /** Overrides the rig stored in the scenario. */
  rig?: Rig;
  rate?: number;
  /** As fast as possible: lossless and deterministic. */
  max?: boolean;
  loop?: boolean;
  startS?: number;
  durationS?: number;
  topics?: string[];
  onEvent?: (event: PerceptionEvent) => void;
  /** Sensor seconds replayed so far and the total expected. */
  onProgress?: (doneS: number, totalS: number) => void;
  /** Warnings worth one line each (unknown topics, decode errors). */
  onWarning?: (message: string) => void;
  /** Aborting stops the replay cleanly; the summary covers what ran. */
  signal?: AbortSignal;
  /** Called once the engine exists, for callers that want its streams. */
  onEngine?: (engine: Engine) => void;
  /** Outputs on top of the rig's (WebSocket, MQTT, recording, metrics). */
  outputs?: NonNullable<RigInput['outputs']>;
  /** One line for the user: where outputs listen, what failed. */
  log?: (line: string) => void;
  /**
   * Score the events against the scenario's /ground_truth with CLEAR MOT (objects within 40 m
   * that the LiDAR sees, 2 m centre distance); the figures go into the summary's `evaluation`.
   */
  evaluate?: boolean;
}

/** The closing summary of a replay; also what `percept replay --summary FILE` writes. */
export interface ReplaySummary extends RunSummary {
  scenario: string;
  unknownTopics: string[];
  sensorS: number;
  realtimeFactor: number;
  /** With `evaluate`: CLEAR MOT figures against the scenario's ground truth. */
  evaluation?: EvaluationResult;
}

/** Replays a scenario file through the engine from start to end (or until aborted). */
export async function replayScenario(options: ReplayOptions): Promise<ReplaySummary> {
  const scenario = await openScenario(options.path);
  const storedRig = options.rig ?? scenario.rig;
  if (!storedRig) {
    await scenario.close();
    throw new Error(`${options.path} holds no rig (percept.rig metadata); pass one with --rig`);
  }
  let rig: Rig;
  try {
    rig = options.outputs ? withOutputs(storedRig, options.outputs) : storedRig;
  } catch (err) {
    await scenario.close();
    throw err;
  }
  let evaluator: ReplayEvaluator | undefined;
  if (options.evaluate) {
    if (scenario.topics.some((t) => t.topic === GROUND_TRUTH_TOPIC)) evaluator = new ReplayEvaluator();
    else options.onWarning?.(`no evaluation: ${options.path} has no ${GROUND_TRUTH_TOPIC} topic`);
  }
  const unknownTopics: string[] = [];
  let engineRef: Engine | undefined;
  const player = createPlayer(scenario, {
    rig,
    rate: options.rate,
    max: options.max,
    loop: options.loop,
    startOffsetS: options.startS,
    durationS: options.durationS,
    // Evaluation needs the ground truth even when --topics leaves it out.
    topics: evaluator && options.topics && !options.topics.includes(GROUND_TRUTH_TOPIC) ? [...options.topics, GROUND_TRUTH_TOPIC] : options.topics,
    onUnknownTopic: (topic) => {
      unknownTopics.push(topic);
      options.onWarning?.(`skipping topic ${topic}: no sensor of the rig reads it`);
    },
    onDecodeError: (sensorId, error) => {
      engineRef?.countDecodeError(sensorId);
      options.onWarning?.(`decode error on ${sensorId}: ${error.message}`);
    },
  });
  // Ground truth rides along the one playback the engine reads, so the file is read once.
  const input = evaluator
    ? player.playback$.pipe(
      filter((e) => {
        if (e.kind === 'groundTruth') evaluator.groundTruth(e.groundTruth);
        return e.kind === 'frame';
      }),
      map((e) => (e as Extract<typeof e, { kind: 'frame' }>).frame),
    )
    : player.frames$;
  const engine = createEngine(rig, { input, log: options.log });
  engineRef = engine;
  options.onEngine?.(engine);

  let first: Nanos | undefined;
  let last: Nanos | undefined;
  const windowStart = scenario.startTime + BigInt(Math.round((options.startS ?? 0) * 1e9));
  const totalS = Math.min(nanosToSeconds(scenario.endTime - windowStart), options.durationS ?? Infinity);
  engine.frames$.subscribe((frame) => {
    if (first === undefined || frame.stamp < first) first = frame.stamp;
    if (last === undefined || frame.stamp > last) last = frame.stamp;
    options.onProgress?.(nanosToSeconds(frame.stamp - windowStart), totalS);
  });
  if (options.onEvent) engine.events$.subscribe(options.onEvent);
  if (evaluator) engine.events$.subscribe((event) => evaluator.event(event));

  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    void engine.stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const started = process.hrtime.bigint();
  let failure: Error | undefined;
  try {
    await engine.start();
    await engine.done;
  } catch (err) {
    failure = err as Error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await scenario.close();
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = engine.stats();
  const sensorS = first !== undefined && last !== undefined ? nanosToSeconds(last - first) : 0;
  return {
    scenario: options.path,
    rig: rig.name,
    frames: stats.frames,
    framesByModality: Object.fromEntries(MODALITIES.map((m) => [m, stats.framesByModality[m]])) as Record<Modality, number>,
    framesets: stats.framesets,
    partialFramesets: stats.partialFramesets,
    events: stats.events,
    drops: stats.drops,
    decodeErrors: stats.decodeErrors,
    unknownTopics,
    latencyMs: stats.latencyMs,
    wallS,
    sensorS,
    realtimeFactor: wallS > 0 ? sensorS / wallS : 0,
    interrupted,
    error: failure?.message,
    ...(evaluator ? { evaluation: evaluator.finish() } : {}),
  };
}

export function formatReplaySummary(s: ReplaySummary): string {
  const rows: [string, string][] = [
    ['scenario', s.scenario],
    ['rig', s.rig],
    ...Object.entries(s.frames).map(([id, n]): [string, string] => [`frames ${id}`, String(n)]),
    ['frames by modality', MODALITIES.map((m) => `${m} ${s.framesByModality[m]}`).join(', ')],
    ['frame sets', `${s.framesets} (${s.partialFramesets} partial)`],
    ['events', String(s.events)],
    ['drops', Object.entries(s.drops).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'],
    ['decode errors', String(s.decodeErrors)],
    ['latency ms', `p50 ${s.latencyMs.p50.toFixed(2)}  p95 ${s.latencyMs.p95.toFixed(2)}  p99 ${s.latencyMs.p99.toFixed(2)}  max ${s.latencyMs.max.toFixed(2)}`],
    ['sensor time', `${s.sensorS.toFixed(2)} s`],
    ['wall time', `${s.wallS.toFixed(2)} s`],
    ['realtime factor', `${s.realtimeFactor.toFixed(2)}×`],
  ];
  if (s.unknownTopics.length > 0) rows.push(['skipped topics', s.unknownTopics.join(', ')]);
  if (s.interrupted) rows.push(['stopped', 'interrupted by a signal']);
  if (s.error) rows.push(['ended early', s.error]);
  if (s.evaluation) rows.push(['evaluation', formatEvaluation(s.evaluation)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** The JSON written by --summary: the documented keys first, then the rest. */
export function summaryJson(s: ReplaySummary): Record<string, unknown> {
  return {
    frames: s.frames,
    framesByModality: s.framesByModality,
    events: s.events,
    drops: s.drops,
    decodeErrors: s.decodeErrors,
    latencyMs: s.latencyMs,
    wallS: s.wallS,
    sensorS: s.sensorS,
    realtimeFactor: s.realtimeFactor,
    framesets: s.framesets,
    partialFramesets: s.partialFramesets,
    unknownTopics: s.unknownTopics,
    interrupted: s.interrupted,
    ...(s.error ? { error: s.error } : {}),
    ...(s.evaluation ? { evaluation: evaluationJson(s.evaluation) } : {}),
    scenario: s.scenario,
    rig: s.rig,
  };
}

/** The documented five first, then the counts and settings behind them (NaN becomes null in JSON). */
function evaluationJson(e: EvaluationResult): Record<string, unknown> {
  const { mota, motp, idSwitches, precision, recall, ...rest } = e;
  return { mota, motp, idSwitches, precision, recall, ...rest };
}
