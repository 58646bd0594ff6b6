import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes, type Client as AedesClient } from 'aedes';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRigFile } from '../engine/config/load-rig.js';
import { createRng } from '../engine/core/prng.js';
import { createClock } from '../engine/core/time.js';
import { eventToProtoObject, type PerceptionEvent } from '../engine/events/perception-event.js';
import { createMqttPublisher, type MqttOutputInput, type MqttPublisher } from '../engine/publish/mqtt/mqtt-publisher.js';
import type { PublisherContext } from '../engine/publish/publisher.js';
import { freePort, Mosquitto } from './support/mosquitto.js';

/*
 * The MQTT output against real brokers on 127.0.0.1: the embedded aedes, an aedes the test runs
 * (to cut the publisher's connection from the broker side and to take the broker away), and a real
 * mosquitto that is SIGKILLed mid-stream and restarted. Subscribers are plain mqtt.js clients and
 * decode with protobufjs from proto/percept.proto, as any consumer would.
 */

const RIG = loadRigFile(fileURLToPath(new URL('../scenarios/rigs/nuscenes-like.yaml', import.meta.url)));
// keepCase: field names as written in the .proto (stamp_ns), as percept's JSON uses them.
const PROTO = new protobuf.Root().loadSync(fileURLToPath(new URL('../proto/percept.proto', import.meta.url)), { keepCase: true });
const EVENT_TYPE = PROTO.lookupType('percept.PerceptionEvent');
const AS_OBJECT = { longs: String, enums: String, json: true } as const;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function context(logLines: string[] = []): PublisherContext {
  return { rig: RIG, clock: createClock(), log: (line) => logLines.push(line) };
}

async function startPublisher(options: MqttOutputInput, logLines: string[] = []): Promise<MqttPublisher> {
  const publisher = createMqttPublisher(options, context(logLines));
  await publisher.start();
  cleanups.push(() => publisher.stop());
  return publisher;
}

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

async function subscriber(url: string, topic: string, options: IClientOptions = {}): Promise<{ client: MqttClient; messages: Received[] }> {
  const client = connect(url, { reconnectPeriod: 100, protocolVersion: 4, ...options });
  cleanups.push(() => client.endAsync(true));
  const messages: Received[] = [];
  client.on('message', (t, payload, packet) => messages.push({ topic: t, payload, retain: packet.retain }));
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A plausible event; scores and coordinates are dyadic so that float32 fields round-trip exactly. */
function makeEvent(seq: number): PerceptionEvent {
  const rng = createRng(1000 + seq);
  const stamp = 1_700_000_000_000_000_000n + BigInt(seq) * 50_000_000n;
  return {
    seq,
    stamp,
    ego: { position: { x: seq * 0.5, y: -2.25, z: 0 }, yaw: 0.125, latitude: 42.336, longitude: -71.057, altitude: 12.5, speed: 8.75 },
    objects: Array.from({ length: seq % 4 }, (_, i) => ({
      id: seq * 10 + i, label: rng.pick(['car', 'pedestrian', 'truck']), score: 0.5 + i / 8,
      position: { x: rng.int(-40, 40), y: rng.int(-20, 20), z: 0.5 }, size: { x: 4.5, y: 1.875, z: 1.5 }, yaw: 0.25,
      velocity: { x: 1, y: 0, z: 0 }, latitude: 42.3, longitude: -71.05, covariance: [0.25, 0, 0, 0.25], ageS: 1.5, sources: ['lidar_top', 'cam_front'],
    })),
    audio: seq % 3 === 0 ? [{ sensorId: 'mic', start: stamp - 50_000_000n, end: stamp, label: 'speech', score: 0.75 }] : [],
    latency: { syncMs: 0.5, encodeMs: 0.25, fuseMs: 1, publishMs: 0, totalMs: 2 },
    health: [{ sensorId: 'lidar_top', state: 'ok', frames: seq * 2, errors: 0 }, { sensorId: 'cam_front', state: seq % 5 === 0 ? 'late' : 'ok', frames: seq, errors: 1 }],
    frames: [{ sensorId: 'lidar_top', stamp, seq: seq * 2 }],
    missing: seq % 5 === 0 ? ['radar_front'] : [],
    detections: seq % 2 === 1
      ? [{ sensorId: 'cam_front', encoder: 'yolo', classId: 2, label: 'car', score: 0.875, box: [10.5, 20.25, 200.125, 180] }]
      : [],
  };
}

/** What the event should look like after a protobuf round trip, in the decoder's own terms. */
function expected(object: Record<string, unknown>): Record<string, unknown> {
  return EVENT_TYPE.toObject(EVENT_TYPE.fromObject(object), AS_OBJECT);
}

function decode(payload: Buffer): Record<string, unknown> {
  return EVENT_TYPE.toObject(EVENT_TYPE.decode(payload), AS_OBJECT);
}

function seqOf(payload: Buffer): number {
  return Number(EVENT_TYPE.decode(payload).toJSON().seq ?? 0);
}

/** An aedes on a TCP port that the test controls: it can cut one client's socket or go away and come back. */
async function testBroker(port = 0): Promise<{ url: string; port: number; clients: Map<string, AedesClient>; published: Received[]; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const clients = new Map<string, AedesClient>();
  broker.on('client', (client) => clients.set(client.id, client));
  // What clients published, as the broker received it, whether or not anyone subscribed.
  const published: Received[] = [];
  broker.on('publish', (packet, client) => {
    if (client) published.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain });
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer(broker.handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as net.AddressInfo).port;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  };
  cleanups.push(close);
  return { url: `mqtt://127.0.0.1:${bound}`, port: bound, clients, published, close };
}

describe('MQTT publisher, embedded aedes broker', () => {
  it('publishes events, objects, audio and a retained status that decode with percept.proto', async () => {
    const publisher = await startPublisher({ port: 0, statusIntervalMs: 200 });
    expect(publisher.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(publisher.topics.events).toBe('percept/nuscenes-like/events');
    const { messages } = await subscriber(publisher.brokerUrl, 'percept/nuscenes-like/#');

    const events = Array.from({ length: 20 }, (_, i) => makeEvent(i));
    for (const event of events) publisher.publishEvent(event);
    const on = (suffix: string): Received[] => messages.filter((m) => m.topic === `percept/nuscenes-like/${suffix}`);
    await until('every message', () => on('events').length === 20 && on('objects').length === 20 && on('audio').length === 7);

    expect(on('events').map((m) => decode(m.payload))).toEqual(events.map((e) => expected(eventToProtoObject(e))));
    expect(on('objects').map((m) => decode(m.payload))).toEqual(
      events.map((e) => expected({ seq: e.seq, stamp_ns: e.stamp.toString(), objects: eventToProtoObject(e).objects })),
    );
    const withAudio = events.filter((e) => e.audio.length > 0);
    expect(on('audio').map((m) => decode(m.payload))).toEqual(
      withAudio.map((e) => expected({ seq: e.seq, stamp_ns: e.stamp.toString(), audio: eventToProtoObject(e).audio })),
    );
    // A health list reaches the wire with its enum names.
    expect((decode(on('events')[5].payload).health as Array<{ state: string }>)[1].state).toBe('LATE');

    // The periodic status catches up with the events; a late subscriber gets it retained.
    await until('a status after the events', () => on('status').some((m) => JSON.parse(m.payload.toString()).events === 20));
    const late = await subscriber(publisher.brokerUrl, 'percept/nuscenes-like/status');
    await until('the retained status', () => late.messages.length > 0);
    const status = JSON.parse(late.messages[0].payload.toString());
    expect(late.messages[0].retain).toBe(true);
    expect(status).toMatchObject({ state: 'online', rig: 'nuscenes-like', lastSeq: 19, dropped: {}, queued: 0 });
    expect(status.sensors.map((s: { sensorId: string }) => s.sensorId)).toEqual(['lidar_top', 'cam_front']);
    expect(publisher.stats()).toMatchObject({ sent: 47, clients: 1, queued: 0, dropped: {} });

    // A clean stop leaves "offline (stopped)" retained.
    await publisher.stop();
    await until('the stopped status', () => late.messages.some((m) => JSON.parse(m.payload.toString()).state === 'offline'));
    expect(JSON.parse(late.messages.at(-1)!.payload.toString())).toEqual({ state: 'offline', rig: 'nuscenes-like', reason: 'stopped' });
  });

  it('sends proto3 JSON when asked to', async () => {
    const publisher = await startPublisher({ port: 0, encoding: 'json', topicPrefix: 'site/car7' });
    const { messages } = await subscriber(publisher.brokerUrl, 'site/car7/events');
    const event = makeEvent(3);
    publisher.publishEvent(event);
    await until('the event', () => messages.length === 1);
    const json = JSON.parse(messages[0].payload.toString());
    expect(json.stamp_ns).toBe(event.stamp.toString());
    expect(json.detections).toEqual([{ sensor_id: 'cam_front', encoder: 'yolo', label: 'car', class_id: 2, score: 0.875, x1: 10.5, y1: 20.25, x2: 200.125, y2: 180 }]);
    expect(EVENT_TYPE.toObject(EVENT_TYPE.fromObject(json), AS_OBJECT)).toEqual(expected(eventToProtoObject(event)));
  });

  it('takes a free port when the configured one is in use, and says so', async () => {
    const blocker = net.createServer();
    const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const lines: string[] = [];
    const publisher = await startPublisher({ port: taken }, lines);
    expect(publisher.brokerUrl).not.toBe(`mqtt://127.0.0.1:${taken}`);
    expect(lines.join('\n')).toContain(`port ${taken} is in use`);
    await expect(createMqttPublisher({ port: taken, fallbackToFreePort: false }, context()).start()).rejects.toThrow(/in use/);
  });

  it('rejects bad options with the field named', () => {
    expect(() => createMqttPublisher({ topicPrefix: 'a/#' }, context())).toThrow(/topicPrefix/);
    expect(() => createMqttPublisher({ url: 'http://x' }, context())).toThrow(/url/);
  });
});

describe('MQTT publisher, broker loss', () => {
  it('leaves its last will when the connection dies, and comes back online', async () => {
    const broker = await testBroker();
    await startPublisher({ url: broker.url, clientId: 'percept-will', reconnectMinMs: 50, reconnectMaxMs: 200, topicPrefix: 'w' });
    const { messages } = await subscriber(broker.url, 'w/status');
    const states = (): string[] => messages.map((m) => JSON.parse(m.payload.toString()).state);
    await until('online', () => states().includes('online'));
    // Cut the publisher's TCP connection from the broker's side: no DISCONNECT was sent.
    broker.clients.get('percept-will')!.conn.destroy();
    await until('the will', () => states().includes('offline'));
    const will = messages.find((m) => JSON.parse(m.payload.toString()).state === 'offline')!;
    expect(JSON.parse(will.payload.toString())).toEqual({ state: 'offline', rig: 'nuscenes-like', reason: 'will' });
    await until('online again', () => states().lastIndexOf('online') > states().indexOf('offline'));
    // The will is retained: a subscriber arriving while percept was away would have seen it.
  });

  it('holds QoS-1 messages up to maxQueued while the broker is away, counts the rest, and delivers in order', async () => {
    const broker = await testBroker();
    const lines: string[] = [];
    const publisher = await startPublisher({ url: broker.url, reconnectMinMs: 50, reconnectMaxMs: 100, maxQueued: 10, topicPrefix: 'q' }, lines);
    await broker.close();
    await until('the publisher to notice', () => publisher.stats().clients === 0);
    const events = Array.from({ length: 30 }, (_, seq) => ({ ...makeEvent(seq), audio: [] }));
    for (const event of events) publisher.publishEvent(event);
    expect(publisher.stats()).toMatchObject({ queued: 10, dropped: { 'queue-full': 20, offline: 30 } });

    const back = await testBroker(broker.port);
    await until('reconnect and flush', () => publisher.stats().queued === 0 && publisher.stats().clients === 1);
    expect(publisher.stats().reconnects).toBe(1);
    expect(lines.join('\n')).toMatch(/lost the broker/);
    const received = back.published.filter((m) => m.topic === 'q/events').map((m) => seqOf(m.payload));
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('MQTT publisher, real mosquitto killed mid-stream', () => {
  it('delivers every QoS-1 event, in order, across a SIGKILL and restart (persistent broker and session)', async () => {
    const mosquitto = await Mosquitto.start({ persistence: true });
    cleanups.push(() => mosquitto.stop());
    const spoolDir = mkdtempSync(join(tmpdir(), 'percept-mqtt-spool-'));
    cleanups.push(() => rmSync(spoolDir, { recursive: true, force: true }));

    // A persistent session (clean: false, fixed id): mosquitto keeps the subscription and queues for it.
    const sub = await subscriber(mosquitto.url, 'k/events', { clientId: 'percept-test-subscriber', clean: false });
    await until('the session on disk', () => existsSync(join(mosquitto.dir, 'mosquitto.db')));
    const publisher = await startPublisher({
      url: mosquitto.url, topicPrefix: 'k', reconnectMinMs: 50, reconnectMaxMs: 300, maxQueued: 100, spoolDir,
    });

    const total = 500;
    const killAt = 150;
    let restarted: Promise<void> | undefined;
    for (let seq = 0; seq < total; seq++) {
      if (seq === killAt) {
        await mosquitto.kill();
        restarted = new Promise((r) => setTimeout(r, 1000)).then(() => mosquitto.restart());
      }
      publisher.publishEvent(makeEvent(seq));
      await new Promise((r) => setTimeout(r, 4));
    }
    await restarted;
    const seqs = (): number[] => sub.messages.map((m) => seqOf(m.payload));
    await until('every event at the subscriber', () => new Set(seqs()).size === total, 20_000);

    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const s of seqs()) if (!seen.has(s)) (seen.add(s), firstSeen.push(s));
    expect(firstSeen).toEqual(Array.from({ length: total }, (_, i) => i));
    const duplicates = seqs().length - total;
    const repeated = seqs().filter((s, i) => seqs().indexOf(s) !== i);
    const stats = publisher.stats();
    console.log(`mosquitto kill/restart: ${total} QoS-1 events (killed at ${killAt}), ${duplicates} duplicates at the subscriber (seq ${repeated.join(' ')}), ${stats.resent} resent by the publisher, ${stats.spooledTotal} went through the disk spool, drops ${JSON.stringify(stats.dropped)}`);
    expect(stats.reconnects).toBe(1);
    expect(stats.spooledTotal).toBeGreaterThan(0);
    // QoS-0 objects published while the broker was away are the only losses, and are counted.
    expect(Object.keys(stats.dropped)).toEqual(['offline']);
  });
});
