import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCapture } from '../capture/capture-reader.js';
import { udpDatagrams, type UdpDatagram } from '../capture/udp.js';
import { fieldOffset, pointFloats, type PointCloud } from '../../engine/core/frames.js';
import { createRng } from '../../engine/core/prng.js';
import { nominalVelodyneCalibration, parseVelodyneCalibration, velodyneCalibrationFromObject } from './calibration.js';
import { createVelodyneDecoder, velodyneDecoderOptionsSchema, type VelodyneDecoderOptions } from './velodyne.js';

const here = (name: string) => new URL(`../../test/fixtures/lidar_pcap/velodyne/${name}`, import.meta.url);
const DEG = 180 / Math.PI;

function datagrams(file: string, port: number): UdpDatagram[] {
  return [...udpDatagrams(parseCapture(new Uint8Array(readFileSync(here(file)))).records)].filter((d) => d.dstPort === port);
}

const hdl32 = datagrams('velodyne_vlp32.pcap', 2368);
const vlp16 = datagrams('velodyne_vlp16.pcap', 2368);
const hdl32Calibration = parseVelodyneCalibration(readFileSync(here('32db.yaml'), 'utf8'));
const vlp16Calibration = parseVelodyneCalibration(readFileSync(here('VLP16db.yaml'), 'utf8'));

function decodeAll(packets: UdpDatagram[], options: Omit<VelodyneDecoderOptions, 'sensorId'>): { clouds: PointCloud[]; perPacket: number[] } {
  const decoder = createVelodyneDecoder({ sensorId: 'lidar_top', ...options });
  const clouds: PointCloud[] = [];
  const perPacket: number[] = [];
  let before = 0;
  for (const p of packets) {
    const out = decoder.push(p.payload, p.tsNs);
    clouds.push(...out);
    const total = clouds.reduce((n, c) => n + c.count, 0);
    perPacket.push(total - before);
    before = total;
  }
  clouds.push(...decoder.flush());
  expect(decoder.stats.errors).toEqual({});
  expect(decoder.stats.accepted).toBe(packets.length);
  return { clouds, perPacket };
}

/** Points of a packet with a non-zero raw distance inside the range limits, counted from the bytes. */
function expectedPoints(payload: Uint8Array, calibrationDistCorr = 0): number {
  let n = 0;
  for (let b = 0; b < 12; b++) {
    for (let k = 0; k < 32; k++) {
      const p = b * 100 + 4 + k * 3;
      const raw = payload[p] | (payload[p + 1] << 8);
      const d = raw * 0.002 + calibrationDistCorr;
      if (raw !== 0 && d >= 0.4 && d <= 200) n++;
    }
  }
  return n;
}

/** Points of each packet decoded on its own. */
function pointsPerPacket(packets: UdpDatagram[], model: 'VLP16' | 'HDL32E'): number[] {
  const decoder = createVelodyneDecoder({ sensorId: 'l', model });
  return packets.map((p) => [...decoder.push(p.payload, p.tsNs), ...decoder.flush()].reduce((n, c) => n + c.count, 0));
}

function column(cloud: PointCloud, name: string): number[] {
  const f = pointFloats(cloud);
  const o = fieldOffset(cloud, name)! / 4;
  const s = cloud.stride / 4;
  return Array.from({ length: cloud.count }, (_, i) => f[i * s + o]);
}

/** Azimuth span (degrees) of a sweep, measured clockwise as the sensor turns. */
function azimuthSpan(cloud: PointCloud): number {
  const x = column(cloud, 'x');
  const y = column(cloud, 'y');
  // Velodyne azimuth is clockwise from forward: atan2(-y, x). The span is 360° less the largest gap.
  const az = x.map((xi, i) => (((Math.atan2(-y[i], xi) * DEG) % 360) + 360) % 360).sort((a, b) => a - b);
  let gap = az[0] + 360 - az[az.length - 1];
  for (let i = 1; i < az.length; i++) gap = Math.max(gap, az[i] - az[i - 1]);
  return 360 - gap;
}

describe('Velodyne calibration', () => {
  it('reads the ROS YAML files, assigns rings by elevation and matches the nominal angles', () => {
    expect(hdl32Calibration.numLasers).toBe(32);
    expect(vlp16Calibration.numLasers).toBe(16);
    expect(hdl32Calibration.distanceResolution).toBe(0.002);
    for (const [file, model] of [[hdl32Calibration, 'HDL32E'], [vlp16Calibration, 'VLP16']] as const) {
      const nominal = nominalVelodyneCalibration(model);
      file.lasers.forEach((l, i) => {
        // The files hold degrees rounded to 0.01 converted with a slightly different π: within 1e-8 rad.
        expect(nominal.lasers[i].vertCorrection).toBeCloseTo(l.vertCorrection, 8);
        expect(nominal.lasers[i].ring).toBe(l.ring);
      });
      const byRing = [...file.lasers].sort((a, b) => a.ring - b.ring);
      for (let r = 1; r < byRing.length; r++) expect(byRing[r].vertCorrection).toBeGreaterThan(byRing[r - 1].vertCorrection);
    }
    expect(vlp16Calibration.lasers[0].ring).toBe(0); // -15°
    expect(vlp16Calibration.lasers[15].ring).toBe(15); // +15°
  });

  it('rejects bad calibrations naming the field', () => {
    expect(() => parseVelodyneCalibration('lasers: 3\nnum_lasers: 2')).toThrow(/lasers/);
    expect(() => parseVelodyneCalibration('{ nope')).toThrow(/not YAML/);
    expect(() =>
      velodyneCalibrationFromObject({ num_lasers: 2, lasers: [{ laser_id: 0, rot_correction: 0, vert_correction: 0, dist_correction: 0 }] }),
    ).toThrow(/laser_id 1/);
    expect(() => createVelodyneDecoder({ sensorId: 'l', model: 'VLP16', calibration: hdl32Calibration })).toThrow(/calibration: 32 lasers/);
    expect(() => createVelodyneDecoder({ sensorId: 'l', model: 'HDL64E' })).toThrow(/calibration/);
    expect(velodyneDecoderOptionsSchema.safeParse({ model: 'HDL32E', calibrationFile: '32db.yaml', maxRange: 120 }).success).toBe(true);
    expect(velodyneDecoderOptionsSchema.safeParse({ model: 'HDL99' }).success).toBe(false);
  });
});

describe('HDL-32E capture (the file named vlp32)', () => {
  const { clouds, perPacket } = decodeAll(hdl32, { model: 'HDL32E', calibration: hdl32Calibration });

  it('splits at the azimuth wrap: one sweep up to 360°, one partial sweep at flush', () => {
    expect(clouds).toHaveLength(2);
    expect(clouds.map((c) => c.seq)).toEqual([0, 1]);
    // Packet azimuths run 221.73° → 360° and 0° → 76.61° (+ one block).
    expect(azimuthSpan(clouds[0])).toBeGreaterThan(137);
    expect(azimuthSpan(clouds[0])).toBeLessThan(139);
    expect(azimuthSpan(clouds[1])).toBeGreaterThan(76);
    expect(azimuthSpan(clouds[1])).toBeLessThan(77.5);
    for (const c of clouds) {
      expect(c.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity', 'ring', 't']);
      expect(c.stride).toBe(24);
      expect(c.data.byteLength).toBe(c.count * 24);
      expect(c.frameId).toBe('lidar_top');
    }
  });

  it('gives every in-range return of every packet, nothing else', () => {
    const expected = hdl32.map((p) => expectedPoints(p.payload));
    expect(clouds.reduce((n, c) => n + c.count, 0)).toBe(expected.reduce((a, b) => a + b, 0));
    expect(Math.max(...expected)).toBeLessThanOrEqual(384);
    expect(pointsPerPacket(hdl32, 'HDL32E')).toEqual(expected);
    void perPacket;
  });

  it('puts each ring at its calibrated elevation and keeps ranges sane', () => {
    const vertByRing = new Map(hdl32Calibration.lasers.map((l) => [l.ring, l.vertCorrection * DEG]));
    for (const c of clouds) {
      const [x, y, z, ring] = ['x', 'y', 'z', 'ring'].map((n) => column(c, n));
      const rings = new Set<number>();
      let minRange = Infinity;
      let maxRange = 0;
      let worstElevation = 0;
      for (let i = 0; i < c.count; i++) {
        const h = Math.hypot(x[i], y[i]);
        const range = Math.hypot(h, z[i]);
        minRange = Math.min(minRange, range);
        maxRange = Math.max(maxRange, range);
        worstElevation = Math.max(worstElevation, Math.abs(Math.atan2(z[i], h) * DEG - vertByRing.get(ring[i])!));
        rings.add(ring[i]);
      }
      expect(minRange).toBeGreaterThanOrEqual(0.4 - 1e-4);
      expect(maxRange).toBeLessThanOrEqual(200);
      expect(worstElevation).toBeLessThan(0.05);
      expect(rings.size).toBe(32);
    }
  });

  it('stamps sweeps from the packet time in the capture hour; t follows the 46.08/1.152 µs firing table', () => {
    // This unit's clock followed GPS: µs past the hour agrees with the capture host's clock to 0.9 s.
    const first = hdl32[0];
    const toh = new DataView(first.payload.buffer, first.payload.byteOffset).getUint32(1200, true);
    expect(clouds[0].stamp).toBe((first.tsNs / 3_600_000_000_000n) * 3_600_000_000_000n + BigInt(toh) * 1000n);
    expect(Number(first.tsNs - clouds[0].stamp)).toBeGreaterThan(0);
    expect(Number(first.tsNs - clouds[0].stamp)).toBeLessThan(1e9);
    // 553 µs between packets: 12 blocks of 46.08 µs.
    const tohs = hdl32.map((p) => new DataView(p.payload.buffer, p.payload.byteOffset).getUint32(1200, true));
    for (let i = 1; i < tohs.length; i++) expect(Math.abs(tohs[i] - tohs[i - 1] - 553)).toBeLessThanOrEqual(1);
    const t = column(clouds[0], 't');
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    // The first sweep spans from the first packet to the wrap: 58 packets, about 32 ms.
    expect(Math.max(...t)).toBeGreaterThan(0.02);
    expect(Math.max(...t)).toBeLessThan(0.04);
    // Second point of the first block: laser 1 fires 1.152 µs after laser 0 (both in range here).
    const ring = column(clouds[0], 'ring');
    const laserOfRing = new Map(hdl32Calibration.lasers.map((l) => [l.ring, l.laserId]));
    for (let i = 0; i < 10; i++) expect(t[i] * 1e6).toBeCloseTo(laserOfRing.get(ring[i])! * 1.152, 2);
    // The second sweep starts at the block after the wrap, its t at 0.
    expect(Math.min(...column(clouds[1], 't'))).toBeGreaterThanOrEqual(0);
    expect(clouds[1].stamp > clouds[0].stamp).toBe(true);
  });
});

describe('VLP-16 capture', () => {
  const { clouds, perPacket } = decodeAll(vlp16, { model: 'VLP16', calibration: vlp16Calibration });

  it('covers the capture\'s share of a revolution: 84 packets × 24 firings × 0.2° ≈ 403°, wrapping once', () => {
    // 0.111 s at 10 Hz is 1.11 revolutions (not 1/9 of one): 250.35° → 360°, then 0° → 291°.
    expect(clouds).toHaveLength(2);
    expect(azimuthSpan(clouds[0])).toBeGreaterThan(108);
    expect(azimuthSpan(clouds[0])).toBeLessThan(111);
    expect(azimuthSpan(clouds[1])).toBeGreaterThan(290);
    expect(azimuthSpan(clouds[1])).toBeLessThan(292);
    expect(clouds.reduce((n, c) => n + c.count, 0)).toBe(vlp16.reduce((n, p) => n + expectedPoints(p.payload), 0));
    expect(pointsPerPacket(vlp16, 'VLP16')).toEqual(vlp16.map((p) => expectedPoints(p.payload)));
  });

  it('puts rings at their elevations, 16 of them, and times firings 55.296/2.304 µs apart', () => {
    const vertByRing = new Map(vlp16Calibration.lasers.map((l) => [l.ring, l.vertCorrection * DEG]));
    const c = clouds[1];
    const [x, y, z, ring, t] = ['x', 'y', 'z', 'ring', 't'].map((n) => column(c, n));
    let worstElevation = 0;
    for (let i = 0; i < c.count; i++) {
      worstElevation = Math.max(worstElevation, Math.abs(Math.atan2(z[i], Math.hypot(x[i], y[i])) * DEG - vertByRing.get(ring[i])!));
    }
    expect(worstElevation).toBeLessThan(0.05);
    expect(new Set(ring).size).toBe(16);
    // Each packet covers 24 firings of 55.296 µs = 1.327 ms, the spacing of the packets.
    const tMax = Math.max(...t);
    const packets = perPacket.length;
    expect(tMax).toBeLessThan((packets * 1.3271e-3) + 1e-4);
    // Times are a multiple of 2.304 µs within a firing: fractional firing offsets match the table.
    const laserOfRing = new Map(vlp16Calibration.lasers.map((l) => [l.ring, l.laserId]));
    const t0 = t[0];
    for (let i = 1; i < 8; i++) {
      const dt = (t[i] - t0) * 1e6;
      const dLaser = laserOfRing.get(ring[i])! - laserOfRing.get(ring[0])!;
      const firings = (dt - dLaser * 2.304) / 55.296;
      expect(Math.abs(firings - Math.round(firings))).toBeLessThan(0.01);
    }
  });

  it('keeps the unsynchronized clock\'s stamp in the receive hour, or uses receipt time on request', () => {
    // This unit's µs-past-the-hour (5:32.9) is unrelated to the capture time (18:36:57): nearest hour wins.
    const nearest = clouds[0].stamp - vlp16[0].tsNs;
    expect(nearest < 1_800_000_000_000n && nearest > -1_800_000_000_000n).toBe(true);
    const byReceipt = decodeAll(vlp16, { model: 'VLP16', timeSource: 'receipt' }).clouds;
    expect(byReceipt[0].stamp).toBe(vlp16[0].tsNs);
  });

  it('decodes dual-return packets as two returns marked by `return`', () => {
    const packet = vlp16[10].payload.slice();
    packet[1204] = 0x39;
    // Dual packets repeat each azimuth for the pair of blocks.
    for (let b = 1; b < 12; b += 2) packet.copyWithin(b * 100 + 2, (b - 1) * 100 + 2, (b - 1) * 100 + 4);
    const decoder = createVelodyneDecoder({ sensorId: 'l', model: 'VLP16' });
    decoder.push(packet, 1n);
    const [cloud] = decoder.flush();
    expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity', 'ring', 't', 'return']);
    expect(cloud.stride).toBe(28);
    const ret = column(cloud, 'return');
    expect(new Set(ret)).toEqual(new Set([0, 1]));
    expect(cloud.count).toBe(expectedPoints(packet));
    // Pairs share firing times: the t of block 2k+1 equals the t of block 2k.
    const t = column(cloud, 't');
    expect(Math.max(...t)).toBeLessThan(12 * 55.296e-6 + 1e-6);
  });
});

describe('HDL-64E and calibration offsets', () => {
  function syntheticCalibration(vertOffset: number, horizOffset: number) {
    return velodyneCalibrationFromObject({
      num_lasers: 64,
      distance_resolution: 0.002,
      lasers: Array.from({ length: 64 }, (_, i) => ({
        laser_id: i,
        rot_correction: (i % 3) * 0.01,
        vert_correction: ((-24 + i * 0.5) * Math.PI) / 180,
        dist_correction: 0.05,
        vert_offset_correction: vertOffset,
        horiz_offset_correction: horizOffset,
      })),
    });
  }

  function packet64(): Uint8Array {
    const p = new Uint8Array(1206);
    const v = new DataView(p.buffer);
    for (let b = 0; b < 12; b++) {
      v.setUint16(b * 100, b % 2 === 0 ? 0xeeff : 0xddff, true);
      v.setUint16(b * 100 + 2, 1000 + (b >> 1) * 9, true);
      for (let k = 0; k < 32; k++) {
        v.setUint16(b * 100 + 4 + k * 3, 5000 + k * 10, true); // 10 m and up
        p[b * 100 + 6 + k * 3] = k;
      }
    }
    v.setUint32(1200, 1000, true);
    p[1204] = 0x37;
    return p;
  }

  it('maps upper blocks to lasers 0–31 and lower blocks to 32–63, applying the offsets as rawdata.cpp', () => {
    const vo = 0.2;
    const ho = 0.026;
    const calibration = syntheticCalibration(vo, ho);
    const decoder = createVelodyneDecoder({ sensorId: 'l', model: 'HDL64E', calibration });
    decoder.push(packet64(), 3_600_000_000_000n);
    const [cloud] = decoder.flush();
    expect(cloud.count).toBe(384);
    const [x, y, z, ring] = ['x', 'y', 'z', 'ring'].map((n) => column(cloud, n));
    expect(new Set(ring.slice(0, 32))).toEqual(new Set(Array.from({ length: 32 }, (_, i) => i)));
    expect(new Set(ring.slice(32, 64))).toEqual(new Set(Array.from({ length: 32 }, (_, i) => 32 + i)));
    for (let i = 0; i < 64; i++) {
      const laser = calibration.lasers.find((l) => l.ring === ring[i])!;
      const d = (5000 + (i % 32) * 10) * 0.002 + 0.05;
      // With offsets: z = d·sinθ + vo·cosθ and horizontal distance² = (d·cosθ − vo·sinθ)² + ho².
      expect(z[i]).toBeCloseTo(d * Math.sin(laser.vertCorrection) + vo * Math.cos(laser.vertCorrection), 4);
      const xy = d * Math.cos(laser.vertCorrection) - vo * Math.sin(laser.vertCorrection);
      expect(Math.hypot(x[i], y[i])).toBeCloseTo(Math.hypot(xy, ho), 4);
      // Elevation from the corrected origin matches vert_correction within 0.05°.
      expect(Math.abs(Math.atan2(z[i] - vo * Math.cos(laser.vertCorrection), xy + vo * Math.sin(laser.vertCorrection)) - laser.vertCorrection) * DEG).toBeLessThan(0.05);
    }
  });
});

describe('bad input', () => {
  const real = [vlp16[3].payload, hdl32[5].payload];

  it('counts wrong sizes, position packets and damaged blocks without throwing', () => {
    const decoder = createVelodyneDecoder({ sensorId: 'l', model: 'HDL32E' });
    decoder.push(new Uint8Array(512), 0n);
    decoder.push(new Uint8Array(1248), 0n);
    const bad = real[1].slice();
    bad[100] = 0x12;
    bad[202] = 0xff;
    bad[203] = 0xff;
    decoder.push(bad, 0n);
    expect(decoder.stats.errors).toEqual({ 'position-packet': 1, 'bad-length': 1, 'bad-block-flag': 1, 'bad-azimuth': 1 });
    const [cloud] = decoder.flush();
    expect(cloud.count).toBeLessThanOrEqual(320);
  });

  it('keeps sweeps within maxSweepPoints over 10k random packets', () => {
    const rng = createRng(5);
    const decoder = createVelodyneDecoder({ sensorId: 'l', model: 'VLP16', maxSweepPoints: 5000 });
    const packet = vlp16[0].payload.slice();
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      // Real framing, random contents: azimuths wander, so sweeps end at random places.
      for (let k = 0; k < 40; k++) packet[rng.int(0, 1199)] = rng.int(0, 255);
      for (const c of decoder.push(packet, BigInt(i))) largest = Math.max(largest, c.count);
    }
    for (const c of decoder.flush()) largest = Math.max(largest, c.count);
    expect(largest).toBeLessThanOrEqual(5000);
    expect(decoder.stats.accepted + Object.values(decoder.stats.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('never throws, never emits NaN or out-of-range points, stays bounded (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 1206, maxLength: 1206 }),
            fc.uint8Array({ maxLength: 1300 }),
            fc.tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(1205), fc.nat(7)), { maxLength: 20 })).map(([p, flips]) => {
              const c = p.slice();
              for (const [at, bit] of flips) c[at] ^= 1 << bit;
              return c;
            }),
            fc.tuple(fc.constantFrom(...real), fc.nat(1206)).map(([p, n]) => p.subarray(0, n)),
          ),
          { maxLength: 12 },
        ),
        fc.constantFrom('VLP16', 'HDL32E') as fc.Arbitrary<'VLP16' | 'HDL32E'>,
        (packets, model) => {
          const decoder = createVelodyneDecoder({ sensorId: 'l', model, maxSweepPoints: 2000 });
          const clouds: PointCloud[] = [];
          packets.forEach((p, i) => clouds.push(...decoder.push(p, BigInt(i) * 1_000_000n)));
          clouds.push(...decoder.flush());
          for (const c of clouds) {
            expect(c.count).toBeLessThanOrEqual(2000);
            expect(pointFloats(c).every(Number.isFinite)).toBe(true);
          }
          // A packet cut to exactly 512 bytes has a position packet's size and is counted as one.
          const rejected = packets.filter((p) => p.length !== 1206 && p.length !== 512).length;
          expect(decoder.stats.errors['bad-length'] ?? 0).toBe(rejected);
        },
      ),
      { numRuns: 100 },
    );
  });
});
