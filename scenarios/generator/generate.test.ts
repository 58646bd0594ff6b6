import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk, CameraFrame, GnssFix, Modality, PointCloud, RadarScan, SensorFrame } from '../../engine/core/frames.js';
import { pointFloats } from '../../engine/core/frames.js';
import { sensorExtrinsic } from '../../engine/config/load-rig.js';
import { transformPoint } from '../../engine/core/geometry.js';
import { nanosToSeconds } from '../../engine/core/time.js';
import { CALIBRATION_TOPIC } from '../topics.js';
import { planSpeech } from './audio.js';
import { geodeticToEnu } from './geodesy.js';
import { generateScenario, loadPresetRig, type GenerateResult } from './index.js';
import { SCENARIO_START } from './schedule.js';
import { readGenerated, type ReadBack } from './test-support.js';
import { readMonoWav } from './wav.js';
import { speechAssetPath } from './frame-producer.js';
import { createWorld, egoState } from './world.js';
import { mountOf, sensorPose } from './sensor-pose.js';

const SEED = 11;
const DURATION_S = 1.5;
const { rig } = loadPresetRig();
const modalityOf = Object.fromEntries(rig.sensors.map((s) => [s.id, s.modality as Modality]));
const sensor = (id: string) => rig.sensors.find((s) => s.id === id)!;

let dir: string;
let result: GenerateResult;
let file: ReadBack;
const framesOf = <T extends SensorFrame>(id: string): T[] => file.frames.filter((f) => f.sensorId === id) as T[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'percept-gen-'));
  let lastProgress = [0, 0];
  result = await generateScenario({ preset: 'nuscenes-like', durationS: DURATION_S, seed: SEED, out: join(dir, 's.mcap'), onProgress: (d, t) => (lastProgress = [d, t]) });
  expect(lastProgress[0]).toBe(lastProgress[1]);
  file = await readGenerated(result.path, modalityOf);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generateScenario (nuscenes-like, 1.5 s)', () => {
  it('writes calibration first, then messages in time order', () => {
    const firstFrame = file.topics.findIndex((t) => t !== CALIBRATION_TOPIC && !t.endsWith('/camera_info'));
    expect(file.topics.slice(0, firstFrame).filter((t) => t === CALIBRATION_TOPIC)).toHaveLength(rig.sensors.length);
    for (let i = 1; i < file.logTimes.length; i++) expect(file.logTimes[i] >= file.logTimes[i - 1]).toBe(true);
  });

  it('writes every sensor at its rate, each with its own phase and a fixed transport delay', () => {
    const firstStamps = new Set<bigint>();
    for (const s of rig.sensors) {
      const frames = framesOf(s.id);
      expect(frames.length, s.id).toBe(result.frames[s.id]);
      expect(Math.abs(frames.length - s.rateHz * DURATION_S), s.id).toBeLessThanOrEqual(1);
      const delays = new Set(frames.map((f) => f.receivedAt - f.stamp));
      expect(delays.size, s.id).toBe(1);
      const delayMs = Number([...delays][0]) / 1e6;
      expect(delayMs).toBeGreaterThanOrEqual(2);
      expect(delayMs).toBeLessThanOrEqual(8);
      expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
      firstStamps.add(frames[0].stamp);
    }
    expect(firstStamps.size).toBe(rig.sensors.length);
  });

  it('has ground truth at every LiDAR stamp', () => {
    const lidarStamps = framesOf('lidar_top').map((f) => f.stamp);
    expect(file.groundTruth.map((g) => g.stamp)).toEqual(lidarStamps);
    expect(result.groundTruth).toBe(lidarStamps.length);
    for (const gt of file.groundTruth) {
      expect(gt.objects.length).toBeGreaterThan(3);
      for (const o of gt.objects) expect(Math.hypot(o.position.x, o.position.y)).toBeLessThanOrEqual(80);
    }
  });

  it('puts LiDAR points on the actors where the ground truth says they are', () => {
    const toBase = sensorExtrinsic(sensor('lidar_top'));
    const clouds = framesOf<PointCloud>('lidar_top');
    let checked = 0;
    clouds.forEach((cloud, i) => {
      expect(cloud.stride).toBe(20);
      expect(cloud.fields.map((f) => f.name)).toEqual(['x', 'y', 'z', 'intensity', 'ring']);
      expect(cloud.count).toBeGreaterThan(15000);
      const f = pointFloats(cloud);
      const pts = Array.from({ length: cloud.count }, (_, k) => transformPoint(toBase, { x: f[5 * k], y: f[5 * k + 1], z: f[5 * k + 2] }));
      // Ground returns lie on z = 0 of base_link, within the range noise.
      const ground = pts.filter((p) => Math.abs(p.z) < 0.1).length;
      expect(ground / pts.length).toBeGreaterThan(0.5);
      for (const o of file.groundTruth[i].objects) {
        if ((o.lidarPoints ?? 0) < 10 || Math.hypot(o.position.x, o.position.y) > 40) continue;
        // The sweep takes 50 ms: an actor seen early in it has moved by up to its relative speed × 50 ms.
        const margin = 0.25 + 0.05 * Math.hypot(o.velocity.x, o.velocity.y) + 0.05 * 10;
        const c = Math.cos(o.yaw), s = Math.sin(o.yaw);
        const inside = pts.filter((p) => {
          const dx = p.x - o.position.x, dy = p.y - o.position.y;
          return Math.abs(c * dx + s * dy) <= o.size.x / 2 + margin && Math.abs(-s * dx + c * dy) <= o.size.y / 2 + margin && Math.abs(p.z - o.position.z) <= o.size.z / 2 + 0.1;
        }).length;
        expect(inside, `actor ${o.id} (${o.label}) in sweep ${i}`).toBeGreaterThanOrEqual(0.8 * (o.lidarPoints ?? 0));
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(20);
  });

  it('writes 1600×900 JPEGs', async () => {
    for (const s of rig.sensors.filter((x) => x.modality === 'camera')) {
      const frame = framesOf<CameraFrame>(s.id)[0];
      expect(frame.encoding).toBe('jpeg');
      const meta = await sharp(frame.data).metadata();
      expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 1600, 900, 3]);
      const stats = await sharp(frame.data).stats();
      expect(stats.channels[0].stdev).toBeGreaterThan(10);
    }
  });

  it('gives an approaching car a negative Doppler on the front radar', () => {
    const toBase = sensorExtrinsic(sensor('radar_front'));
    let seen = 0;
    for (const scan of framesOf<RadarScan>('radar_front')) {
      // The ground truth of the nearest LiDAR stamp, at most 25 ms away.
      const gt = file.groundTruth.reduce((a, b) => (abs(b.stamp - scan.stamp) < abs(a.stamp - scan.stamp) ? b : a));
      // Each strong return (clutter stays at or below 0 dBsm) belongs to the actor nearest to it.
      for (const t of scan.targets.filter((x) => x.rcs > 0)) {
        const p = transformPoint(toBase, t);
        const dist = (o: (typeof gt.objects)[number]) => Math.hypot(p.x - o.position.x, p.y - o.position.y);
        const o = gt.objects.reduce((a, b) => (dist(b) < dist(a) ? b : a));
        const approaching = o.label === 'car' && o.position.x > 5 && o.velocity.x < -5;
        if (!approaching || dist(o) > 3) continue;
        expect(t.doppler).toBeLessThan(-10);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(5);
  });

  it('writes GNSS fixes at the antenna within noise and NMEA quantization of the truth', () => {
    const world = createWorld(SEED);
    const mount = mountOf(sensor('gnss'));
    for (const fix of framesOf<GnssFix>('gnss')) {
      const t = nanosToSeconds(fix.stamp - SCENARIO_START);
      const truth = sensorPose(mount, egoState(world, t));
      const enu = geodeticToEnu(world.anchor, fix.latitude, fix.longitude, fix.altitudeMsl);
      expect(Math.hypot(enu.east - truth.ox, enu.north - truth.oy)).toBeLessThan(0.5);
      expect(Math.abs(enu.up - truth.oz)).toBeLessThan(0.5);
      expect(fix.fixType).toBe('dgps');
      expect(fix.speed).toBeCloseTo(egoState(world, t).speed, 1);
      // ddmm.mmmm: the latitude is a whole number of 1e-4 minutes.
      const units = Math.abs(fix.latitude) * 60 * 1e4;
      expect(Math.abs(units - Math.round(units))).toBeLessThan(1e-4);
    }
  });

  it('records the speech over the road noise', () => {
    const chunks = framesOf<AudioChunk>('mic');
    expect(chunks[0].samples.length).toBe(1600);
    expect(chunks[0].sampleRate).toBe(16000);
    const audio = new Float32Array(chunks.length * 1600);
    chunks.forEach((c, i) => audio.set(c.samples, i * 1600));
    const speech = readMonoWav(speechAssetPath()).samples;
    const origin = nanosToSeconds(chunks[0].stamp - SCENARIO_START);
    const [first] = planSpeech(SEED, DURATION_S, speech.length / 16000);
    const start = Math.round((first.startS - origin) * 16000);
    const from = Math.round(first.offsetS * 16000);
    expect(start).toBeGreaterThan(1600);
    const rms = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0) / a.length);
    const during = audio.subarray(start, audio.length);
    const expected = speech.subarray(from, from + during.length);
    const before = audio.subarray(0, start);
    expect(rms(during)).toBeGreaterThan(2 * rms(before));
    // What is left after taking the speech away is the quieter road noise.
    const residual = during.map((x, i) => x - expected[i]);
    expect(rms(residual)).toBeLessThan(rms(before) * 1.5);
    expect(rms(residual)).toBeLessThan(0.5 * rms(expected));
  });
});

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}
