import { isAbsolute, join } from 'node:path';
import { catchError, concatWith, defer, finalize, from, merge, mergeMap, Observable, ReplaySubject, takeUntil, tap } from 'rxjs';
import type { Rig, SensorConfig } from '../engine/config/rig-schema.js';
import type { SensorFrame } from '../engine/core/frames.js';
import { createClock, type Nanos } from '../engine/core/time.js';
import type { DecodeIssue, DecoderStats, FrameDecoder } from './decoder.js';
import { DECODER_FORMATS, type DecoderContext, type DecoderFormat } from './formats.js';
import { openTransport, type TransportConfig, type TransportType } from './transports/open-transport.js';
import { describeError, TransportError, type TransportStats, type TransportStatus } from './transports/transport.js';

export interface LiveInputOptions {
  /** Folder of the rig file: relative calibration, metadata and DBC paths, and file/pcap transport paths, resolve against it. */
  baseDir?: string;
  /** Engine clock for receivedAt, Unix ns; default createClock(). */
  clock?: () => Nanos;
  /** Every link status of every sensor (listening, connected, disconnected, reconnecting, error). */
  onStatus?: (sensorId: string, status: TransportStatus) => void;
  /** Every decode problem (bad checksum, truncated packet...), already counted in the decoder's stats. */
  onIssue?: (sensorId: string, issue: DecodeIssue) => void;
}

/** Where a live sensor stands: its link's last status, or why it ended. */
export type LiveSensorState = 'idle' | TransportStatus['type'] | 'ended' | 'stopped';

export interface LiveSensorStats {
  sensorId: string;
  format: string;
  transport: TransportType;
  state: LiveSensorState;
  /** Frames this sensor's decoder emitted. */
  frames: number;
  link: TransportStats;
  decoder: DecoderStats;
  /** Why the sensor stopped, when a fatal transport error (or a decoder fault) stopped it. */
  error?: string;
}

export interface LiveInput {
  /** Ids of the sensors with a live source, in rig order. */
  readonly sensorIds: readonly string[];
  /**
   * Every live sensor's frames, merged in arrival order. Cold: subscribing opens every transport
   * with a fresh decoder, unsubscribing closes them all. Completes when every sensor has ended
   * (its transport completed, failed, or end() was called).
   */
  readonly frames$: Observable<SensorFrame>;
  /** Per sensor, for the subscription in progress (or the last one). */
  stats(): LiveSensorStats[];
  /**
   * Ends the input cleanly: every transport closes, every decoder flushes what it holds (the last
   * NMEA epoch, a partial sweep), then frames$ completes. Unsubscribing instead drops what is held.
   */
  end(): void;
}

interface LiveSensorPlan {
  sensor: SensorConfig;
  format: DecoderFormat;
  ctx: DecoderContext;
  options: Record<string, unknown>;
  transport: TransportConfig;
}

type LiveSource = Extract<SensorConfig['source'], { type: 'live' }>;

function isLive(sensor: SensorConfig): sensor is SensorConfig & { source: LiveSource } {
  return sensor.source.type === 'live';
}

function resolveTransport(transport: TransportConfig, baseDir: string | undefined): TransportConfig {
  if ((transport.type === 'file' || transport.type === 'pcap') && baseDir && !isAbsolute(transport.path)) {
    return { ...transport, path: join(baseDir, transport.path) };
  }
  return transport;
}

/**
 * The frames of a rig's live sensors: for each sensor whose source is `live`, its transport
 * (openTransport) feeding a decoder of its format (DECODER_FORMATS), all merged into one stream
 * for createEngine's `input`. Sensors whose source is `scenario` are ignored here: only a
 * scenario player gives them frames.
 *
 * Link trouble is never an error of frames$: disconnects and reconnects go to onStatus, and a
 * transport that fails for good (a TransportError: a port in use, a missing program or device)
 * is reported as an `error` status and stops that sensor alone while the others go on. Bad bytes
 * are counted by the decoders and go to onIssue.
 *
 * Throws at once (not on subscribe) when a sensor's decoder cannot be made — an unreadable
 * calibration or DBC file, say — with a message naming the sensor: that is a configuration error.
 */
export function liveInput(rig: Rig, options: LiveInputOptions = {}): LiveInput {
  const clock = options.clock ?? createClock();
  const plans: LiveSensorPlan[] = [];
  for (const sensor of rig.sensors) {
    if (!isLive(sensor)) continue;
    const { format: formatName, options: formatOptions, transport } = sensor.source;
    const format = DECODER_FORMATS.get(formatName);
    if (!format) throw new Error(`sensor ${sensor.id}: unknown format "${formatName}"`);
    const ctx: DecoderContext = {
      sensorId: sensor.id,
      frameId: sensor.frameId,
      baseDir: options.baseDir,
      onIssue: (issue) => options.onIssue?.(sensor.id, issue),
    };
    let parsed: Record<string, unknown>;
    try {
      parsed = format.parse(formatOptions, ctx);
      // Made once here only to surface a bad option or an unreadable file before anything opens.
      format.create(ctx, parsed);
    } catch (err) {
      const issue = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
      const why = issue ? `${issue.path.map(String).join('.') || '(options)'}: ${issue.message}` : (err as Error).message;
      throw new Error(`sensor ${sensor.id}: source.options: ${why}`);
    }
    plans.push({ sensor, format, ctx, options: parsed, transport: resolveTransport(transport as TransportConfig, options.baseDir) });
  }

  const ending = new ReplaySubject<void>(1);
  let current: LiveSensorStats[] = plans.map((p) => ({
    sensorId: p.sensor.id, format: p.format.name, transport: p.transport.type, state: 'idle', frames: 0,
    link: { chunks: 0, bytes: 0, dropped: {}, reconnects: 0 }, decoder: { accepted: 0, frames: 0, errors: {} },
  }));

  const sensorFrames = (plan: LiveSensorPlan, record: LiveSensorStats): Observable<SensorFrame> =>
    defer(() => {
      const transport = openTransport(plan.transport, { clock });
      const decoder: FrameDecoder = plan.format.create(plan.ctx, plan.options);
      record.link = transport.stats;
      record.decoder = decoder.stats;
      let lastStatus: TransportStatus['type'] | undefined;
      // status$ is hot: subscribed before data$ so that the first `listening` or `connected` is seen.
      const statusSubscription = transport.status$.subscribe((status) => {
        lastStatus = status.type;
        record.state = status.type;
        options.onStatus?.(plan.sensor.id, status);
      });
      return transport.data$.pipe(
        takeUntil(ending),
        mergeMap((chunk) => decoder.push(chunk.bytes, chunk.receivedAt)),
        concatWith(defer(() => {
          record.state = 'ended';
          return from(decoder.flush());
        })),
        catchError((err: unknown) => {
          const message = err instanceof TransportError ? err.message : `${plan.sensor.id}: ${describeError(err)}`;
          record.state = 'stopped';
          record.error = message;
          // Transports announce their fatal error as a status first; anything else is announced here.
          if (lastStatus !== 'error') options.onStatus?.(plan.sensor.id, { type: 'error', at: clock(), message });
          let held: SensorFrame[] = [];
          try {
            held = decoder.flush();
          } catch {
            // A decoder that failed once is not trusted for a flush.
          }
          return from(held);
        }),
        tap(() => {
          record.frames++;
        }),
        finalize(() => statusSubscription.unsubscribe()),
      );
    });

  const frames$ = defer(() => {
    current = current.map((s) => ({ ...s, state: 'idle', frames: 0, error: undefined }));
    return merge(...plans.map((plan, i) => sensorFrames(plan, current[i])));
  });

  return {
    sensorIds: plans.map((p) => p.sensor.id),
    frames$,
    stats: () => current.map((s) => ({ ...s })),
    end: () => ending.next(),
  };
}
