/**
 * Typed wrapper around the addon's Velodyne block decoder (native/src/velodyne*.{h,cc}).
 *
 * The kernel does only the per-block inner work of adapters/lidar/velodyne.ts: for the blocks of
 * one 1206-byte packet, the 32 channels → points written into the caller's Float32Array. It stops
 * at anything the TypeScript must act on (a bad block, the azimuth wrap, the first block of a
 * sweep, a full output buffer) and reports it as an event with the block's index; the caller
 * handles it and calls again. All state lives in `io`, a Float64Array shared with the addon, so a
 * call passes four arguments and allocates nothing.
 */
import { loadNative } from './index.js';

/** What stopped a decode call: every event but `done` names a block (io[block]) not yet decoded. */
export const VelodyneEvent = {
  /** Every block to the end of the packet decoded. */
  done: 0,
  /** The block's flag is neither the upper bank nor (HDL-64E) the lower bank. */
  badFlag: 1,
  /** The block's azimuth is 36000 or more. */
  badAzimuth: 2,
  /** The block's azimuth is below the previous good block's: the sweep ends before it. */
  wrap: 3,
  /** First good block with `sweepStarted` 0: the sweep's stamp comes from this block. */
  sweepStart: 4,
  /** Fewer than 32 points of room left in `out`. */
  needRoom: 5,
} as const;
export type VelodyneEventCode = (typeof VelodyneEvent)[keyof typeof VelodyneEvent];

/** Slots of `VelodyneKernel.io`. */
export const VelodyneIo = {
  /** In/out: points already in `out`. */
  count: 0,
  /** In/out: azimuth of the previous good block (0.01°), -1 at the start. */
  lastAzimuth: 1,
  /** In/out: last good VLP-16 azimuth step between firing sequences (0.01°). */
  lastAzimuthStep: 2,
  /** In: seconds from the sweep's stamp to the packet's stamp. */
  packetOffsetS: 3,
  /** In: 1 for a dual-return packet (7 floats per point), else 0. */
  dual: 4,
  /** In: 1 when the current sweep has its stamp. */
  sweepStarted: 5,
  /** In: first block to look at; out: the event's block (12 after `done`). */
  block: 6,
  /** In: 1 when `block` already passed the wrap and sweep-start checks (decode it straight away). */
  resume: 7,
  /** Out: 1 when the call saw a good block (good flag and azimuth). */
  accepted: 8,
} as const;
const IO_SLOTS = 9;

const BLOCKS = 12;
const CHANNELS = 32;
const ROTATION_UNITS = 36000;
/** Rows of `laser`, each `lasers` long, in the addon's order (velodyne.h VelodyneLaserRow). */
export const VELODYNE_LASER_ROWS = [
  'cosRotCorr',
  'sinRotCorr',
  'cosVert',
  'sinVert',
  'distCorr',
  'distCorrX',
  'distCorrY',
  'vertOffset',
  'horizOffset',
  'ring',
  'twoPoint',
  'focalSlope',
  'focalOffset',
  'minIntensity',
  'maxIntensity',
] as const;
export type VelodyneLaserRow = (typeof VELODYNE_LASER_ROWS)[number];

/** The decoder's constant tables, copied into the kernel once. */
export interface VelodyneKernelTables {
  lasers: number;
  /** One array per row, each `lasers` long. */
  laser: Record<VelodyneLaserRow, Float64Array | Uint8Array>;
  /** cos and sin of every 0.01° azimuth step, 36000 each. */
  cosRot: Float64Array;
  sinRot: Float64Array;
  /** Firing time of channel k of block b (µs after the packet stamp) at [b × 32 + k]: single, dual. */
  timingSingle: Float64Array;
  timingDual: Float64Array;
  /** Share of the VLP-16 block's azimuth step at which channel k fires, 32 values in [0, 1]. */
  vlp16Fraction: Float64Array;
  distanceResolution: number;
  minRange: number;
  maxRange: number;
  vlp16: boolean;
  hdl64: boolean;
}

export interface VelodyneKernel {
  /** Shared state: set the inputs (VelodyneIo) before `decode`, read the outputs after. */
  readonly io: Float64Array;
  /**
   * Decodes blocks of `packet` from io[block] into `out` (x, y, z, intensity, ring, t[, return]
   * per point, after io[count] points) until an event, which it returns. `packet` must be 1206
   * bytes; io's state is checked by the addon, which never writes past `out`.
   */
  decode(packet: Uint8Array, out: Float32Array): VelodyneEventCode;
}

interface VelodyneAddon {
  velodyneCreateContext(
    laser: Float64Array,
    cosRot: Float64Array,
    sinRot: Float64Array,
    timingSingle: Float64Array,
    timingDual: Float64Array,
    vlp16Fraction: Float64Array,
    params: Float64Array,
  ): unknown;
  velodyneDecodeBlocks(context: unknown, packet: Uint8Array, out: Float32Array, io: Float64Array): VelodyneEventCode;
}

/** Whether the loaded addon has the Velodyne kernel; never throws. */
export function velodyneKernelAvailability(): { available: boolean; reason: string } {
  const loaded = loadNative();
  if (!loaded.ok) return { available: false, reason: loaded.error };
  const addon = loaded.addon as unknown as Partial<VelodyneAddon>;
  if (typeof addon.velodyneCreateContext !== 'function' || typeof addon.velodyneDecodeBlocks !== 'function') {
    return { available: false, reason: `native addon ${loaded.path} has no Velodyne kernel (rebuild it with \`npm run install\`)` };
  }
  return { available: true, reason: 'ok' };
}

/** Copies the tables into a native context. Throws when the addon or its kernel is missing. */
export function createVelodyneKernel(tables: VelodyneKernelTables): VelodyneKernel {
  const availability = velodyneKernelAvailability();
  if (!availability.available) throw new Error(availability.reason);
  const addon = (loadNative() as { addon: unknown }).addon as VelodyneAddon;
  const { lasers } = tables;
  const needed = tables.vlp16 ? 16 : tables.hdl64 ? 64 : 32;
  if (tables.vlp16 && tables.hdl64) throw new TypeError('vlp16 and hdl64 cannot both be set');
  if (lasers !== needed) throw new RangeError(`lasers must be ${needed} for this model, got ${lasers}`);
  const laser = new Float64Array(VELODYNE_LASER_ROWS.length * lasers);
  VELODYNE_LASER_ROWS.forEach((row, i) => {
    const values = tables.laser[row];
    if (!(values instanceof Float64Array || values instanceof Uint8Array)) throw new TypeError(`laser.${row} must be a Float64Array or Uint8Array`);
    if (values.length !== lasers) throw new RangeError(`laser.${row} must have ${lasers} values, got ${values.length}`);
    laser.set(values, i * lasers);
  });
  expectFloat64('cosRot', tables.cosRot, ROTATION_UNITS);
  expectFloat64('sinRot', tables.sinRot, ROTATION_UNITS);
  expectFloat64('timingSingle', tables.timingSingle, BLOCKS * CHANNELS);
  expectFloat64('timingDual', tables.timingDual, BLOCKS * CHANNELS);
  expectFloat64('vlp16Fraction', tables.vlp16Fraction, CHANNELS);
  tables.vlp16Fraction.forEach((f, k) => {
    if (!(f >= 0 && f <= 1)) throw new RangeError(`vlp16Fraction[${k}] must be in [0, 1], got ${f}`);
  });
  const { distanceResolution, minRange, maxRange } = tables;
  if (!(Number.isFinite(distanceResolution) && distanceResolution > 0)) {
    throw new RangeError(`distanceResolution must be a positive number, got ${distanceResolution}`);
  }
  if (!(minRange >= 0 && maxRange > minRange)) throw new RangeError(`need 0 ≤ minRange < maxRange, got ${minRange}, ${maxRange}`);
  const params = Float64Array.of(lasers, distanceResolution, minRange, maxRange, tables.vlp16 ? 1 : 0, tables.hdl64 ? 1 : 0);
  const context = addon.velodyneCreateContext(
    laser,
    tables.cosRot,
    tables.sinRot,
    tables.timingSingle,
    tables.timingDual,
    tables.vlp16Fraction,
    params,
  );
  const io = new Float64Array(IO_SLOTS);
  io[VelodyneIo.lastAzimuth] = -1;
  io[VelodyneIo.lastAzimuthStep] = 40;
  const decodeBlocks = addon.velodyneDecodeBlocks;
  return {
    io,
    decode(packet: Uint8Array, out: Float32Array): VelodyneEventCode {
      // Cheap checks only: this runs once per packet or so. The addon re-checks what memory
      // safety needs (lengths, the state in io).
      if (!(packet instanceof Uint8Array) || packet.length !== 1206) throw new RangeError('packet must be a 1206-byte Uint8Array');
      if (!(out instanceof Float32Array)) throw new TypeError('out must be a Float32Array');
      return decodeBlocks(context, packet, out, io);
    },
  };
}

function expectFloat64(name: string, value: Float64Array, length: number): void {
  if (!(value instanceof Float64Array)) throw new TypeError(`${name} must be a Float64Array`);
  if (value.length !== length) throw new RangeError(`${name} must have ${length} values, got ${value.length}`);
}
