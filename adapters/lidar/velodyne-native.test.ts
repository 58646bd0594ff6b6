import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../capture/capture-reader.js';
import { udpDatagrams } from '../capture/udp.js';
import type { DecodeIssue } from '../decoder.js';
import type { PointCloud } from '../../engine/core/frames.js';
import { createRng, type Rng } from '../../engine/core/prng.js';
import { createVelodyneKernel, velodyneKernelAvailability, VelodyneEvent, VelodyneIo, type VelodyneKernelTables } from '../../native/velodyne.js';
import { parseVelodyneCalibration, velodyneCalibrationFromObject, type VelodyneCalibration } from './calibration.js';
import { createVelodyneDecoder, type VelodyneDecoderOptions, type VelodyneModel } from './velodyne.js';

/**
 * The native block loop against the TypeScript reference: the same clouds (stamps, seq, split
 * points) with byte-identical point data, the same stats and the same issues, on the real
 * captures with and without their calibrations and on synthetic HDL-64E, dual-return and damaged
 * packets.
 */

const here = (name: string) => new URL(`../../test/fixtures/lidar_pcap/velodyne/${name}`, import.meta.url);

interface Packet {
  payload: Uint8Array;
  tsNs: bigint;
}

function datagrams(file: string): Packet[] {
  return [...udpDatagrams(parseCapture(new Uint8Array(readFileSync(here(file)))).records)].filter((d) => d.dstPort === 2368);
}

const hdl32 = datagrams('velodyne_vlp32.pcap');
const vlp16 = datagrams('velodyne_vlp16.pcap');
const hdl32Calibration = parseVelodyneCalibration(readFileSync(here('32db.yaml'), 'utf8'));
const vlp16Calibration = parseVelodyneCalibration(readFileSync(here('VLP16db.yaml'), 'utf8'));
const kernel = velodyneKernelAvailability();

interface Run {
  /** Clouds returned by each push, then by flush (last entry). */
  outputs: PointCloud[][];
  issues: DecodeIssue[];
  stats: { accepted: number; frames: number; errors: Record<string, number> };
}

function decode(packets: Packet[], options: Omit<VelodyneDecoderOptions, 'sensorId' | 'backend'>, backend: 'ts' | 'cpu'): Run {
  const issues: DecodeIssue[] = [];
  const decoder = createVelodyneDecoder({ sensorId: 'lidar_top', ...options, backend, onIssue: (i) => issues.push(i) });
  expect(decoder.backend).toBe(backend);
  const outputs = packets.map((p) => decoder.push(p.payload, p.tsNs));
  outputs.push(decoder.flush());
  const { accepted, frames, errors } = decoder.stats;
  return { outputs, issues, stats: { accepted, frames, errors: { ...errors } } };
}

/** Index of the first differing float, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const fa = new Float32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const fb = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  for (let i = 0; i < fa.length; i++) if (!Object.is(fa[i], fb[i])) return i;
  return -1;
}

/** Decodes with both loops and expects the same everything; returns the points decoded. */
function expectAgreement(packets: Packet[], options: Omit<VelodyneDecoderOptions, 'sensorId' | 'backend'>): number {
  const ts = decode(packets, options, 'ts');
  const native = decode(packets, options, 'cpu');
  expect(native.stats).toEqual(ts.stats);
  expect(native.issues).toEqual(ts.issues);
  expect(native.outputs.map((o) => o.length)).toEqual(ts.outputs.map((o) => o.length));
  let points = 0;
  ts.outputs.forEach((clouds, i) =>
    clouds.forEach((t, j) => {
      const n = native.outputs[i][j];
      const { data: tData, ...tMeta } = t;
      const { data: nData, ...nMeta } = n;
      expect(nMeta).toEqual(tMeta);
      expect(nData.byteLength).toBe(tData.byteLength);
      // Bit for bit, -0 and NaN included; the index says which point and field on failure.
      expect(firstDifference(nData, tData)).toBe(-1);
      points += t.count;
    }),
  );
  return points;
}

/** The capture played `rounds` times with advancing receive times: several wraps, sweeps across packets. */
function repeated(packets: Packet[], rounds: number): Packet[] {
  const out: Packet[] = [];
  let t = packets[0].tsNs;
  for (let r = 0; r < rounds; r++) for (const p of packets) out.push({ payload: p.payload, tsNs: (t += 553_000n) });
  return out;
}

/** Dual-return copy of a single-return packet: mode 0x39, each azimuth repeated for its pair of blocks. */
function asDual(payload: Uint8Array, pairStride: 1 | 2 = 1): Uint8Array {
  const p = payload.slice();
  p[1204] = 0x39;
  for (let b = 0; b < 12; b++) {
    const first = b - (b % (2 * pairStride)) + (b % pairStride);
    if (first !== b) p.copyWithin(b * 100 + 2, first * 100 + 2, first * 100 + 4);
  }
  return p;
}

/** A 64-laser calibration using every correction: offsets, two-point, focal, intensity limits. */
function hdl64Calibration(rng: Rng): VelodyneCalibration {
  return velodyneCalibrationFromObject({
    num_lasers: 64,
    distance_resolution: 0.002,
    lasers: Array.from({ length: 64 }, (_, i) => ({
      laser_id: i,
      rot_correction: rng.uniform(-0.1, 0.1),
      vert_correction: ((-24.8 + i * 0.42 + rng.uniform(-0.05, 0.05)) * Math.PI) / 180,
      dist_correction: rng.uniform(0.9, 1.5),
      dist_correction_x: rng.uniform(0.9, 1.5),
      dist_correction_y: rng.uniform(0.9, 1.5),
      two_pt_correction_available: i % 3 !== 0,
      vert_offset_correction: rng.uniform(0.1, 0.3),
      horiz_offset_correction: i % 2 ? 0.026 : -0.026,
      focal_distance: rng.uniform(0, 2500),
      focal_slope: i % 4 === 0 ? 0 : rng.uniform(0.5, 1.5),
      min_intensity: rng.int(0, 20),
      max_intensity: rng.int(200, 255),
    })),
  });
}

/** HDL-64E packets: upper/lower bank pairs sharing an azimuth, turning 0.1728° a pair, wrapping at 360°. */
function hdl64Packets(rng: Rng, count: number): Packet[] {
  const packets: Packet[] = [];
  let azimuth = 35_000;
  for (let i = 0; i < count; i++) {
    const p = new Uint8Array(1206);
    const v = new DataView(p.buffer);
    for (let b = 0; b < 12; b++) {
      v.setUint16(b * 100, b % 2 === 0 ? 0xeeff : 0xddff, true);
      v.setUint16(b * 100 + 2, azimuth, true);
      if (b % 2 === 1) azimuth = (azimuth + 17) % 36_000;
      for (let k = 0; k < 32; k++) {
        // Mostly real ranges, some no-returns and some below/above the range limits.
        const raw = rng.next() < 0.05 ? 0 : rng.next() < 0.05 ? rng.int(1, 150) : rng.int(300, 65_535);
        v.setUint16(b * 100 + 4 + k * 3, raw, true);
        p[b * 100 + 6 + k * 3] = rng.int(0, 255);
      }
    }
    v.setUint32(1200, 1_000_000 + i * 288, true);
    p[1204] = 0x37;
    packets.push({ payload: p, tsNs: 3_600_000_000_000n + BigInt(i) * 288_000n });
  }
  return packets;
}

/** Real packets with damage: flags, azimuths (the wrap and step logic), mode bytes, lengths. */
function damaged(source: Packet[], rng: Rng, count: number): Packet[] {
  const out: Packet[] = [];
  for (let i = 0; i < count; i++) {
    const base = source[rng.int(0, source.length - 1)];
    let p = base.payload.slice();
    const hits = rng.int(0, 4);
    for (let h = 0; h < hits; h++) {
      const b = rng.int(0, 11);
      const what = rng.int(0, 5);
      if (what === 0) p[b * 100 + rng.int(0, 1)] ^= 1 << rng.int(0, 7); // flag
      else if (what === 1) p[b * 100 + 3] = rng.int(0, 255); // azimuth high byte: jumps, ≥ 36000, wraps
      else if (what === 2) p[b * 100 + 2] = rng.int(0, 255);
      else if (what === 3) p[1204] = rng.pick([0x37, 0x38, 0x39, 0x00, 0x12]);
      else if (what === 4) p[rng.int(0, 1199)] = rng.int(0, 255);
      else if (rng.next() < 0.3) p = p.subarray(0, rng.pick([512, 1000, 1206]));
    }
    out.push({ payload: p, tsNs: BigInt(i) * 1_327_000n + BigInt(rng.int(0, 1000)) });
  }
  return out;
}

describe.skipIf(!kernel.available)('native Velodyne block loop agrees with the TypeScript', () => {
  it('HDL-32E capture, with its calibration file and with the nominal angles, over several wraps', () => {
    expect(expectAgreement(hdl32, { model: 'HDL32E', calibration: hdl32Calibration })).toBeGreaterThan(30_000);
    expect(expectAgreement(repeated(hdl32, 4), { model: 'HDL32E' })).toBeGreaterThan(120_000);
  });

  it('VLP-16 capture, with its calibration file and nominal angles, packet and receipt stamps', () => {
    expect(expectAgreement(vlp16, { model: 'VLP16', calibration: vlp16Calibration })).toBeGreaterThan(19_000);
    expectAgreement(repeated(vlp16, 3), { model: 'VLP16', timeSource: 'receipt' });
  });

  it('dual-return packets (VLP-16, HDL-32E) and changes between single and dual inside a sweep', () => {
    expectAgreement(vlp16.map((p) => ({ payload: asDual(p.payload), tsNs: p.tsNs })), { model: 'VLP16', calibration: vlp16Calibration });
    expectAgreement(hdl32.map((p) => ({ payload: asDual(p.payload), tsNs: p.tsNs })), { model: 'HDL32E', calibration: hdl32Calibration });
    const mixed = vlp16.map((p, i) => ({ payload: i % 7 < 3 ? asDual(p.payload) : p.payload, tsNs: p.tsNs }));
    expectAgreement(mixed, { model: 'VLP16' });
  });

  it('synthetic HDL-64E with every calibration correction, single and dual return, range limits', () => {
    const rng = createRng(64);
    const calibration = hdl64Calibration(rng);
    const packets = hdl64Packets(rng, 200); // 200 × 6 × 0.17° ≈ 1.15 turns: one wrap
    expect(expectAgreement(packets, { model: 'HDL64E', calibration })).toBeGreaterThan(50_000);
    const dual = packets.map((p) => ({ payload: asDual(p.payload, 2), tsNs: p.tsNs }));
    expectAgreement(dual, { model: 'HDL64E', calibration, minRange: 2, maxRange: 80 });
  });

  it('damaged packets: bad flags and azimuths, odd steps, unknown modes, wrong lengths, overflowing sweeps', () => {
    const rng = createRng(7);
    for (const [source, model, calibration] of [
      [vlp16, 'VLP16', vlp16Calibration],
      [hdl32, 'HDL32E', hdl32Calibration],
    ] as const) {
      const packets = damaged(source, rng, 600);
      const ts = decode(packets, { model: model as VelodyneModel, calibration }, 'ts');
      // The damage does reach every path the kernel hands back.
      for (const code of ['bad-block-flag', 'bad-azimuth', 'return-mode-change', 'unknown-return-mode', 'bad-length']) {
        expect(ts.stats.errors[code] ?? 0).toBeGreaterThan(0);
      }
      expectAgreement(packets, { model: model as VelodyneModel, calibration });
      // Small sweeps: the buffer grows (needRoom) and then overflows mid-packet.
      expectAgreement(packets, { model: model as VelodyneModel, calibration, maxSweepPoints: 1000 });
      expect(decode(packets, { model: model as VelodyneModel, maxSweepPoints: 1000 }, 'ts').stats.errors['sweep-overflow']).toBeGreaterThan(0);
    }
    const calibration = hdl64Calibration(rng);
    expectAgreement(damaged(hdl64Packets(rng, 50), rng, 300), { model: 'HDL64E', calibration, maxSweepPoints: 2000 });
  });
});

describe.skipIf(!kernel.available)('native Velodyne kernel wrapper', () => {
  function tables(): VelodyneKernelTables {
    const n = 32;
    const row = () => new Float64Array(n);
    return {
      lasers: n,
      laser: {
        cosRotCorr: row().fill(1), sinRotCorr: row(), cosVert: row().fill(1), sinVert: row(), distCorr: row(), distCorrX: row(),
        distCorrY: row(), vertOffset: row(), horizOffset: row(), ring: row(), twoPoint: new Uint8Array(n), focalSlope: row(),
        focalOffset: row(), minIntensity: row(), maxIntensity: row().fill(255),
      },
      cosRot: new Float64Array(36_000).fill(1),
      sinRot: new Float64Array(36_000),
      timingSingle: new Float64Array(384),
      timingDual: new Float64Array(384),
      vlp16Fraction: new Float64Array(32),
      distanceResolution: 0.002,
      minRange: 0.4,
      maxRange: 200,
      vlp16: false,
      hdl64: false,
    };
  }

  it('validates tables naming the argument', () => {
    expect(() => createVelodyneKernel({ ...tables(), lasers: 16 })).toThrow(/lasers must be 32/);
    expect(() => createVelodyneKernel({ ...tables(), cosRot: new Float64Array(100) })).toThrow(RangeError);
    expect(() => createVelodyneKernel({ ...tables(), cosRot: new Float64Array(100) })).toThrow(/cosRot/);
    expect(() => createVelodyneKernel({ ...tables(), vlp16Fraction: new Float64Array(32).fill(2) })).toThrow(/vlp16Fraction\[0\]/);
    const t = tables();
    expect(() => createVelodyneKernel({ ...t, laser: { ...t.laser, ring: new Float64Array(3) } })).toThrow(/laser.ring/);
    expect(() => createVelodyneKernel({ ...t, minRange: 5, maxRange: 1 })).toThrow(/minRange/);
  });

  it('stops at events, refuses bad state and never writes past the buffer', () => {
    const k = createVelodyneKernel(tables());
    const packet = hdl32[0].payload;
    // A fresh sweep stops at its first block for the stamp; a resume decodes on.
    k.io[VelodyneIo.block] = 0;
    expect(k.decode(packet, new Float32Array(6 * 1000))).toBe(VelodyneEvent.sweepStart);
    expect(k.io[VelodyneIo.block]).toBe(0);
    k.io[VelodyneIo.sweepStarted] = 1;
    k.io[VelodyneIo.resume] = 1;
    const small = new Float32Array(6 * 40);
    expect(k.decode(packet, small)).toBe(VelodyneEvent.needRoom);
    expect(k.io[VelodyneIo.block]).toBe(1);
    expect(k.io[VelodyneIo.count]).toBeLessThanOrEqual(32);
    k.io[VelodyneIo.count] = 1e9;
    expect(() => k.decode(packet, small)).toThrow(RangeError);
    k.io[VelodyneIo.count] = 0;
    k.io[VelodyneIo.lastAzimuthStep] = Number.NaN;
    expect(() => k.decode(packet, small)).toThrow(RangeError);
    expect(() => k.decode(packet.subarray(0, 1000), small)).toThrow(/1206/);
  });
});
