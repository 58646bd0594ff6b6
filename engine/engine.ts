import { EMPTY, Subject, type Observable, type Subscription } from 'rxjs';
import { catchError, filter, map, tap } from 'rxjs/operators';
import { sensorTimeoutMs, type Rig } from './config/rig-schema.js';
import { MODALITIES, type FrameSet, type Modality, type SensorFrame } from './core/frames.js';
import { createClock, millisToNanos, nanosToMillis, type Nanos } from './core/time.js';
import { EgoInterpolator } from './sync/ego-interpolation.js';
import { SetFusion } from './fuse/set-fusion.js';
import { slowKernelsWarning } from './fuse/slow-kernels-warning.js';
import { backend } from '../native/backend.js';
import { createEncoders } from './encode/create-encoders.js';
import { encodeStage, type Encoder } from './encode/encode-stage.js';
import type { EncodedSet } from './encode/encoded-set.js';
import type { HealthState, PerceptionEvent, SensorHealth } from './events/perception-event.js';
import { LatencyWindow, type EngineStats } from './engine-stats.js';
import { createOutputs } from './publish/outputs.js';
import type { Publisher } from './publish/publisher.js';
import type { DropReason } from './sync/drop-reasons.js';
import { nearestSync } from './sync/nearest-sync.js';
import { ingest, needsIngest } from './sync/ingest.js';
import { policyCoreFactory } from './sync/policy-from-rig.js';
import { syncStage } from './sync/sync-stage.js';

export interface EngineOptions {
  /** The frames to process: a scenario player's frames$, live adapters, or any Observable of frames. */
  input: Observable<SensorFrame>;
  /** Engine clock in Unix nanoseconds; used for latency only, never for decisions. */
  clock?: () => Nanos;
  /** Publishers beside those the rig's outputs name. */
  publishers?: Publisher[];
  /** One line for the user: where outputs listen, what failed. */
  log?: (line: string) => void;
  /** Replay waits for the encoders (lossless); live drops stale sets so it never falls behind. Default replay. */
  mode?: 'replay' | 'live';
  /** The rig file's folder, for relative model paths. */
  baseDir?: string;
}

export interface DroppedFrame {
  sensorId: string;
  stamp: Nanos;
  reason: DropReason;
}

export interface Engine {
  readonly rig: Rig;
  /** Every frame accepted from the input, as it arrives. */
  readonly frames$: Observable<SensorFrame>;
  readonly framesets$: Observable<FrameSet>;
  readonly events$: Observable<PerceptionEvent>;
  /** Frames that no set used, with the reason. */
  readonly drops$: Observable<DroppedFrame>;
  /** Opens the outputs and starts pulling frames from the input. */
  start(): Promise<void>;
  /** Stops pulling frames, finishes the outputs' files and closes them. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the input has ended (or stop() was called) and the outputs are closed. */
  readonly done: Promise<void>;
  /** For adapters and players: a frame of this sensor could not be decoded. */
  countDecodeError(sensorId: string): void;
  /** For live transports: the sensor's link went down or came back; its health says so. */
  setLinkState(sensorId: string, connected: boolean): void;
  stats(): EngineStats;
  /** Each sensor's state now: ok, late, silent or disconnected. */
  health(): SensorHealth[];
  /** Where the outputs listen (WebSocket, MQTT broker, metrics), once started. */
  readonly endpoints: Record<string, string>;
}

export function createEngine(rig: Rig, options: EngineOptions): Engine {
  const clock = options.clock ?? createClock();
  const sensorsById = new Map(rig.sensors.map((s) => [s.id, s]));
  const framesSubject = new Subject<SensorFrame>();
  const setsSubject = new Subject<FrameSet>();
  const eventsSubject = new Subject<PerceptionEvent>();
  const dropsSubject = new Subject<DroppedFrame>();

  const frameCounts = new Map<string, number>(rig.sensors.map((s) => [s.id, 0]));
  const byModality = Object.fromEntries(MODALITIES.map((m) => [m, 0])) as Record<Modality, number>;
  const drops: Partial<Record<DropReason, number>> = {};
  const decodeErrors = new Map<string, number>();
  const latency = new LatencyWindow();
  const publishLatency = new LatencyWindow();
  const lastStamp = new Map<string, Nanos>();
  // Arrival on the engine clock, kept beside the frame: a replayed frame's receivedAt is the recorded one.
  const arrival = new WeakMap<SensorFrame, Nanos>();
  const ego = new EgoInterpolator();
  const fusion = new SetFusion(rig);
  let encoders: Encoder[] = [];
  /** What depends on stream time, captured as each set forms (encoding may take a while). */
  const atFormation = new WeakMap<FrameSet, { egoPose: PerceptionEvent['ego']; sensorHealth: SensorHealth[] }>();
  const linkDown = new Set<string>();
  let streamTime: Nanos | undefined;
  let framesets = 0;
  let partialFramesets = 0;
  let events = 0;
  let subscription: Subscription | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const onDropped = (frame: { sensorId: string; stamp: Nanos }, _source: number, reason: DropReason): void => {
    drops[reason] = (drops[reason] ?? 0) + 1;
    dropsSubject.next({ sensorId: frame.sensorId, stamp: frame.stamp, reason });
  };

  const accept = (frame: SensorFrame): boolean => {
    const sensor = sensorsById.get(frame.sensorId);
    if (!sensor || sensor.modality !== frame.modality) {
      onDropped(frame, -1, 'unknown-sensor');
      return false;
    }
    arrival.set(frame, clock());
    frameCounts.set(frame.sensorId, (frameCounts.get(frame.sensorId) ?? 0) + 1);
    byModality[frame.modality]++;
    return true;
  };

  /** After reordering and clock alignment: the stamps health and ego pose go by. */
  const observe = (frame: SensorFrame): void => {
    lastStamp.set(frame.sensorId, frame.stamp);
    if (streamTime === undefined || frame.stamp > streamTime) streamTime = frame.stamp;
    if (frame.modality === 'gnss' && frame.sensorId === rig.fusion.egoGnss) ego.add(frame);
    framesSubject.next(frame);
  };

  const health = (): SensorHealth[] =>
    rig.sensors.map((s) => {
      const last = lastStamp.get(s.id);
      const timeout = millisToNanos(sensorTimeoutMs(rig.sync, s.id));
      let state: HealthState = 'silent';
      if (linkDown.has(s.id)) {
        state = 'disconnected';
      } else if (last !== undefined && streamTime !== undefined) {
        const gap = streamTime - last;
        state = gap <= timeout ? 'ok' : gap <= 2n * timeout ? 'late' : 'silent';
      }
      return { sensorId: s.id, state, frames: frameCounts.get(s.id) ?? 0, errors: decodeErrors.get(s.id) ?? 0 };
    });

  const toEvent = ({ set, detections, audio, encodeMs }: EncodedSet): PerceptionEvent => {
    let oldest: Nanos | undefined;
    let newest: Nanos | undefined;
    for (const frame of set.frames.values()) {
      const t = arrival.get(frame) ?? set.formedAt;
      if (oldest === undefined || t < oldest) oldest = t;
      if (newest === undefined || t > newest) newest = t;
    }
    // Taken when the set formed: by now later frames may have moved the ego history and stream time.
    const { egoPose, sensorHealth } = atFormation.get(set)!;
    const fuseStart = clock();
    const objects = fusion.fuse(set, egoPose, ego.frame, detections);
    const now = clock();
    const event: PerceptionEvent = {
      seq: events,
      stamp: set.stamp,
      ego: egoPose,
      objects,
      audio,
      latency: {
        syncMs: nanosToMillis(set.formedAt - (newest ?? set.formedAt)),
        encodeMs,
        fuseMs: nanosToMillis(now - fuseStart),
        publishMs: 0,
        totalMs: nanosToMillis(now - (oldest ?? now)),
      },
      health: sensorHealth,
      frames: [...set.frames.values()].map((f) => ({ sensorId: f.sensorId, stamp: f.stamp, seq: f.seq })),
      missing: [...set.missing],
      detections,
    };
    return event;
  };

  const finish = async (): Promise<void> => {
    subscription?.unsubscribe();
    try {
      await Promise.allSettled(encoders.map((e) => e.close()));
      await outputs.stop();
    } finally {
      for (const s of [framesSubject, setsSubject, eventsSubject, dropsSubject] as Subject<unknown>[]) s.complete();
    }
  };

  const outputs = createOutputs(rig, options.publishers ?? [], { rig, clock, log: options.log }, {
    stats: () => engine.stats(),
    health: () => health(),
    publishers: () => outputs.stats(),
  });

  const engine: Engine = {
    rig,
    frames$: framesSubject.asObservable(),
    framesets$: setsSubject.asObservable(),
    events$: eventsSubject.asObservable(),
    drops$: dropsSubject.asObservable(),
    done,

    async start() {
      if (subscription) throw new Error('engine already started');
      if (fusion.enabled) {
        backend(); // a PERCEPT_BACKEND that cannot run here stops the start, not the first LiDAR sweep
        const warning = slowKernelsWarning(true);
        if (warning) options.log?.(warning);
      }
      encoders = await createEncoders(rig, { baseDir: options.baseDir, log: options.log });
      await outputs.start();
      const sync = rig.sync.policy === 'nearest'
        ? nearestSync({
          reference: rig.sync.reference!,
          sensors: rig.sensors.map((s) => s.id),
          toleranceNs: millisToNanos(rig.sync.toleranceMs),
          timeoutNs: millisToNanos(Math.max(...rig.sensors.map((s) => sensorTimeoutMs(rig.sync, s.id)))),
          // Four fifths of the nominal period: capture clocks jitter by a few percent, not by a fifth,
          // and a tighter bound lets a set go out before the slower sensors' next frames (at half
          // the period, most sets waited for one: p99 ~105 ms of sync wait on the default rig).
          minIntervalNs: new Map(rig.sensors.map((s) => [s.id, millisToNanos(800 / s.rateHz)])),
          clock,
          onDropped,
        })
        : syncStage({
          sensors: rig.sensors.map((s) => s.id),
          reference: rig.sync.reference,
          timeoutNs: new Map(rig.sensors.map((s) => [s.id, millisToNanos(sensorTimeoutMs(rig.sync, s.id))])),
          createCore: policyCoreFactory(rig),
          clock,
          onDropped,
        });
      const sensorIndex = new Map(rig.sensors.map((s, i) => [s.id, i]));
      const timeHandling = needsIngest(rig)
        ? ingest(rig, {
          onDropped: (frame, reason) => onDropped(frame, sensorIndex.get(frame.sensorId) ?? -1, reason),
          onRestamped: (original, restamped) => arrival.set(restamped, arrival.get(original) ?? clock()),
        })
        : (frames: Observable<SensorFrame>) => frames;
      // A failing input (a damaged file, say) ends the stream like a completion, so every set
      // already formed still passes the encoders and becomes an event; done then rejects with it.
      let inputError: Error | undefined;
      subscription = options.input
        .pipe(
          catchError((err: Error) => {
            inputError = err;
            return EMPTY;
          }),
          filter(accept),
          timeHandling,
          tap(observe),
          tap((frame) => outputs.publishFrame(frame)),
          sync,
          tap((set) => {
            framesets++;
            if (set.missing.length > 0) partialFramesets++;
            atFormation.set(set, { egoPose: ego.egoPoseAt(set.stamp), sensorHealth: health() });
            setsSubject.next(set);
          }),
          encodeStage(encoders, {
            mode: options.mode ?? 'replay',
            onDropped: (set, reason) => {
              drops[reason] = (drops[reason] ?? 0) + 1;
            },
          }),
          map(toEvent),
        )
        .subscribe({
          next: (event) => {
            events++;
            latency.add(event.latency.totalMs);
            // Known only once publishing is done: the copies that went out carry 0.
            event.latency.publishMs = outputs.publishEvent(event);
            publishLatency.add(event.latency.publishMs);
            eventsSubject.next(event);
          },
          error: (err: Error) => {
            stopping ??= finish().then(() => rejectDone(err), rejectDone);
          },
          complete: () => {
            stopping ??= finish().then(() => (inputError ? rejectDone(inputError) : resolveDone()), rejectDone);
          },
        });
    },

    stop() {
      stopping ??= finish().then(resolveDone, rejectDone);
      return done;
    },

    setLinkState(sensorId, connected) {
      if (connected) linkDown.delete(sensorId);
      else linkDown.add(sensorId);
    },

    countDecodeError(sensorId) {
      decodeErrors.set(sensorId, (decodeErrors.get(sensorId) ?? 0) + 1);
    },

    stats() {
      return {
        frames: Object.fromEntries(frameCounts),
        framesByModality: { ...byModality },
        framesets,
        partialFramesets,
        events,
        drops: { ...drops },
        decodeErrors: [...decodeErrors.values()].reduce((a, b) => a + b, 0),
        latencyMs: latency.summary(),
        publishLatencyMs: publishLatency.summary(),
        publishers: outputs.stats(),
      };
    },

    health,

    get endpoints() {
      return outputs.endpoints;
    },
  };
  return engine;
}
