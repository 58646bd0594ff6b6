import type { Rig, RigInput } from '../engine/config/rig-schema.js';
import { validateRig } from '../engine/config/load-rig.js';
import type { SensorFrame } from '../engine/core/frames.js';
import type { PerceptionEvent } from '../engine/events/perception-event.js';
import { createClock, type Nanos } from '../engine/core/time.js';
import { ScenarioWriter } from './scenario-writer.js';

/** Camera encodings a scenario stores (foxglove.CompressedImage); raw frames are not recorded. */
const RECORDABLE_IMAGES = new Set(['jpeg', 'png']);

/** Frames waiting to be written are bounded by their bulk bytes; past this new frames are dropped and counted. */
const DEFAULT_MAX_PENDING_BYTES = 256 * 1024 * 1024;

export interface ScenarioRecorderOptions {
  /** The rig as written (defaults left out); its live sources are stored as `{ type: 'scenario' }`. */
  rig: RigInput;
  /** Free-form facts stored in the percept.scenario metadata. */
  info?: Record<string, string>;
  maxPendingBytes?: number;
  /** Stamps the calibration when no frame came at all. */
  clock?: () => Nanos;
}

export interface RecorderStats {
  /** Frames written, by sensor id. */
  frames: Record<string, number>;
  /** Events written. */
  events: number;
  /** Frames not written, by reason: `raw-image` (only JPEG and PNG are stored), `backlog` (the writer fell behind). */
  skipped: Record<string, number>;
  /** The first write error; nothing is written after it. */
  error?: string;
}

/**
 * The rig a recording stores: the rig as written, with every live source replaced by a scenario
 * source, so that `percept replay FILE` plays the file back through the same code path as any
 * scenario (topics follow from the sensor ids and modalities), and without outputs, so that a
 * replay does not write over the recording or open the recorder's servers.
 */
export function recordedRig(rig: RigInput): RigInput {
  return {
    ...rig,
    outputs: {},
    sensors: rig.sensors.map((s) => (s.source && s.source.type === 'live' ? { ...s, source: { type: 'scenario' as const } } : s)),
  };
}

function bulkBytes(frame: SensorFrame): number {
  switch (frame.modality) {
    case 'camera':
    case 'lidar':
      return frame.data.byteLength;
    case 'audio':
      return frame.samples.byteLength;
    case 'radar':
      return frame.targets.length * 64;
    case 'gnss':
      return 256;
  }
}

/**
 * Frames → a scenario file, in the order they are given (arrival order for live input). `write`
 * returns at once; writes go through one promise chain because McapWriter calls must not overlap.
 * The calibration goes first, stamped with the first frame's stamp (there is no earlier time a live
 * recording knows).
 */
export class ScenarioRecorder {
  readonly #writer: ScenarioWriter;
  readonly #rig: Rig;
  readonly #maxPendingBytes: number;
  readonly #clock: () => Nanos;
  readonly #stats: RecorderStats;
  #chain: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #calibrated = false;
  #closed = false;

  private constructor(writer: ScenarioWriter, rig: Rig, options: ScenarioRecorderOptions) {
    this.#writer = writer;
    this.#rig = rig;
    this.#maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.#clock = options.clock ?? createClock();
    this.#stats = { frames: Object.fromEntries(rig.sensors.map((s) => [s.id, 0])), events: 0, skipped: {} };
  }

  static async create(path: string, options: ScenarioRecorderOptions): Promise<ScenarioRecorder> {
    const stored = recordedRig(options.rig);
    const rig = validateRig(stored, 'recorded rig');
    const writer = await ScenarioWriter.create(path, { rig: stored, validRig: rig, info: { recorder: 'percept record', ...options.info } });
    return new ScenarioRecorder(writer, rig, options);
  }

  get stats(): RecorderStats {
    return { frames: { ...this.#stats.frames }, events: this.#stats.events, skipped: { ...this.#stats.skipped }, ...(this.#stats.error ? { error: this.#stats.error } : {}) };
  }

  #skip(reason: string): void {
    this.#stats.skipped[reason] = (this.#stats.skipped[reason] ?? 0) + 1;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#stats.error) return;
      try {
        await task();
      } catch (err) {
        this.#stats.error = (err as Error).message;
      }
    });
  }

  /** Queues a frame; frames of sensors outside the rig or after close() are ignored. */
  write(frame: SensorFrame): void {
    if (this.#closed || this.#stats.error) return;
    if (!this.#rig.sensors.some((s) => s.id === frame.sensorId && s.modality === frame.modality)) return this.#skip('unknown-sensor');
    if (frame.modality === 'camera' && !RECORDABLE_IMAGES.has(frame.encoding)) return this.#skip('raw-image');
    const bytes = bulkBytes(frame);
    if (this.#pendingBytes + bytes > this.#maxPendingBytes) return this.#skip('backlog');
    this.#pendingBytes += bytes;
    if (!this.#calibrated) {
      this.#calibrated = true;
      this.#enqueue(() => this.#writer.writeCalibration(frame.stamp));
    }
    this.#enqueue(async () => {
      try {
        await this.#writer.writeFrame(frame);
        this.#stats.frames[frame.sensorId]++;
      } finally {
        this.#pendingBytes -= bytes;
      }
    });
  }

  /** Queues an event (percept.PerceptionEvent on /percept/events). */
  writeEvent(event: PerceptionEvent): void {
    if (this.#closed || this.#stats.error) return;
    const publishTime = this.#clock();
    this.#enqueue(async () => {
      await this.#writer.writeEvent(event, publishTime);
      this.#stats.events++;
    });
  }

  /** Writes what is queued, finishes the file and closes it; rejects with the first write error. */
  async close(): Promise<RecorderStats> {
    if (!this.#closed) {
      this.#closed = true;
      if (!this.#calibrated) {
        this.#calibrated = true;
        const stamp = this.#clock();
        this.#enqueue(() => this.#writer.writeCalibration(stamp));
      }
      await this.#chain;
      await this.#writer.close();
    }
    if (this.#stats.error) throw new Error(`recording failed: ${this.#stats.error}`);
    return this.stats;
  }
}
