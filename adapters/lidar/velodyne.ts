import { z } from 'zod';
import type { PointCloud } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder, type FrameIdentity, type OnDecodeIssue } from '../decoder.js';
import { nominalVelodyneCalibration, parseVelodyneCalibration, type VelodyneCalibration } from './calibration.js';
import { cloudFromFloats, float32Fields, GrowableFloats } from './point-cloud.js';
import { BackendUnavailableError, chooseBackend, type BackendRequest } from '../../native/backend.js';
import { createVelodyneKernel, velodyneKernelAvailability, VelodyneEvent, VelodyneIo, type VelodyneKernel } from '../../native/velodyne.js';

/**
 * Velodyne data packets (UDP 2368, 1206 bytes: 12 blocks of flag, azimuth and 32 × (distance,
 * intensity), then µs past the hour, return mode and product bytes) → one PointCloud per sweep.
 *
 * Geometry follows the ROS velodyne driver's rawdata.cpp (unpack / unpack_vlp16): azimuth minus the
 * laser's rot_correction, distance plus dist_correction, the vertical and horizontal offsets, the
 * two-point distance correction where the calibration enables it, and its change of axes to ROS's
 * x forward, y left, z up. The VLP-16's second firing and per-laser azimuths are interpolated from
 * the next block's azimuth as there; other models use the block's azimuth.
 *
 * A sweep ends where a block's azimuth is smaller than the previous block's (the wrap at 0°), inside
 * a packet if need be; flush() emits the partial sweep.
 *
 * Stamps: the packet's µs past the hour is placed in the hour of the receive time (the pcap record
 * time when playing a capture) — the hour nearest to it, so a packet stamped 59:59 and received at
 * 00:00:01 lands in the previous hour. This is the sensor's acquisition time when its clock follows
 * GPS/PPS; without PPS the sensor counts from power-up and the stamp can be off by up to 30 minutes:
 * use `timeSource: 'receipt'` then. A sweep's stamp is the time of its first firing; each point's
 * `t` is its firing time minus the sweep stamp, float32 seconds.
 *
 * The per-block loop runs in the native addon (native/velodyne.ts) when it is loaded and
 * PERCEPT_BACKEND (or the `backend` option) is not 'ts'; its output is bit for bit the TypeScript
 * loop's (blocksTs below, the reference and fallback), which adapters/lidar/velodyne-native.test.ts
 * checks.
 */

export type VelodyneModel = 'VLP16' | 'VLP32C' | 'HDL32E' | 'HDL64E';
export type VelodyneTimeSource = 'packet' | 'receipt';

export const velodyneDecoderOptionsSchema = z
  .object({
    model: z.enum(['VLP16', 'VLP32C', 'HDL32E', 'HDL64E']),
    /** ROS velodyne driver calibration YAML; nominal angles are used for VLP16 and HDL32E without one. */
    calibrationFile: z.string().min(1).optional(),
    minRange: z.number().min(0).max(10).optional(),
    maxRange: z.number().positive().max(500).optional(),
    timeSource: z.enum(['packet', 'receipt']).optional(),
    maxSweepPoints: z.number().int().min(1000).max(10_000_000).optional(),
  })
  .strict();

export type VelodyneRigOptions = z.infer<typeof velodyneDecoderOptionsSchema>;

export interface VelodyneDecoderOptions extends FrameIdentity {
  model: VelodyneModel;
  /** Parsed calibration, or the YAML text of a calibration file. */
  calibration?: VelodyneCalibration | string;
  /** Points nearer than this (m) are no-returns (default 0.4). */
  minRange?: number;
  /** Points farther than this (m) are no-returns (default 200). */
  maxRange?: number;
  timeSource?: VelodyneTimeSource;
  /** Points beyond this in one sweep are dropped and counted (default 4,000,000). */
  maxSweepPoints?: number;
  onIssue?: OnDecodeIssue;
  /**
   * Which block loop runs: 'auto' (default) follows PERCEPT_BACKEND, else the native addon when it
   * loads; 'ts' the TypeScript reference; 'cpu' or 'cuda' the native loop (it runs on the CPU),
   * throwing when the addon is missing.
   */
  backend?: BackendRequest;
}

export const VELODYNE_PACKET_BYTES = 1206;
export const VELODYNE_POSITION_PACKET_BYTES = 512;
export const VELODYNE_SINGLE_FIELDS = float32Fields(['x', 'y', 'z', 'intensity', 'ring', 't']);
/** Dual return: `return` is 0 for the first block of each pair (last return), 1 for the second (strongest). */
export const VELODYNE_DUAL_FIELDS = float32Fields(['x', 'y', 'z', 'intensity', 'ring', 't', 'return']);

const BLOCKS = 12;
const BLOCK_BYTES = 100;
const CHANNELS = 32;
const UPPER_BANK = 0xeeff;
const LOWER_BANK = 0xddff;
const MODE_STRONGEST = 0x37;
const MODE_LAST = 0x38;
const MODE_DUAL = 0x39;
const ROTATION_UNITS = 36000;
const HOUR_NS = 3_600_000_000_000n;
const HALF_HOUR_NS = HOUR_NS / 2n;
const VLP16_FIRING_US = 55.296;
const VLP16_DSR_US = 2.304;
const VLP16_BLOCK_US = 2 * VLP16_FIRING_US;
/** Share of the VLP-16 block's azimuth step at which channel k fires (the ROS driver's interpolation). */
const VLP16_AZIMUTH_FRACTION = Float64Array.from({ length: 32 }, (_, k) => ((k & 15) * VLP16_DSR_US + (k >> 4) * VLP16_FIRING_US) / VLP16_BLOCK_US);
/** HDL-64E S2/S3 fire both banks together about every 48 µs at 600 rpm; the ROS driver has no table. */
const HDL64_FIRING_US = 48;

interface ModelSpec {
  lasers: number;
  /** Firing time of channel k of block b, µs after the packet's stamp: [single, dual]. */
  timing: [Float64Array, Float64Array];
}

function timingTable(model: VelodyneModel, dual: boolean): Float64Array {
  const t = new Float64Array(BLOCKS * CHANNELS);
  for (let b = 0; b < BLOCKS; b++) {
    for (let k = 0; k < CHANNELS; k++) {
      let us: number;
      if (model === 'VLP16') {
        const firing = k >> 4;
        const sequence = dual ? (b & ~1) + firing : b * 2 + firing;
        us = sequence * VLP16_FIRING_US + (k & 15) * VLP16_DSR_US;
      } else if (model === 'VLP32C') {
        us = (dual ? b >> 1 : b) * 55.296 + (k >> 1) * 2.304;
      } else if (model === 'HDL32E') {
        // HDL-32E manual: one laser every 1.152 µs, 40 slots (8 idle) in a 46.08 µs cycle.
        us = (dual ? b >> 1 : b) * 46.08 + k * 1.152;
      } else {
        us = (dual ? b >> 2 : b >> 1) * HDL64_FIRING_US;
      }
      t[b * CHANNELS + k] = us;
    }
  }
  return t;
}

function modelSpec(model: VelodyneModel): ModelSpec {
  const lasers = model === 'VLP16' ? 16 : model === 'HDL64E' ? 64 : 32;
  return { lasers, timing: [timingTable(model, false), timingTable(model, true)] };
}

/** cos and sin of every azimuth step of 0.01°: constant tables shared by every decoder. */
const ROTATION_TABLE = ((): { cos: Float64Array; sin: Float64Array } => {
  const cos = new Float64Array(ROTATION_UNITS);
  const sin = new Float64Array(ROTATION_UNITS);
  for (let i = 0; i < ROTATION_UNITS; i++) {
    const a = (i / 100) * (Math.PI / 180);
    cos[i] = Math.cos(a);
    sin[i] = Math.sin(a);
  }
  return { cos, sin };
})();

function resolveCalibration(options: VelodyneDecoderOptions): VelodyneCalibration {
  const { calibration, model } = options;
  if (calibration === undefined) {
    if (model === 'VLP16' || model === 'HDL32E') return nominalVelodyneCalibration(model);
    throw new Error(`calibration: model ${model} needs a per-unit calibration file`);
  }
  return typeof calibration === 'string' ? parseVelodyneCalibration(calibration, 'calibration') : calibration;
}

export interface VelodyneDecoder extends FrameDecoder<PointCloud> {
  readonly calibration: VelodyneCalibration;
  /** Where the block loop runs: 'cpu' for the native addon, 'ts' for the TypeScript reference. */
  readonly backend: 'cpu' | 'ts';
}

/** 'cpu' when the native block loop should and can run; throws when it is asked for and cannot. */
function chooseBlockLoop(requested: BackendRequest | undefined): 'cpu' | 'ts' {
  // PERCEPT_BACKEND or the option; throws for an unknown name or a named backend that cannot run.
  const choice = chooseBackend(requested);
  if (choice.name === 'ts') return 'ts';
  const kernel = velodyneKernelAvailability();
  if (kernel.available) return 'cpu';
  // An addon built before this kernel existed: the automatic choice falls back, a named one fails.
  if (choice.reason.startsWith('auto')) return 'ts';
  throw new BackendUnavailableError('cpu', kernel.reason);
}

export function createVelodyneDecoder(options: VelodyneDecoderOptions): VelodyneDecoder {
  const model = options.model;
  if (!['VLP16', 'VLP32C', 'HDL32E', 'HDL64E'].includes(model)) throw new Error(`model: unknown Velodyne model "${model}"`);
  const spec = modelSpec(model);
  const calibration = resolveCalibration(options);
  if (calibration.numLasers !== spec.lasers) {
    throw new Error(`calibration: ${calibration.numLasers} lasers, but a ${model} has ${spec.lasers}`);
  }
  const minRange = options.minRange ?? 0.4;
  const maxRange = options.maxRange ?? 200;
  if (!(minRange >= 0 && maxRange > minRange)) throw new Error(`minRange/maxRange: need 0 ≤ minRange < maxRange, got ${minRange}, ${maxRange}`);
  const maxSweepPoints = options.maxSweepPoints ?? 4_000_000;
  if (!Number.isInteger(maxSweepPoints) || maxSweepPoints < 1) throw new Error(`maxSweepPoints: a positive integer, got ${maxSweepPoints}`);
  const timeSource = options.timeSource ?? 'packet';
  if (timeSource !== 'packet' && timeSource !== 'receipt') throw new Error(`timeSource: 'packet' or 'receipt', got ${String(timeSource)}`);
  const sensorId = options.sensorId;
  const frameId = options.frameId ?? sensorId;
  const stats = new DecoderStatsCounter(options.onIssue);
  const { cos: cosRot, sin: sinRot } = ROTATION_TABLE;

  // Per-laser constants in flat typed arrays for the inner loop.
  const n = spec.lasers;
  const cosVert = new Float64Array(n);
  const sinVert = new Float64Array(n);
  const cosRotCorr = new Float64Array(n);
  const sinRotCorr = new Float64Array(n);
  const distCorr = new Float64Array(n);
  const distCorrX = new Float64Array(n);
  const distCorrY = new Float64Array(n);
  const vertOffset = new Float64Array(n);
  const horizOffset = new Float64Array(n);
  const ring = new Float64Array(n);
  const twoPoint = new Uint8Array(n);
  const focalSlope = new Float64Array(n);
  const focalOffset = new Float64Array(n);
  const minIntensity = new Float64Array(n);
  const maxIntensity = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = calibration.lasers[i];
    cosVert[i] = Math.cos(c.vertCorrection);
    sinVert[i] = Math.sin(c.vertCorrection);
    cosRotCorr[i] = Math.cos(c.rotCorrection);
    sinRotCorr[i] = Math.sin(c.rotCorrection);
    distCorr[i] = c.distCorrection;
    distCorrX[i] = c.distCorrectionX;
    distCorrY[i] = c.distCorrectionY;
    vertOffset[i] = c.vertOffsetCorrection;
    horizOffset[i] = c.horizOffsetCorrection;
    ring[i] = c.ring;
    twoPoint[i] = c.twoPtCorrectionAvailable ? 1 : 0;
    focalSlope[i] = c.focalSlope;
    const f = 1 - c.focalDistance / 13100;
    focalOffset[i] = 256 * f * f;
    minIntensity[i] = c.minIntensity;
    maxIntensity[i] = c.maxIntensity;
  }
  const distanceResolution = calibration.distanceResolution;
  const isVlp16 = model === 'VLP16';
  const isHdl64 = model === 'HDL64E';
  const blockLoop = chooseBlockLoop(options.backend);
  const kernel: VelodyneKernel | undefined =
    blockLoop === 'cpu'
      ? createVelodyneKernel({
          lasers: n,
          laser: { cosRotCorr, sinRotCorr, cosVert, sinVert, distCorr, distCorrX, distCorrY, vertOffset, horizOffset, ring, twoPoint, focalSlope, focalOffset, minIntensity, maxIntensity },
          cosRot,
          sinRot,
          timingSingle: spec.timing[0],
          timingDual: spec.timing[1],
          vlp16Fraction: VLP16_AZIMUTH_FRACTION,
          distanceResolution,
          minRange,
          maxRange,
          vlp16: isVlp16,
          hdl64: isHdl64,
        })
      : undefined;

  let points = new GrowableFloats(6, 32_768, maxSweepPoints);
  let count = 0;
  let dualSweep = false;
  let sweepStamp: bigint | undefined;
  let lastAzimuth = -1;
  let overflowed = false;
  let seq = 0;
  let lastReceivedAt: Nanos = 0n;
  /** Last good azimuth step between firing sequences (VLP-16), 0.01° units. */
  let lastAzimuthStep = 40;

  function emit(out: PointCloud[], receivedAt: Nanos): void {
    if (count > 0 && sweepStamp !== undefined) {
      out.push(
        cloudFromFloats(
          { sensorId, frameId, stamp: sweepStamp, receivedAt, seq: seq++ },
          dualSweep ? VELODYNE_DUAL_FIELDS : VELODYNE_SINGLE_FIELDS,
          points.buffer,
          count,
        ),
      );
      stats.frames++;
    }
    count = 0;
    sweepStamp = undefined;
    overflowed = false;
  }

  function startLayout(dual: boolean): void {
    if (dual === dualSweep) return;
    dualSweep = dual;
    points = new GrowableFloats(dual ? 7 : 6, points.capacityPoints, maxSweepPoints);
  }

  function packetStamp(toh: number, receivedAt: Nanos): bigint {
    if (timeSource === 'receipt') return receivedAt;
    if (toh >= 3_600_000_000) {
      stats.issue('bad-timestamp', `${toh} µs past the hour`);
      return receivedAt;
    }
    let hourStart = receivedAt - (receivedAt % HOUR_NS);
    if (receivedAt < 0n && receivedAt % HOUR_NS !== 0n) hourStart -= HOUR_NS;
    let s = hourStart + BigInt(toh) * 1000n;
    if (s - receivedAt > HALF_HOUR_NS) s -= HOUR_NS;
    else if (receivedAt - s > HALF_HOUR_NS) s += HOUR_NS;
    return s;
  }

  /** The reference block loop: decodes the packet's blocks into the sweep; true when a block was good. */
  function blocksTs(b8: Uint8Array, stamp: bigint, timing: Float64Array, dual: boolean, out: PointCloud[], receivedAt: Nanos): boolean {
    const fpp = dual ? 7 : 6;
    const pairStep = dual ? 2 : 1;
    let accepted = false;
    // Seconds from the sweep's stamp to this packet's stamp (BigInt once per packet, not per block).
    let packetOffsetS = sweepStamp === undefined ? 0 : Number(stamp - sweepStamp) / 1e9;

    for (let b = 0; b < BLOCKS; b++) {
      const o = b * BLOCK_BYTES;
      const flag = b8[o] | (b8[o + 1] << 8);
      let bank = 0;
      if (flag === LOWER_BANK && isHdl64) bank = 32;
      else if (flag !== UPPER_BANK) {
        stats.issue('bad-block-flag', `block ${b} flag 0x${flag.toString(16)}`);
        continue;
      }
      const azimuth = b8[o + 2] | (b8[o + 3] << 8);
      if (azimuth >= ROTATION_UNITS) {
        stats.issue('bad-azimuth', `block ${b} azimuth ${azimuth}`);
        continue;
      }
      accepted = true;
      if (azimuth < lastAzimuth) emit(out, receivedAt);
      lastAzimuth = azimuth;
      if (sweepStamp === undefined) {
        sweepStamp = stamp + BigInt(Math.round(timing[b * CHANNELS] * 1000));
        packetOffsetS = Number(stamp - sweepStamp) / 1e9;
      }

      let azimuthStep = 0;
      if (isVlp16) {
        const nb = b + pairStep;
        if (nb < BLOCKS) {
          const next = b8[nb * BLOCK_BYTES + 2] | (b8[nb * BLOCK_BYTES + 3] << 8);
          const step = (next - azimuth + ROTATION_UNITS) % ROTATION_UNITS;
          // A step of 0 or more than 2° is a damaged or dropped block: keep the last good one.
          if (step > 0 && step <= 200) lastAzimuthStep = step;
        }
        azimuthStep = lastAzimuthStep;
      }
      const returnIndex = dual ? (isHdl64 ? (b >> 1) & 1 : b & 1) : 0;

      if (!points.ensure(count + CHANNELS)) {
        if (!overflowed) stats.issue('sweep-overflow', `sweep passed ${maxSweepPoints} points: the rest of it is dropped`);
        overflowed = true;
        continue;
      }
      const buf = points.buffer;
      const blockCos = cosRot[azimuth];
      const blockSin = sinRot[azimuth];
      let w = count * fpp;
      for (let k = 0; k < CHANNELS; k++) {
        const p = o + 4 + k * 3;
        const raw = b8[p] | (b8[p + 1] << 8);
        if (raw === 0) continue; // no return
        const laser = isVlp16 ? k & 15 : k + bank;
        const distance = raw * distanceResolution + distCorr[laser];
        if (distance < minRange || distance > maxRange) continue;
        let cr = blockCos;
        let sr = blockSin;
        if (isVlp16) {
          const az = Math.round(azimuth + azimuthStep * VLP16_AZIMUTH_FRACTION[k]) % ROTATION_UNITS;
          cr = cosRot[az];
          sr = sinRot[az];
        }
        // cos and sin of (azimuth − rot_correction)
        const cosA = cr * cosRotCorr[laser] + sr * sinRotCorr[laser];
        const sinA = sr * cosRotCorr[laser] - cr * sinRotCorr[laser];
        const cv = cosVert[laser];
        const sv = sinVert[laser];
        const vo = vertOffset[laser];
        const ho = horizOffset[laser];
        let dx = distance;
        let dy = distance;
        if (twoPoint[laser]) {
          const xy0 = distance * cv - vo * sv;
          const xx = Math.abs(xy0 * sinA - ho * cosA);
          const yy = Math.abs(xy0 * cosA + ho * sinA);
          const dc = distCorr[laser];
          dx += ((dc - distCorrX[laser]) * (xx - 2.4)) / (25.04 - 2.4) + distCorrX[laser] - dc;
          dy += ((dc - distCorrY[laser]) * (yy - 1.93)) / (25.04 - 1.93) + distCorrY[laser] - dc;
        }
        const xyX = dx * cv - vo * sv;
        const xyY = dy * cv - vo * sv;
        // Velodyne frame (x right, y forward) → ROS (x forward, y left).
        const vx = xyX * sinA - ho * cosA;
        const vy = xyY * cosA + ho * sinA;
        let intensity = b8[p + 2];
        const slope = focalSlope[laser];
        if (slope !== 0) {
          // The manual's focal correction, on the raw distance as in the ROS 1 driver.
          const r = 1 - raw / 65535;
          intensity += slope * Math.abs(focalOffset[laser] - 256 * r * r);
        }
        if (intensity < minIntensity[laser]) intensity = minIntensity[laser];
        else if (intensity > maxIntensity[laser]) intensity = maxIntensity[laser];
        buf[w] = vy;
        buf[w + 1] = -vx;
        buf[w + 2] = dy * sv + vo * cv;
        buf[w + 3] = intensity;
        buf[w + 4] = ring[laser];
        buf[w + 5] = packetOffsetS + timing[b * CHANNELS + k] * 1e-6;
        if (fpp === 7) buf[w + 6] = returnIndex;
        w += fpp;
      }
      count = w / fpp;
    }
    return accepted;
  }

  /**
   * The same loop with the per-block work in the addon. The kernel decodes blocks until one needs
   * this side — a damaged block (an issue), the wrap (emit the sweep), a sweep's first block (its
   * stamp), a full buffer (grow it) — and is called again from there, so sweeps split, stamps and
   * issues are exactly as in blocksTs.
   */
  function blocksNative(k: VelodyneKernel, b8: Uint8Array, stamp: bigint, timing: Float64Array, dual: boolean, out: PointCloud[], receivedAt: Nanos): boolean {
    const io = k.io;
    let accepted = false;
    let packetOffsetS = sweepStamp === undefined ? 0 : Number(stamp - sweepStamp) / 1e9;
    let block = 0;
    let resume = 0;
    io[VelodyneIo.dual] = dual ? 1 : 0;
    while (block < BLOCKS) {
      io[VelodyneIo.count] = count;
      io[VelodyneIo.lastAzimuth] = lastAzimuth;
      io[VelodyneIo.lastAzimuthStep] = lastAzimuthStep;
      io[VelodyneIo.packetOffsetS] = packetOffsetS;
      io[VelodyneIo.sweepStarted] = sweepStamp === undefined ? 0 : 1;
      io[VelodyneIo.block] = block;
      io[VelodyneIo.resume] = resume;
      const event = k.decode(b8, points.buffer);
      // Small integers: `| 0` keeps them so for the JIT (io holds doubles).
      count = io[VelodyneIo.count] | 0;
      lastAzimuth = io[VelodyneIo.lastAzimuth] | 0;
      lastAzimuthStep = io[VelodyneIo.lastAzimuthStep] | 0;
      if (io[VelodyneIo.accepted] !== 0) accepted = true;
      block = io[VelodyneIo.block] | 0;
      resume = 0;
      const o = block * BLOCK_BYTES;
      if (event === VelodyneEvent.done) break;
      if (event === VelodyneEvent.badFlag) {
        stats.issue('bad-block-flag', `block ${block} flag 0x${(b8[o] | (b8[o + 1] << 8)).toString(16)}`);
        block++;
      } else if (event === VelodyneEvent.badAzimuth) {
        stats.issue('bad-azimuth', `block ${block} azimuth ${b8[o + 2] | (b8[o + 3] << 8)}`);
        block++;
      } else if (event === VelodyneEvent.wrap || event === VelodyneEvent.sweepStart) {
        if (event === VelodyneEvent.wrap) emit(out, receivedAt);
        sweepStamp = stamp + BigInt(Math.round(timing[block * CHANNELS] * 1000));
        packetOffsetS = Number(stamp - sweepStamp) / 1e9;
        resume = 1;
      } else if (event === VelodyneEvent.needRoom) {
        if (points.ensure(count + CHANNELS)) {
          resume = 1;
        } else {
          if (!overflowed) stats.issue('sweep-overflow', `sweep passed ${maxSweepPoints} points: the rest of it is dropped`);
          overflowed = true;
          block++;
        }
      } else {
        throw new Error(`velodyne kernel: unknown event ${String(event)}`);
      }
    }
    return accepted;
  }

  function push(bytes: Uint8Array, receivedAt: Nanos): PointCloud[] {
    lastReceivedAt = receivedAt;
    if (bytes.length !== VELODYNE_PACKET_BYTES) {
      if (bytes.length === VELODYNE_POSITION_PACKET_BYTES) stats.issue('position-packet', 'a 512-byte position packet on the data decoder');
      else stats.issue('bad-length', `${bytes.length} bytes; a data packet has ${VELODYNE_PACKET_BYTES}`);
      return [];
    }
    const out: PointCloud[] = [];
    const b8 = bytes;
    const mode = b8[1204];
    let dual = mode === MODE_DUAL;
    if (mode !== MODE_STRONGEST && mode !== MODE_LAST && mode !== MODE_DUAL && mode !== 0) {
      // Old firmware writes 0 here; anything else is damage or an unknown mode: decode as single return.
      stats.issue('unknown-return-mode', `return mode byte 0x${mode.toString(16)}`);
      dual = false;
    }
    if (count > 0 && dual !== dualSweep) {
      stats.issue('return-mode-change', 'return mode changed inside a sweep: the sweep ends early');
      emit(out, receivedAt);
    }
    if (count === 0) startLayout(dual);
    const toh = (b8[1200] | (b8[1201] << 8) | (b8[1202] << 16) | (b8[1203] << 24)) >>> 0;
    const stamp = packetStamp(toh, receivedAt);
    const timing = spec.timing[dual ? 1 : 0];
    const accepted = kernel ? blocksNative(kernel, b8, stamp, timing, dual, out, receivedAt) : blocksTs(b8, stamp, timing, dual, out, receivedAt);
    if (accepted) stats.accepted++;
    return out;
  }

  return {
    framing: 'datagram',
    push,
    flush(): PointCloud[] {
      const out: PointCloud[] = [];
      emit(out, lastReceivedAt);
      lastAzimuth = -1;
      return out;
    },
    stats,
    calibration,
    backend: blockLoop,
  };
}
