import { Observable, filter, map } from 'rxjs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Modality, SensorFrame } from '../engine/core/frames.js';
import type { Rig, SensorConfig } from '../engine/config/rig-schema.js';
import { loadProtos } from '../engine/core/proto.js';
import { NS_PER_MS, createClock, secondsToNanos, toBigInt, type Nanos } from '../engine/core/time.js';
import { decodeFrame } from './frame-codec.js';
import type { Scenario, ScenarioMessage } from './scenario-reader.js';
import type { EgoPose, GroundTruthObject } from './scenario-writer.js';
import {
  CALIBRATION_TOPIC, CAMERA_INFO_SCHEMA, EVENTS_TOPIC, GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TOPIC, RIG_METADATA, cameraInfoTopic,
  sensorTopic,
} from './topics.js';

/**
 * Replays a scenario as the same SensorFrame stream live sensors give.
 *
 * Paced mode keeps an absolute schedule: a message is due when (logTime − anchorLog) / rate has
 * passed on the engine clock since anchorWall. The anchor moves only on pause, resume, seek and
 * setRate, so lateness never accumulates into drift. Max mode ignores the clock: every message,
 * in order, as fast as the subscriber takes them, with receivedAt taken from the recording so two
 * runs give identical frames.
 */

/** Waits shorter than this are not worth a timer: the frame goes out now. */
const EMIT_SLACK_NS = 2n * NS_PER_MS;
/** Hand the event loop back this often so timers, I/O and signals run during a fast replay. */
const YIELD_EVERY_MESSAGES = 64;
/** Key under which ground-truth decode errors are counted. */
export const GROUND_TRUTH_ERROR_KEY = 'ground_truth';

export interface PlayerOptions {
  /** Rig to map topics to sensors; defaults to the rig stored in the scenario. */
  rig?: Rig;
  /** Replay speed (2 = twice real time); positive, default 1. */
  rate?: number;
  /** As fast as possible, lossless and deterministic; ignores rate. */
  max?: boolean;
  /** Start over from the start offset at the end; stamps shift by the loop period each round. */
  loop?: boolean;
  /** Window start, seconds after the scenario's first message. */
  startOffsetS?: number;
  /** Window length, seconds; the window is [start, start + duration). */
  durationS?: number;
  /** Only these topics are read. */
  topics?: readonly string[];
  /** Engine clock (ns) for pacing and receivedAt; default createClock(). */
  clock?: () => Nanos;
  /** Called once per topic that is neither a rig sensor's topic nor a known auxiliary topic. */
  onUnknownTopic?: (topic: string, schemaName: string) => void;
  /** Called for each message that fails to decode; replay goes on. */
  onDecodeError?: (sensorId: string, error: Error) => void;
}

export interface GroundTruthMessage {
  /** On the engine clock of the replay (shifted like frame stamps when looping). */
  readonly stamp: Nanos;
  readonly ego: EgoPose | undefined;
  readonly objects: readonly GroundTruthObject[];
}

/** One item of the combined stream, in log-time order. */
export type PlaybackEvent =
  | { readonly kind: 'frame'; readonly frame: SensorFrame }
  | { readonly kind: 'groundTruth'; readonly groundTruth: GroundTruthMessage };

export interface PlayerStats {
  messagesRead: number;
  framesEmitted: number;
  groundTruthEmitted: number;
  /** By sensor id; ground truth under GROUND_TRUTH_ERROR_KEY. */
  decodeErrors: Record<string, number>;
  unknownTopics: string[];
  /** Completed loop rounds. */
  rounds: number;
}

export interface Player {
  /**
   * Cold: each subscription is one replay that starts reading on subscribe and closes its
   * iteration on unsubscribe. Frames and ground truth interleaved in log-time order.
   */
  readonly playback$: Observable<PlaybackEvent>;
  /** playback$ with the frames only (a subscription is its own replay). */
  readonly frames$: Observable<SensorFrame>;
  /** playback$ with the ground truth only (a subscription is its own replay). */
  readonly groundTruth$: Observable<GroundTruthMessage>;
  /** The controls act on every replay in progress. */
  pause(): void;
  resume(): void;
  /** Next messages come from this many seconds after the scenario start (clamped to the window). */
  seek(offsetS: number): void;
  setRate(rate: number): void;
  readonly paused: boolean;
  readonly rate: number;
  /** A snapshot, summed over every replay of this player. */
  readonly stats: PlayerStats;
  /**
   * Settles when the first replay ends: resolves with the stats when it completes or is
   * unsubscribed, rejects with its error (ScenarioReadError for a damaged file).
   */
  readonly done: Promise<PlayerStats>;
}

function checkRate(rate: number): number {
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`replay rate must be a positive number, got ${rate}`);
  return rate;
}

function isAuxiliaryTopic(topic: string, schemaName: string, cameraInfoTopics: ReadonlySet<string>): boolean {
  return topic === CALIBRATION_TOPIC || topic === GROUND_TRUTH_TOPIC || topic === EVENTS_TOPIC
    || cameraInfoTopics.has(topic) || topic.endsWith('/camera_info') || schemaName === CAMERA_INFO_SCHEMA;
}

/** What a replay needs from the player: fixed settings plus the shared controls and stats. */
interface PlayerCore {
  readonly scenario: Scenario;
  readonly sensorByTopic: ReadonlyMap<string, SensorConfig>;
  readonly readTopics: readonly string[];
  readonly windowStart: Nanos;
  /** Inclusive last log time of the window. */
  readonly windowLast: Nanos;
  readonly loopPeriod: Nanos;
  readonly max: boolean;
  readonly loop: boolean;
  readonly clock: () => Nanos;
  readonly stats: PlayerStats;
  readonly options: PlayerOptions;
  paused: boolean;
  rate: number;
}

export function createPlayer(scenario: Scenario, options: PlayerOptions = {}): Player {
  const rig = options.rig ?? scenario.rig;
  if (!rig) throw new Error(`${scenario.path}: the scenario stores no rig (${RIG_METADATA} metadata); pass one in the player options`);
  const startOffsetS = options.startOffsetS ?? 0;
  if (!Number.isFinite(startOffsetS) || startOffsetS < 0) throw new RangeError(`startOffsetS must be a finite number ≥ 0, got ${startOffsetS}`);
  if (options.durationS !== undefined && (!Number.isFinite(options.durationS) || options.durationS <= 0)) {
    throw new RangeError(`durationS must be a positive number, got ${options.durationS}`);
  }

  const sensorByTopic = new Map(rig.sensors.map((s) => [sensorTopic(s), s]));
  const cameraInfoTopics = new Set(rig.sensors.filter((s) => s.modality === 'camera').map((s) => cameraInfoTopic(s.id)));
  const wanted = options.topics ? new Set(options.topics) : undefined;
  const readTopics: string[] = [];
  const unknown: { topic: string; schemaName: string }[] = [];
  for (const t of scenario.topics) {
    if (wanted && !wanted.has(t.topic)) continue;
    if (sensorByTopic.has(t.topic) || t.topic === GROUND_TRUTH_TOPIC) readTopics.push(t.topic);
    else if (!isAuxiliaryTopic(t.topic, t.schemaName, cameraInfoTopics)) unknown.push(t);
  }

  const windowStart = scenario.startTime + secondsToNanos(startOffsetS);
  const windowLast = options.durationS !== undefined ? windowStart + secondsToNanos(options.durationS) - 1n : scenario.endTime;
  // A bounded window repeats with its own length; an open one adds one frame period of the
  // fastest sensor after its last message, so every sensor's stamps keep increasing across rounds.
  const fastestHz = Math.max(...rig.sensors.map((s) => s.rateHz));
  const seam = BigInt(Math.max(1, Math.round(1e9 / fastestHz)));
  const loopPeriod = options.durationS !== undefined ? secondsToNanos(options.durationS) : windowLast - windowStart + seam;

  const core: PlayerCore = {
    scenario, sensorByTopic, readTopics, windowStart, windowLast, loopPeriod,
    max: options.max ?? false,
    loop: options.loop ?? false,
    clock: options.clock ?? createClock(),
    stats: { messagesRead: 0, framesEmitted: 0, groundTruthEmitted: 0, decodeErrors: {}, unknownTopics: [], rounds: 0 },
    options,
    paused: false,
    rate: checkRate(options.rate ?? 1),
  };

  let unknownReported = false;
  const reportUnknown = (): void => {
    if (unknownReported) return;
    unknownReported = true;
    for (const t of unknown) {
      core.stats.unknownTopics.push(t.topic);
      options.onUnknownTopic?.(t.topic, t.schemaName);
    }
  };

  const replays = new Set<Replay>();
  let settleDone: { resolve: (s: PlayerStats) => void; reject: (e: unknown) => void } | undefined;
  const done = new Promise<PlayerStats>((resolve, reject) => {
    settleDone = { resolve, reject };
  });
  // A damaged file rejects done; without a listener that would be an unhandled rejection.
  done.catch(() => undefined);
  let firstReplay = true;

  const snapshot = (): PlayerStats => ({ ...core.stats, decodeErrors: { ...core.stats.decodeErrors }, unknownTopics: [...core.stats.unknownTopics] });

  const playback$ = new Observable<PlaybackEvent>((subscriber) => {
    reportUnknown();
    const replay = new Replay(core, (event) => subscriber.next(event));
    const settles = firstReplay;
    firstReplay = false;
    replays.add(replay);
    replay.run().then(
      (stopped) => {
        replays.delete(replay);
        if (settles) settleDone?.resolve(snapshot());
        if (!stopped) subscriber.complete();
      },
      (err: unknown) => {
        replays.delete(replay);
        if (settles) settleDone?.reject(err);
        subscriber.error(err);
      },
    );
    return () => replay.stop();
  });

  return {
    playback$,
    frames$: playback$.pipe(filter((e) => e.kind === 'frame'), map((e) => e.frame)),
    groundTruth$: playback$.pipe(filter((e) => e.kind === 'groundTruth'), map((e) => e.groundTruth)),
    pause() {
      if (core.paused) return;
      const now = core.clock();
      for (const r of replays) r.rebase(now);
      core.paused = true;
    },
    resume() {
      if (!core.paused) return;
      core.paused = false;
      const now = core.clock();
      for (const r of replays) r.restartClock(now);
    },
    seek(offsetS: number) {
      if (!Number.isFinite(offsetS)) throw new RangeError(`seek offset must be a finite number of seconds, got ${offsetS}`);
      let target = core.scenario.startTime + secondsToNanos(Math.max(0, offsetS));
      if (target < core.windowStart) target = core.windowStart;
      if (target > core.windowLast) target = core.windowLast;
      const now = core.clock();
      for (const r of replays) r.seek(target, now);
    },
    setRate(rate: number) {
      checkRate(rate);
      const now = core.clock();
      if (!core.paused) for (const r of replays) r.rebase(now);
      core.rate = rate;
      for (const r of replays) r.wake();
    },
    get paused() {
      return core.paused;
    },
    get rate() {
      return core.rate;
    },
    get stats() {
      return snapshot();
    },
    done,
  };
}

/** A timer that control changes can cut short. */
class Waker {
  #resolve: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** Sleeps until woken, or at most `ms` when given. */
  sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      if (ms !== undefined) this.#timer = setTimeout(() => this.wake(), ms);
    });
  }

  wake(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

/** One subscription's replay: its own iteration, schedule, loop round and sequence numbering. */
class Replay {
  readonly #core: PlayerCore;
  readonly #emit: (event: PlaybackEvent) => void;
  readonly #waker = new Waker();
  #stopped = false;
  #pendingSeek: Nanos | undefined;
  /** The schedule: virtual log time anchorLog is due at engine time anchorWall. */
  #anchored = false;
  #anchorLog: Nanos = 0n;
  #anchorWall: Nanos = 0n;
  #round = 0;
  #shift: Nanos = 0n;
  /** Per sensor, what is added to recorded seq in this round, and the highest seq emitted. */
  readonly #seqOffset = new Map<string, number>();
  readonly #highestSeq = new Map<string, number>();
  #sinceYield = 0;

  constructor(core: PlayerCore, emit: (event: PlaybackEvent) => void) {
    this.#core = core;
    this.#emit = emit;
  }

  stop(): void {
    this.#stopped = true;
    this.#waker.wake();
  }

  wake(): void {
    this.#waker.wake();
  }

  /** Moves the anchor to now, at the current rate, so a rate change or pause keeps the position. */
  rebase(now: Nanos): void {
    if (!this.#anchored) return;
    this.#anchorLog += BigInt(Math.round(Number(now - this.#anchorWall) * this.#core.rate));
    this.#anchorWall = now;
    this.#waker.wake();
  }

  /** After a pause the position stays where it was; the wall clock restarts from now. */
  restartClock(now: Nanos): void {
    this.#anchorWall = now;
    this.#waker.wake();
  }

  seek(target: Nanos, now: Nanos): void {
    this.#pendingSeek = target;
    this.#anchored = true;
    this.#anchorLog = target + this.#shift;
    this.#anchorWall = now;
    this.#waker.wake();
  }

  /** Resolves true when stopped by unsubscription, false at the end of the window. */
  async run(): Promise<boolean> {
    const core = this.#core;
    if (core.readTopics.length === 0 || core.windowLast < core.windowStart) return false;
    let from = core.windowStart;
    for (;;) {
      const outcome = await this.#playFrom(from);
      if (outcome === 'stop') return true;
      if (outcome === 'seek') {
        from = this.#pendingSeek!;
        this.#pendingSeek = undefined;
        continue;
      }
      if (!core.loop || outcome === 'empty') return false;
      this.#round++;
      core.stats.rounds++;
      this.#shift = BigInt(this.#round) * core.loopPeriod;
      this.#seqOffset.clear();
      from = core.windowStart;
    }
  }

  async #playFrom(from: Nanos): Promise<'end' | 'empty' | 'seek' | 'stop'> {
    const core = this.#core;
    const iterator = core.scenario.readMessages({ startTime: from, endTime: core.windowLast, topics: core.readTopics })[Symbol.asyncIterator]();
    let any = false;
    try {
      for (;;) {
        if (this.#stopped) return 'stop';
        if (this.#pendingSeek !== undefined) return 'seek';
        const next = await iterator.next();
        if (this.#stopped) return 'stop';
        if (this.#pendingSeek !== undefined) return 'seek';
        if (next.done) return any ? 'end' : 'empty';
        any = true;
        core.stats.messagesRead++;
        const message = next.value;
        const due = message.logTime + this.#shift;
        if (!this.#anchored) {
          this.#anchored = true;
          this.#anchorLog = due;
          this.#anchorWall = core.clock();
        }
        const waited = await this.#waitUntil(due);
        if (waited !== 'emit') return waited;
        this.#deliver(message);
        if (++this.#sinceYield >= YIELD_EVERY_MESSAGES) {
          this.#sinceYield = 0;
          await yieldToLoop();
        }
      }
    } finally {
      await iterator.return?.();
    }
  }

  async #waitUntil(virtualLogTime: Nanos): Promise<'emit' | 'seek' | 'stop'> {
    const core = this.#core;
    for (;;) {
      if (this.#stopped) return 'stop';
      if (this.#pendingSeek !== undefined) return 'seek';
      if (core.paused) {
        await this.#waker.sleep();
        continue;
      }
      if (core.max) return 'emit';
      const due = this.#anchorWall + BigInt(Math.round(Number(virtualLogTime - this.#anchorLog) / core.rate));
      const wait = due - core.clock();
      if (wait <= EMIT_SLACK_NS) return 'emit';
      this.#sinceYield = 0;
      await this.#waker.sleep(Number(wait) / 1e6);
    }
  }

  #deliver(message: ScenarioMessage): void {
    const core = this.#core;
    const shift = this.#shift;
    if (message.topic === GROUND_TRUTH_TOPIC) {
      const groundTruth = decodeGroundTruth(message.data, message.logTime);
      if (groundTruth instanceof Error) {
        this.#countError(GROUND_TRUTH_ERROR_KEY, groundTruth);
        return;
      }
      core.stats.groundTruthEmitted++;
      this.#emit({ kind: 'groundTruth', groundTruth: shift ? { ...groundTruth, stamp: groundTruth.stamp + shift } : groundTruth });
      return;
    }
    const sensor = core.sensorByTopic.get(message.topic);
    if (!sensor) return;
    let frame: SensorFrame;
    try {
      frame = decodeFrame(message.data, {
        sensorId: sensor.id, modality: sensor.modality as Modality,
        logTime: message.logTime, publishTime: message.publishTime, sequence: message.sequence,
      });
    } catch (err) {
      this.#countError(sensor.id, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const receivedAt = core.max ? message.publishTime + shift : core.clock();
    const seq = this.#sequence(sensor.id, frame.seq);
    core.stats.framesEmitted++;
    this.#emit({ kind: 'frame', frame: { ...frame, stamp: frame.stamp + shift, receivedAt, seq } });
  }

  /** Recorded seq in the first round; after that, continuing from the highest seq emitted. */
  #sequence(sensorId: string, recorded: number): number {
    let offset = 0;
    if (this.#round > 0) {
      const known = this.#seqOffset.get(sensorId);
      offset = known ?? (this.#highestSeq.get(sensorId) ?? -1) + 1 - recorded;
      if (known === undefined) this.#seqOffset.set(sensorId, offset);
    }
    const seq = recorded + offset;
    if (seq > (this.#highestSeq.get(sensorId) ?? -1)) this.#highestSeq.set(sensorId, seq);
    return seq;
  }

  #countError(key: string, error: Error): void {
    const stats = this.#core.stats;
    stats.decodeErrors[key] = (stats.decodeErrors[key] ?? 0) + 1;
    this.#core.options.onDecodeError?.(key, error);
  }
}

function decodeGroundTruth(data: Uint8Array, logTime: Nanos): GroundTruthMessage | Error {
  try {
    const msg = loadProtos().type(GROUND_TRUTH_SCHEMA).decode(data) as unknown as {
      stamp_ns?: number | string | { low: number; high: number; unsigned: boolean };
      ego?: EgoPose | null;
      objects?: Array<Record<string, any>>;
    };
    const stamp = msg.stamp_ns !== undefined && msg.stamp_ns !== null ? toBigInt(msg.stamp_ns) : 0n;
    const vec = (v: { x?: number; y?: number; z?: number } | null | undefined) => ({ x: v?.x ?? 0, y: v?.y ?? 0, z: v?.z ?? 0 });
    return {
      stamp: stamp || logTime,
      ego: msg.ego
        ? {
          position: vec(msg.ego.position), yaw: msg.ego.yaw ?? 0, latitude: msg.ego.latitude ?? 0,
          longitude: msg.ego.longitude ?? 0, altitude: msg.ego.altitude ?? 0, speed: msg.ego.speed ?? 0,
        }
        : undefined,
      objects: (msg.objects ?? []).map((o) => ({
        id: o.id ?? 0, label: o.label ?? '', position: vec(o.position), size: vec(o.size), yaw: o.yaw ?? 0,
        velocity: vec(o.velocity), lidarPoints: o.lidar_points ?? 0,
      })),
    };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
