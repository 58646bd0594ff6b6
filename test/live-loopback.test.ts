import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCapture } from '../adapters/capture/capture-reader.js';
import { udpDatagrams } from '../adapters/capture/udp.js';
import { decodeFile } from '../adapters/decode-file.js';
import { liveInput } from '../adapters/live-input.js';
import type { TransportStatus } from '../adapters/transports/transport.js';
import { recordLive } from '../engine/cli/record-command.js';
import { validateRig } from '../engine/config/load-rig.js';
import type { Rig, RigInput } from '../engine/config/rig-schema.js';
import type { GnssFix, PointCloud, SensorFrame } from '../engine/core/frames.js';
import { createRng } from '../engine/core/prng.js';
import type { Nanos } from '../engine/core/time.js';
import { createEngine } from '../engine/engine.js';
import { replayScenario } from '../engine/replay.js';

/*
 * The issue's integration test: an engine whose sensors are live over loopback. A Velodyne HDL-32E
 * on UDP (the real capture's 1206-byte payloads sent to the port the transport bound) and a GNSS
 * receiver's NMEA over TCP (a real gpsd test log served in odd-sized chunks). What comes out of
 * engine.frames$ must be what `percept decode` (decodeFile) gives for the same files.
 *
 * Stamps. A Velodyne packet carries only µs past the hour; the hour comes from the receive time.
 * In the capture that is the pcap record time (2012); live it is the engine clock. The live input
 * is therefore given a clock that starts at the capture's first record time and runs on the wall
 * clock: the stamps then match exactly. (On the real clock they would match modulo one hour.)
 * NMEA: bu353s4.log has an RMC with the date in every epoch, so the dates come from the log and
 * the stamps match exactly too; the time of day is compared on its own first, because with a log
 * without dates the date would follow receivedAt.
 */

const VELODYNE = fileURLToPath(new URL('./fixtures/lidar_pcap/velodyne/', import.meta.url));
const PCAP = VELODYNE + 'velodyne_vlp32.pcap';
const CALIBRATION = VELODYNE + '32db.yaml';
const NMEA_LOG = fileURLToPath(new URL('./fixtures/gps_nmea/bu353s4.log', import.meta.url));
const NS_PER_DAY = 86_400_000_000_000n;

const DATAGRAMS = [...udpDatagrams(parseCapture(readFileSync(PCAP)).records)].filter((d) => d.dstPort === 2368);
const CAPTURE_START: Nanos = DATAGRAMS[0].tsNs;

/** A clock at the capture's time that advances with the wall clock. */
function captureClock(): () => Nanos {
  const t0 = process.hrtime.bigint();
  return () => CAPTURE_START + (process.hrtime.bigint() - t0);
}

async function referenceFrames(): Promise<{ lidar: PointCloud[]; gnss: GnssFix[] }> {
  const collect = async <T>(items: AsyncGenerator<unknown>): Promise<T[]> => {
    const out: T[] = [];
    for await (const item of items) out.push(item as T);
    return out;
  };
  const lidar = await collect<PointCloud>((await decodeFile('velodyne-pcap', PCAP, { calibration: CALIBRATION, model: 'HDL32E', sensorId: 'lidar' })).items);
  const gnss = await collect<GnssFix>((await decodeFile('nmea', NMEA_LOG, { sensorId: 'gnss' })).items);
  return { lidar, gnss };
}

function loopbackRig(tcpPort: number): { rigInput: RigInput; rig: Rig } {
  const rigInput: RigInput = {
    name: 'loopback',
    sensors: [
      {
        id: 'lidar', modality: 'lidar', rateHz: 10,
        extrinsic: { translation: [0, 0, 1.8], rotation: { rpy: [0, 0, 0] } },
        source: {
          type: 'live', format: 'velodyne',
          options: { model: 'HDL32E', calibrationFile: '32db.yaml', timeSource: 'packet' },
          transport: { type: 'udp', host: '127.0.0.1', port: 0 },
        },
      },
      {
        id: 'gnss', modality: 'gnss', rateHz: 1,
        extrinsic: { translation: [0, 0, 1.9], rotation: { rpy: [0, 0, 0] } },
        source: { type: 'live', format: 'nmea', transport: { type: 'tcp-client', host: '127.0.0.1', port: tcpPort, reconnect: false } },
      },
    ],
    sync: { policy: 'nearest', reference: 'lidar', toleranceMs: 60 },
  };
  return { rigInput, rig: validateRig(rigInput, 'loopback rig') };
}

/** A TCP server that serves the NMEA log to its first client in odd-sized chunks, then closes. */
async function startNmeaServer(seed: number): Promise<{ port: number; served: Promise<void>; close: () => Promise<void> }> {
  const log = readFileSync(NMEA_LOG);
  const rng = createRng(seed);
  let resolveServed!: () => void;
  const served = new Promise<void>((resolve) => (resolveServed = resolve));
  const server = net.createServer(async (socket) => {
    socket.on('error', () => undefined);
    for (let at = 0; at < log.length;) {
      const size = rng.int(1, 97);
      socket.write(log.subarray(at, at + size));
      at += size;
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.end(() => resolveServed());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends the capture's Velodyne payloads to 127.0.0.1:port, a few at a time, so loopback drops none. */
async function sendVelodyne(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    for (const [i, d] of DATAGRAMS.entries()) {
      await new Promise<void>((resolve, reject) => socket.send(d.payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      if (i % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    socket.close();
  }
}

function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

function listeningPort(statuses: [string, TransportStatus][], sensorId: string): number | undefined {
  const s = statuses.find(([id, st]) => id === sensorId && st.type === 'listening')?.[1];
  return s?.type === 'listening' ? s.port : undefined;
}

function expectSameClouds(live: PointCloud[], reference: PointCloud[]): void {
  expect(live.length).toBe(reference.length);
  live.forEach((cloud, i) => {
    const ref = reference[i];
    expect({ seq: cloud.seq, stamp: cloud.stamp, count: cloud.count, stride: cloud.stride, fields: cloud.fields })
      .toEqual({ seq: ref.seq, stamp: ref.stamp, count: ref.count, stride: ref.stride, fields: ref.fields });
    const bytes = (c: PointCloud) => Buffer.from(c.data.buffer, c.data.byteOffset, c.count * c.stride);
    expect(bytes(cloud).equals(bytes(ref))).toBe(true);
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const tmp = mkdtempSync(join(tmpdir(), 'percept-loopback-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('live sensors over loopback through the engine', () => {
  it('engine.frames$ gives what percept decode gives for the same Velodyne capture and NMEA log', async () => {
    const reference = await referenceFrames();
    expect(reference.lidar.length).toBeGreaterThan(0);
    expect(reference.gnss.length).toBe(25);

    const nmea = await startNmeaServer(7);
    cleanups.push(nmea.close);
    const { rig } = loopbackRig(nmea.port);
    const statuses: [string, TransportStatus][] = [];
    const issues: string[] = [];
    const live = liveInput(rig, {
      baseDir: VELODYNE, clock: captureClock(),
      onStatus: (id, s) => statuses.push([id, s]),
      onIssue: (id, issue) => issues.push(`${id}: ${issue.code}`),
    });
    const engine = createEngine(rig, { input: live.frames$ });
    const frames: SensorFrame[] = [];
    engine.frames$.subscribe((f) => frames.push(f));
    cleanups.push(() => engine.stop());
    await engine.start();

    await waitFor(() => listeningPort(statuses, 'lidar') !== undefined, 'the UDP socket to listen');
    await sendVelodyne(listeningPort(statuses, 'lidar')!);
    await nmea.served;
    const lidarStats = () => live.stats().find((s) => s.sensorId === 'lidar')!;
    await waitFor(() => lidarStats().link.chunks === DATAGRAMS.length, 'every Velodyne datagram');
    await waitFor(() => live.stats().find((s) => s.sensorId === 'gnss')!.state === 'ended', 'the NMEA stream to end');
    // The last sweep and nothing else is held in the Velodyne decoder until the input ends.
    live.end();
    await engine.done;

    expect(issues).toEqual([]);
    expect(statuses.filter(([, s]) => s.type === 'error')).toEqual([]);
    expect(statuses.some(([id, s]) => id === 'gnss' && s.type === 'connected')).toBe(true);
    expectSameClouds(frames.filter((f): f is PointCloud => f.modality === 'lidar'), reference.lidar);

    const fixes = frames.filter((f): f is GnssFix => f.modality === 'gnss');
    const pick = (f: GnssFix) => ({ seq: f.seq, lat: f.latitude, lon: f.longitude, alt: f.altitudeMsl, fixType: f.fixType, timeOfDay: f.stamp % NS_PER_DAY });
    expect(fixes.map(pick)).toEqual(reference.gnss.map(pick));
    expect(fixes.map((f) => f.stamp)).toEqual(reference.gnss.map((f) => f.stamp));
    expect(engine.stats().frames).toEqual({ lidar: reference.lidar.length, gnss: 25 });
  });

  it('percept record stores the frames in arrival order, and replay gives the same frames back', async () => {
    const nmea = await startNmeaServer(11);
    cleanups.push(nmea.close);
    const { rig, rigInput } = loopbackRig(nmea.port);
    const out = join(tmp, 'recorded.mcap');
    const statuses: [string, TransportStatus][] = [];
    const recorded: SensorFrame[] = [];
    const stop = new AbortController();
    const recording = recordLive({
      rig, rigInput, baseDir: VELODYNE, out, signal: stop.signal, clock: captureClock(),
      onStatus: (id, s) => statuses.push([id, s]),
      onFrame: (f) => recorded.push(f),
    });
    await waitFor(() => listeningPort(statuses, 'lidar') !== undefined, 'the UDP socket to listen');
    await sendVelodyne(listeningPort(statuses, 'lidar')!);
    await nmea.served;
    await waitFor(() => recorded.filter((f) => f.modality === 'gnss').length === 24, 'the NMEA fixes');
    stop.abort();
    const summary = await recording;
    expect(summary).toMatchObject({ path: out, interrupted: true, skipped: {} });
    const count = (frames: SensorFrame[], id: string) => frames.filter((f) => f.sensorId === id).length;
    expect(summary.frames).toEqual({ lidar: count(recorded, 'lidar'), gnss: 25 });
    expect(count(recorded, 'lidar')).toBeGreaterThan(0);

    const replayed: SensorFrame[] = [];
    const replay = await replayScenario({ path: out, max: true, onEngine: (engine) => engine.frames$.subscribe((f) => replayed.push(f)) });
    expect(replay.error).toBeUndefined();
    expect(replay.frames).toEqual(summary.frames);
    const key = (f: SensorFrame) => `${f.sensorId} ${f.seq} ${f.stamp} ${f.receivedAt}`;
    expect(replayed.map(key).sort()).toEqual(recorded.map(key).sort());
    const clouds = (frames: SensorFrame[]) => frames.filter((f): f is PointCloud => f.modality === 'lidar').sort((a, b) => a.seq - b.seq);
    expectSameClouds(clouds(replayed), clouds(recorded));
  });
});
