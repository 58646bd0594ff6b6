import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { validateRig } from '../engine/config/load-rig.js';
import type { RigInput } from '../engine/config/rig-schema.js';
import type { GnssFix, SensorFrame } from '../engine/core/frames.js';
import type { DecodeIssue } from './decoder.js';
import { liveInput } from './live-input.js';
import type { TransportStatus } from './transports/transport.js';

const NMEA_DIR = fileURLToPath(new URL('../test/fixtures/gps_nmea/', import.meta.url));
const LOG = readFileSync(NMEA_DIR + 'bu353s4.log');
/** The sentences of the log, without gpsd's comment lines. */
const SENTENCES = LOG.toString('latin1').split('\n').filter((l) => l.startsWith('$')).map((l) => l.replace(/\r$/, ''));

const identity: Pick<RigInput['sensors'][number], 'extrinsic'> = { extrinsic: { translation: [0, 0, 0], rotation: { rpy: [0, 0, 0] } } };

function rigOf(sensors: RigInput['sensors']): ReturnType<typeof validateRig> {
  return validateRig({ name: 'live-test', sensors, sync: { policy: 'nearest', reference: sensors[0].id } });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
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

/** A TCP port nothing listens on: one the OS gave out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('liveInput', () => {
  it('reads a rig sensor from a file relative to the rig folder, completes with the file, and ignores scenario sensors', async () => {
    const rig = rigOf([
      { id: 'gps', modality: 'gnss', rateHz: 1, ...identity, source: { type: 'live', format: 'nmea', transport: { type: 'file', path: 'bu353s4.log', chunkBytes: 100 } } },
      { id: 'lidar', modality: 'lidar', rateHz: 10, ...identity, source: { type: 'scenario' } },
    ]);
    const live = liveInput(rig, { baseDir: NMEA_DIR });
    expect(live.sensorIds).toEqual(['gps']);
    const frames = await lastValueFrom(live.frames$.pipe(toArray()));
    expect(frames).toHaveLength(25);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    const [stats] = live.stats();
    expect(stats).toMatchObject({ sensorId: 'gps', format: 'nmea', transport: 'file', state: 'ended', frames: 25 });
    expect(stats.link.bytes).toBe(LOG.length);
    expect(stats.decoder).toMatchObject({ frames: 25, errors: {} });
  });

  it('takes UDP datagrams on an OS-chosen port, reports link states and issues, and end() flushes the last epoch', async () => {
    const rig = rigOf([
      { id: 'gps', modality: 'gnss', rateHz: 1, ...identity, source: { type: 'live', format: 'nmea', transport: { type: 'udp', host: '127.0.0.1', port: 0 } } },
    ]);
    const statuses: TransportStatus[] = [];
    const issues: DecodeIssue[] = [];
    const live = liveInput(rig, { onStatus: (_id, s) => statuses.push(s), onIssue: (_id, i) => issues.push(i) });
    const frames: SensorFrame[] = [];
    let completed = false;
    const subscription = live.frames$.subscribe({ next: (f) => frames.push(f), complete: () => (completed = true) });
    cleanups.push(() => subscription.unsubscribe());
    await waitFor(() => statuses.some((s) => s.type === 'listening'), 'listening');
    const listening = statuses.find((s) => s.type === 'listening')!;
    expect(listening.type === 'listening' && listening.port).toBeGreaterThan(0);
    const port = listening.type === 'listening' ? listening.port : 0;

    const sender = dgram.createSocket('udp4');
    cleanups.push(() => sender.close());
    const lines = [...SENTENCES, '$GPGGA,garbage*00'];
    for (const line of lines) await new Promise<void>((resolve) => sender.send(`${line}\r\n`, port, '127.0.0.1', () => resolve()));
    await waitFor(() => live.stats()[0].link.chunks === lines.length, 'every datagram');
    expect(frames).toHaveLength(24);
    expect(issues.map((i) => i.code)).toEqual(['bad-checksum']);
    expect(live.stats()[0]).toMatchObject({ state: 'listening', frames: 24 });

    live.end();
    expect(completed).toBe(true);
    expect(frames).toHaveLength(25);
    expect((frames[24] as GnssFix).latitude).toBeCloseTo(-37.784795, 6);
    expect(live.stats()[0].state).toBe('ended');
  });

  it('a transport that fails for good stops its sensor alone; unsubscribing closes the others', async () => {
    const port = await closedPort();
    const rig = rigOf([
      { id: 'gps_udp', modality: 'gnss', rateHz: 1, ...identity, source: { type: 'live', format: 'nmea', transport: { type: 'udp', host: '127.0.0.1', port: 0 } } },
      { id: 'gps_tcp', modality: 'gnss', rateHz: 1, ...identity, source: { type: 'live', format: 'nmea', transport: { type: 'tcp-client', host: '127.0.0.1', port, reconnect: false } } },
    ]);
    const statuses: [string, TransportStatus][] = [];
    const live = liveInput(rig, { onStatus: (id, s) => statuses.push([id, s]) });
    const frames: SensorFrame[] = [];
    let failed: unknown;
    const subscription = live.frames$.subscribe({ next: (f) => frames.push(f), error: (e) => (failed = e) });
    cleanups.push(() => subscription.unsubscribe());
    await waitFor(() => live.stats()[1].state === 'stopped', 'the tcp sensor to stop');
    expect(live.stats()[1].error).toMatch(/ECONNREFUSED/);
    expect(statuses.filter(([id, s]) => id === 'gps_tcp' && s.type === 'error')).toHaveLength(1);

    await waitFor(() => statuses.some(([, s]) => s.type === 'listening'), 'listening');
    const listening = statuses.find(([, s]) => s.type === 'listening')![1];
    const udpPort = listening.type === 'listening' ? listening.port : 0;
    const sender = dgram.createSocket('udp4');
    cleanups.push(() => sender.close());
    for (const line of SENTENCES.slice(0, 8)) await new Promise<void>((resolve) => sender.send(`${line}\r\n`, udpPort, '127.0.0.1', () => resolve()));
    await waitFor(() => frames.length >= 2, 'frames from the udp sensor');
    expect(failed).toBeUndefined();
    expect(frames.every((f) => f.sensorId === 'gps_udp')).toBe(true);

    subscription.unsubscribe();
    // The port is free again once the subscription is gone.
    const rebind = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      rebind.once('error', reject);
      rebind.bind(udpPort, '127.0.0.1', () => resolve());
    });
    rebind.close();
  });

  it('a decoder that cannot be made is a configuration error naming the sensor, raised before anything opens', () => {
    const rig = rigOf([
      {
        id: 'lidar', modality: 'lidar', rateHz: 10, ...identity,
        source: { type: 'live', format: 'velodyne', options: { model: 'HDL32E', calibrationFile: 'no-such.yaml' }, transport: { type: 'udp', port: 0 } },
      },
    ]);
    expect(() => liveInput(rig, { baseDir: NMEA_DIR })).toThrow(/^sensor lidar: source\.options: cannot read the calibration no-such\.yaml: ENOENT/);
  });
});
