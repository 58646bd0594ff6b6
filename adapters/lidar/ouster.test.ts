import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCapture } from '../capture/capture-reader.js';
import { udpDatagrams, type UdpDatagram } from '../capture/udp.js';
import { DecoderStatsCounter } from '../decoder.js';
import { fieldOffset, pointFloats, type PointCloud } from '../../engine/core/frames.js';
import { ousterSensorInfoFromObject, parseOusterMetadata } from './ouster-metadata.js';
import { createOusterDecoder, createOusterScanAssembler, destagger, ousterDecoderOptionsSchema, type OusterScan } from './ouster.js';

const dir = new URL('../../test/fixtures/lidar_pcap/ouster/', import.meta.url);
const LEGACY = 'OS-1-32-G_v2.1.1_1024x10';
const LOW_DATA = 'OS-0-128-U1_v2.3.0_1024x10';
const DEG = 180 / Math.PI;

function load(name: string) {
  const packets = [...udpDatagrams(parseCapture(new Uint8Array(readFileSync(new URL(`${name}.pcap`, dir)))).records)];
  const metadataText = readFileSync(new URL(`${name}.json`, dir), 'utf8');
  const digest = JSON.parse(readFileSync(new URL(`${name}_digest.json`, dir), 'utf8')) as { scans: Record<string, string>[] };
  return { packets, metadataText, info: parseOusterMetadata(metadataText), digest: digest.scans[0] };
}

function md5(a: ArrayBufferView): string {
  return createHash('md5').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

function scansOf(packets: UdpDatagram[], info: ReturnType<typeof parseOusterMetadata>): OusterScan[] {
  const stats = new DecoderStatsCounter();
  const assembler = createOusterScanAssembler(info, stats);
  const scans = packets.filter((p) => p.dstPort === 7502).flatMap((p) => assembler.push(p.payload, p.tsNs));
  scans.push(...assembler.flush());
  expect(stats.errors).toEqual({});
  return scans;
}

function column(cloud: PointCloud, name: string): Float32Array {
  const f = pointFloats(cloud);
  const o = fieldOffset(cloud, name)! / 4;
  const out = new Float32Array(cloud.count);
  for (let i = 0; i < cloud.count; i++) out[i] = f[i * 8 + o];
  return out;
}

for (const name of [LEGACY, LOW_DATA]) {
  describe(`Ouster ${name}`, () => {
    const { packets, metadataText, info, digest } = load(name);

    it('reproduces Ouster\'s scan digests (staggered H×W, RANGE u32 mm, SIGNAL u16, REFLECTIVITY u8, NEAR_IR u16)', () => {
      const [scan, ...rest] = scansOf(packets, info);
      expect(rest).toHaveLength(0);
      expect(String(scan.frameId)).toBe(digest.FRAME_ID);
      expect(scan.columnsReceived).toBe(1024);
      expect(md5(scan.range)).toBe(digest.RANGE);
      expect(md5(scan.reflectivity)).toBe(digest.REFLECTIVITY);
      expect(md5(scan.nearIr)).toBe(digest.NEAR_IR);
      if (digest.SIGNAL) expect(md5(scan.signal)).toBe(digest.SIGNAL);
      expect(md5(scan.measurementId)).toBe(digest.MEASUREMENT_ID);
      expect(md5(scan.timestamp)).toBe(digest.TIMESTAMP);
    });

    it('emits one cloud of the frame with beams at their altitudes and sane ranges', () => {
      const decoder = createOusterDecoder({ sensorId: 'os', metadata: metadataText });
      const clouds = packets.flatMap((p) => decoder.push(p.payload, p.tsNs));
      // The frame completes with its last column: no flush needed.
      expect(clouds).toHaveLength(1);
      expect(decoder.flush()).toHaveLength(0);
      expect(decoder.stats.errors).toEqual({});
      expect(decoder.stats.accepted).toBe(64);
      expect(decoder.imuPackets).toBe(name === LOW_DATA ? 10 : 0);
      const cloud = clouds[0];
      expect(cloud.stride).toBe(32);
      expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity', 'reflectivity', 'near_ir', 'ring', 't']);
      const scan = scansOf(packets, info)[0];
      expect(cloud.count).toBe(scan.range.filter((r) => r > 0).length);
      const [x, y, z, ring, t] = ['x', 'y', 'z', 'ring', 't'].map((n) => column(cloud, n));
      const altitudes = [...info.beamAltitudeAngles].sort((a, b) => a - b);
      const n = info.beamOriginXMm / 1000;
      const lidarZ = info.lidarToSensorTransform[11] / 1000;
      let worst = 0;
      let maxRange = 0;
      const rings = new Set<number>();
      for (let i = 0; i < cloud.count; i++) {
        const hd = Math.hypot(x[i], y[i]);
        const range = Math.hypot(hd, z[i] - lidarZ);
        maxRange = Math.max(maxRange, range);
        rings.add(ring[i]);
        // Elevation seen from the beam origin (n from the axis), in the lidar frame (z − lidar height).
        if (range > 1) worst = Math.max(worst, Math.abs(Math.atan2(z[i] - lidarZ, hd - n) * DEG - altitudes[ring[i]]));
      }
      expect(worst).toBeLessThan(0.05);
      // Within what the profile can encode (20 bits of mm; 15 bits of 8 mm) and beyond the sensors' blind zone.
      expect(maxRange).toBeLessThan(name === LOW_DATA ? 262.2 : 1048.6);
      expect(maxRange).toBeGreaterThan(100);
      expect(rings.size).toBe(info.pixelsPerColumn);
      // One revolution at 10 Hz: column times span just under 100 ms.
      expect(Math.min(...t)).toBe(0);
      expect(Math.max(...t)).toBeGreaterThan(0.099);
      expect(Math.max(...t)).toBeLessThan(0.1);
      // Sensor clock counts from boot here: the stamp is the receive time of the first packet.
      expect(cloud.stamp).toBe(packets.find((p) => p.dstPort === 7502)!.tsNs);
      // Destaggered order: azimuth decreases monotonically (counter-clockwise scan seen from above).
      const az = Array.from({ length: 200 }, (_, i) => Math.atan2(y[i * 97], x[i * 97]));
      let inversions = 0;
      for (let i = 1; i < az.length; i++) if (Math.abs(az[i] - az[i - 1]) < 1 && az[i] > az[i - 1] + 0.05) inversions++;
      expect(inversions).toBeLessThan(5);
    });
  });
}

describe('Ouster metadata and helpers', () => {
  const legacyText = readFileSync(new URL(`${LEGACY}.json`, dir), 'utf8');

  it('reads the flat layout and the nested layout of later firmware alike', () => {
    const flat = JSON.parse(legacyText);
    const nested = {
      beam_intrinsics: {
        beam_altitude_angles: flat.beam_altitude_angles,
        beam_azimuth_angles: flat.beam_azimuth_angles,
        lidar_origin_to_beam_origin_mm: flat.lidar_origin_to_beam_origin_mm,
        beam_to_lidar_transform: [1, 0, 0, flat.lidar_origin_to_beam_origin_mm, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
      },
      lidar_data_format: { ...flat.data_format, udp_profile_lidar: 'LEGACY' },
      lidar_intrinsics: { lidar_to_sensor_transform: flat.lidar_to_sensor_transform },
      config_params: { udp_profile_lidar: 'LEGACY', udp_port_lidar: 7502 },
      sensor_info: { prod_line: flat.prod_line },
    };
    expect(ousterSensorInfoFromObject(nested)).toEqual(parseOusterMetadata(legacyText));
    expect(parseOusterMetadata(legacyText).profile).toBe('LEGACY');
  });

  it('rejects bad metadata naming the field, and unsupported profiles', () => {
    const flat = JSON.parse(legacyText);
    expect(() => ousterSensorInfoFromObject({ ...flat, beam_altitude_angles: [1, 2] })).toThrow(/beamAltitudeAngles/);
    expect(() => ousterSensorInfoFromObject({ ...flat, data_format: { ...flat.data_format, udp_profile_lidar: 'FUSA_RNG15' } })).toThrow(/profile/);
    expect(() => parseOusterMetadata('{')).toThrow(/not JSON/);
    expect(ousterDecoderOptionsSchema.safeParse({ metadataFile: 'os.json', timeSource: 'receipt' }).success).toBe(true);
    expect(ousterDecoderOptionsSchema.safeParse({}).success).toBe(false);
  });

  it('destaggers by rolling each row by its pixel shift', () => {
    const info = { ...parseOusterMetadata(legacyText), columnsPerFrame: 4, pixelsPerColumn: 2, pixelShiftByRow: [0, 1] };
    expect([...destagger(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8]), info)]).toEqual([1, 2, 3, 4, 8, 5, 6, 7]);
  });
});

describe('Ouster bad input', () => {
  const { packets, info, metadataText } = load(LOW_DATA);
  const lidar = packets.filter((p) => p.dstPort === 7502).map((p) => p.payload);

  it('counts wrong sizes, foreign init ids, late and duplicate packets', () => {
    const decoder = createOusterDecoder({ sensorId: 'os', metadata: info });
    decoder.push(new Uint8Array(100), 0n);
    const foreign = lidar[0].slice();
    foreign[4] ^= 0xff;
    decoder.push(foreign, 0n);
    decoder.push(lidar[0], 0n);
    decoder.push(lidar[0], 0n);
    expect(decoder.stats.errors).toEqual({ 'bad-length': 1, 'init-id-mismatch': 1, 'duplicate-column': 16 });
    const partial = decoder.flush();
    expect(partial).toHaveLength(1);
    expect(decoder.stats.errors['incomplete-frame']).toBe(1);
    decoder.push(lidar[1], 0n);
    expect(decoder.stats.errors['late-packet']).toBe(1);
  });

  it('never throws, never emits non-finite points, holds at most one frame (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 9000 }),
            fc.tuple(fc.constantFrom(...lidar.slice(0, 4)), fc.array(fc.tuple(fc.nat(8447), fc.nat(7)), { maxLength: 30 })).map(([p, flips]) => {
              const c = p.slice();
              for (const [at, bit] of flips) c[at] ^= 1 << bit;
              return c;
            }),
            fc.tuple(fc.constantFrom(...lidar.slice(0, 4)), fc.nat(8448)).map(([p, n]) => p.subarray(0, n)),
          ),
          { maxLength: 8 },
        ),
        (input) => {
          const decoder = createOusterDecoder({ sensorId: 'os', metadata: metadataText });
          const clouds = input.flatMap((p, i) => decoder.push(p, BigInt(i)));
          clouds.push(...decoder.flush());
          for (const c of clouds) {
            expect(c.count).toBeLessThanOrEqual(128 * 1024);
            expect(pointFloats(c).every(Number.isFinite)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
