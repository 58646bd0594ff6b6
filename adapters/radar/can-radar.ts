import { z } from 'zod';
import type { RadarScan, RadarTarget } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { CandumpReader, type CanFrameRecord } from '../can/candump.js';
import { canIdKey, type DbcDatabase, type DbcMessage } from '../can/dbc.js';
import { decodeMessage } from '../can/signal.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';

/**
 * A generic "radar on CAN, described by a DBC" decoder. A configuration names the DBC messages
 * that carry one target each and maps their signals to RadarTarget fields (x forward, y left, in
 * the radar's own frame: the rig's extrinsic carries the mounting position), then says how the
 * stream of target messages is cut into scans:
 *
 * - `slot-repeat`: the radar sends a fixed set of track slots, one CAN ID each, every cycle
 *   (Toyota's TRACK_A_0..15 at 20 Hz). A scan is the set of slots seen between two arrivals of
 *   the same slot: when a slot already in the open cycle arrives again, the cycle closes.
 * - `header`: a status message opens each cycle and says how many target messages follow
 *   (Continental ARS408: 0x60A with Obj_NofObjects, 0x600 with near + far clusters). The scan
 *   closes when that many have arrived, or, short, when the next header comes (counted).
 * - `window`: fixed time windows of `periodMs` from the first frame (radars with no cycle marker).
 *
 * The scan's stamp is the capture time of the cycle's first frame (the header's in `header` mode).
 */

const fieldSchema = z
  .object({
    signal: z.string().min(1),
    /** value = signal × scale + offset, applied after the DBC's own factor and offset. */
    scale: z.number().refine(Number.isFinite).default(1),
    offset: z.number().refine(Number.isFinite).default(0),
  })
  .strict();

export const canRadarConfigSchema = z
  .object({
    /** DBC message names that each carry one target. */
    targetMessages: z.array(z.string().min(1)).min(1),
    x: fieldSchema,
    y: fieldSchema,
    z: fieldSchema.optional(),
    /** Radial velocity as the radar gives it (positive away). */
    radialVelocity: fieldSchema.optional(),
    /** Or relative velocity components (radar frame), projected onto the line of sight. */
    vx: fieldSchema.optional(),
    vy: fieldSchema.optional(),
    rcs: fieldSchema.optional(),
    snr: fieldSchema.optional(),
    /** Track or object id; without it the slot is the message's index in targetMessages. */
    trackId: fieldSchema.optional(),
    /** Keep a target only when this signal's physical value is one of `values`. */
    valid: z.object({ signal: z.string().min(1), values: z.array(z.number()).min(1) }).strict().optional(),
    cycle: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('slot-repeat') }).strict(),
      z.object({ kind: z.literal('header'), message: z.string().min(1), countSignals: z.array(z.string().min(1)).min(1) }).strict(),
      z.object({ kind: z.literal('window'), periodMs: z.number().positive() }).strict(),
    ]),
    /** Targets kept per scan at most; more are counted and dropped. */
    maxTargets: z.number().int().positive().max(65536).default(1024),
  })
  .strict();

export type CanRadarConfigInput = z.input<typeof canRadarConfigSchema>;
export type CanRadarConfig = z.output<typeof canRadarConfigSchema>;
type Field = z.output<typeof fieldSchema>;

/** One decoded target message, with every signal of it (for fields RadarTarget has no room for). */
export interface CanRadarTrack {
  readonly time: Nanos;
  readonly canId: number;
  /** Index of the message in targetMessages. */
  readonly slot: number;
  readonly trackId: number | undefined;
  readonly target: RadarTarget;
  readonly signals: Readonly<Record<string, number>>;
}

export interface CanRadarCycle {
  readonly stamp: Nanos;
  readonly tracks: readonly CanRadarTrack[];
  /** False when a header's count was not reached, or at flush. */
  readonly complete: boolean;
}

interface ResolvedConfig {
  readonly config: CanRadarConfig;
  /** canIdKey → slot index. */
  readonly slots: ReadonlyMap<number, number>;
  readonly targetMessages: readonly DbcMessage[];
  readonly header: DbcMessage | undefined;
}

function resolve(db: DbcDatabase, input: CanRadarConfigInput): ResolvedConfig {
  const parsed = canRadarConfigSchema.safeParse(input);
  if (!parsed.success) throw new TypeError(`invalid CAN radar config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const config = parsed.data;
  const slots = new Map<number, number>();
  const targetMessages = config.targetMessages.map((name, index) => {
    const message = db.byName.get(name);
    if (!message) throw new TypeError(`invalid CAN radar config: targetMessages[${index}]: the DBC has no message "${name}"`);
    slots.set(canIdKey(message.id, message.extended), index);
    return message;
  });
  const fields = { x: config.x, y: config.y, z: config.z, radialVelocity: config.radialVelocity, vx: config.vx, vy: config.vy, rcs: config.rcs, snr: config.snr, trackId: config.trackId };
  for (const [key, field] of Object.entries(fields)) {
    if (!field) continue;
    for (const message of targetMessages) {
      if (!message.signals.some((s) => s.name === field.signal)) throw new TypeError(`invalid CAN radar config: ${key}.signal: message ${message.name} has no signal "${field.signal}"`);
    }
  }
  if (config.radialVelocity && (config.vx || config.vy)) throw new TypeError('invalid CAN radar config: give radialVelocity or vx/vy, not both');
  if (config.valid) {
    for (const message of targetMessages) {
      if (!message.signals.some((s) => s.name === config.valid!.signal)) throw new TypeError(`invalid CAN radar config: valid.signal: message ${message.name} has no signal "${config.valid.signal}"`);
    }
  }
  let header: DbcMessage | undefined;
  if (config.cycle.kind === 'header') {
    header = db.byName.get(config.cycle.message);
    if (!header) throw new TypeError(`invalid CAN radar config: cycle.message: the DBC has no message "${config.cycle.message}"`);
    for (const name of config.cycle.countSignals) {
      if (!header.signals.some((s) => s.name === name)) throw new TypeError(`invalid CAN radar config: cycle.countSignals: ${header.name} has no signal "${name}"`);
    }
  }
  return { config, slots, targetMessages, header };
}

function fieldValue(field: Field | undefined, signals: Record<string, number>): number | undefined {
  if (!field) return undefined;
  const v = signals[field.signal];
  return v === undefined ? undefined : v * field.scale + field.offset;
}

/**
 * Cuts a stream of CAN frames into radar cycles. Frames with IDs outside the configuration are
 * ignored (a radar bus carries status and other messages too). Never throws on frame content.
 */
export class CanRadarAssembler {
  readonly stats: DecoderStatsCounter;
  readonly #r: ResolvedConfig;
  #open: { stamp: Nanos; tracks: CanRadarTrack[]; seen: Set<number>; expected: number | undefined; received: number } | undefined;

  constructor(db: DbcDatabase, config: CanRadarConfigInput, onIssue?: OnDecodeIssue) {
    this.#r = resolve(db, config);
    this.stats = new DecoderStatsCounter(onIssue);
  }

  get config(): CanRadarConfig {
    return this.#r.config;
  }

  /** Tracks held in the open cycle (bounded by maxTargets). */
  get pending(): number {
    return this.#open?.tracks.length ?? 0;
  }

  pushFrame(frame: Pick<CanFrameRecord, 'time' | 'id' | 'extended' | 'data'>): CanRadarCycle[] {
    const out: CanRadarCycle[] = [];
    const key = canIdKey(frame.id, frame.extended);
    const { config, header } = this.#r;
    const cycle = config.cycle;

    if (cycle.kind === 'window' && this.#open && frame.time >= this.#open.stamp + BigInt(Math.round(cycle.periodMs * 1e6))) {
      this.#close(out, true);
    }

    if (header && key === canIdKey(header.id, header.extended)) {
      this.stats.accepted++;
      const decoded = decodeMessage(header, frame.data);
      if (decoded.missing.length > 0) {
        this.stats.issue('short-frame', `${header.name} of ${frame.data.length} bytes lacks ${decoded.missing.join(', ')}`);
        return out;
      }
      if (this.#open) {
        this.stats.issue('incomplete-cycle', `cycle closed after ${this.#open.received} of ${this.#open.expected} target messages`);
        this.#close(out, false);
      }
      const counts = cycle.kind === 'header' ? cycle.countSignals.map((s) => decoded.signals[s]) : [];
      const expected = counts.reduce((a, b) => a + b, 0);
      this.#open = { stamp: frame.time, tracks: [], seen: new Set(), expected, received: 0 };
      if (expected === 0) this.#close(out, true);
      return out;
    }

    const slot = this.#r.slots.get(key);
    if (slot === undefined) return out;
    this.stats.accepted++;
    const message = this.#r.targetMessages[slot];

    if (cycle.kind === 'header' && !this.#open) {
      this.stats.issue('no-cycle-header', `${message.name} before any ${header!.name}`);
      return out;
    }
    if (cycle.kind === 'slot-repeat' && this.#open?.seen.has(key)) this.#close(out, true);
    if (!this.#open) this.#open = { stamp: frame.time, tracks: [], seen: new Set(), expected: undefined, received: 0 };
    const open = this.#open;
    open.seen.add(key);
    open.received++;

    const decoded = decodeMessage(message, frame.data);
    if (decoded.missing.length > 0) {
      this.stats.issue('short-frame', `${message.name} of ${frame.data.length} bytes lacks ${decoded.missing.join(', ')}`);
    } else {
      const track = this.#track(frame.time, frame.id, slot, decoded.signals);
      if (track) {
        if (open.tracks.length >= config.maxTargets) this.stats.issue('too-many-targets', `more than ${config.maxTargets} targets in one cycle`);
        else open.tracks.push(track);
      }
    }
    if (open.expected !== undefined && open.received >= open.expected) this.#close(out, true);
    return out;
  }

  /** Emits the open cycle, if any, as incomplete (end of input). */
  flush(): CanRadarCycle[] {
    const out: CanRadarCycle[] = [];
    if (this.#open && this.#open.received > 0) this.#close(out, this.#r.config.cycle.kind === 'slot-repeat' || this.#r.config.cycle.kind === 'window');
    this.#open = undefined;
    return out;
  }

  #close(out: CanRadarCycle[], complete: boolean): void {
    const open = this.#open!;
    this.#open = undefined;
    out.push({ stamp: open.stamp, tracks: open.tracks, complete });
  }

  #track(time: Nanos, canId: number, slot: number, signals: Record<string, number>): CanRadarTrack | undefined {
    const { config } = this.#r;
    if (config.valid && !config.valid.values.includes(signals[config.valid.signal])) return undefined;
    const x = fieldValue(config.x, signals)!;
    const y = fieldValue(config.y, signals)!;
    const z = fieldValue(config.z, signals) ?? 0;
    let doppler = fieldValue(config.radialVelocity, signals);
    if (doppler === undefined && (config.vx || config.vy)) {
      // A relative velocity vector's component along the line of sight is the Doppler velocity.
      const vx = fieldValue(config.vx, signals) ?? 0;
      const vy = fieldValue(config.vy, signals) ?? 0;
      const range = Math.hypot(x, y, z);
      doppler = range > 0 ? (vx * x + vy * y) / range : vx;
    }
    if (![x, y, z].every(Number.isFinite)) {
      this.stats.issue('non-finite', `non-finite position in CAN ID 0x${canId.toString(16)}`);
      return undefined;
    }
    const target: RadarTarget = {
      x, y, z,
      doppler: doppler ?? Number.NaN,
      rcs: fieldValue(config.rcs, signals) ?? Number.NaN,
      snr: fieldValue(config.snr, signals) ?? Number.NaN,
    };
    return { time, canId, slot, trackId: fieldValue(config.trackId, signals), target, signals };
  }
}

export const canRadarDecoderOptionsSchema = z
  .object({
    sensorId: z.string().min(1),
    frameId: z.string().min(1).optional(),
    /** Path of the DBC file (read with loadDbcFile, then passed to the factory as `dbc`). */
    dbc: z.string().min(1),
    config: canRadarConfigSchema,
    /** Keep only frames from this candump channel (e.g. can1); default: every channel. */
    channel: z.string().min(1).optional(),
    /** Emit a scan for an incomplete header cycle (default true: its targets are real). */
    emitIncomplete: z.boolean().default(true),
    /** Subtracted from every CAN ID before lookup (radars that shift their IDs by a sensor number). */
    idOffset: z.number().int().min(0).max(0x1fffffff).default(0),
  })
  .strict();

export interface CanRadarDecoderOptions extends FrameIdentity {
  dbc: DbcDatabase;
  config: CanRadarConfigInput;
  channel?: string;
  emitIncomplete?: boolean;
  idOffset?: number;
  onIssue?: OnDecodeIssue;
}

/** Scans from one cycle: per-sensor seq, stamp = the cycle's first frame, receivedAt = the push's. */
export function cycleToScan(cycle: CanRadarCycle, identity: { sensorId: string; frameId: string }, seq: number, receivedAt: Nanos): RadarScan {
  return {
    modality: 'radar',
    sensorId: identity.sensorId,
    frameId: identity.frameId,
    stamp: cycle.stamp,
    receivedAt,
    seq,
    targets: cycle.tracks.map((t) => t.target),
  };
}

/**
 * A FrameDecoder over `candump -l` text (stream framing): lines → CAN frames → cycles → RadarScans.
 * Errors of both stages are counted in one stats object.
 */
export function createCanRadarDecoder(options: CanRadarDecoderOptions): FrameDecoder<RadarScan> {
  if (!options.sensorId) throw new TypeError('createCanRadarDecoder: sensorId is required');
  const stats = new DecoderStatsCounter(options.onIssue);
  const forward: OnDecodeIssue = (issue) => stats.issue(issue.code, issue.message, issue.offset);
  const reader = new CandumpReader({ onIssue: forward });
  const assembler = new CanRadarAssembler(options.dbc, options.config, forward);
  const identity = { sensorId: options.sensorId, frameId: options.frameId ?? options.sensorId };
  const emitIncomplete = options.emitIncomplete ?? true;
  const idOffset = options.idOffset ?? 0;
  let seq = 0;
  const toScans = (cycles: CanRadarCycle[], receivedAt: Nanos): RadarScan[] => {
    const scans: RadarScan[] = [];
    for (const cycle of cycles) {
      if (!cycle.complete && !emitIncomplete) continue;
      scans.push(cycleToScan(cycle, identity, seq++, receivedAt));
    }
    stats.frames += scans.length;
    return scans;
  };
  let lastReceivedAt = 0n;
  const feed = (frames: CanFrameRecord[], receivedAt: Nanos): RadarScan[] => {
    const cycles: CanRadarCycle[] = [];
    for (const frame of frames) {
      if (options.channel !== undefined && frame.channel !== options.channel) continue;
      stats.accepted++;
      cycles.push(...assembler.pushFrame(idOffset === 0 ? frame : { ...frame, id: frame.id - idOffset }));
    }
    return toScans(cycles, receivedAt);
  };
  return {
    framing: 'stream',
    stats,
    push(bytes, receivedAt) {
      lastReceivedAt = receivedAt;
      return feed(reader.push(bytes), receivedAt);
    },
    flush() {
      const scans = feed(reader.flush(), lastReceivedAt);
      return scans.concat(toScans(assembler.flush(), lastReceivedAt));
    },
  };
}

