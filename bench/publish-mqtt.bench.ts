import { createRequire } from 'node:module';
import net from 'node:net';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Aedes } from 'aedes';
import { connect, type MqttClient } from 'mqtt';
import { MqttOutbox } from '../engine/publish/mqtt/outbox.js';
import { findMosquitto, Mosquitto, MOSQUITTO_MISSING } from '../test/support/mosquitto.js';
import type { Benchmark, Figure } from './benchmark.js';

const PAYLOAD_BYTES = 1024;
const TOPIC = 'percept/bench/events';
/** The producer pauses while this much waits in the socket, so that QoS 0 measures throughput, not drops. */
const SOCKET_HIGH_WATER = 1 << 20;

interface Rate {
  perSec: number;
  received: number;
  sent: number;
}

async function connected(url: string, clientId: string): Promise<MqttClient> {
  const client = connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, queueQoSZero: false });
  client.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/**
 * The subscriber runs in a worker thread, as it would in another process: counting at a subscriber
 * that shares the publisher's event loop would measure mqtt.js's parser, not the publisher.
 */
const SUBSCRIBER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const mqtt = require(workerData.mqttPath);
const client = mqtt.connect(workerData.url, { clientId: workerData.clientId, protocolVersion: 4, reconnectPeriod: 0 });
let received = 0;
let lastAt = 0n;
client.on('message', () => { received++; lastAt = process.hrtime.bigint(); });
client.on('error', (err) => parentPort.postMessage({ error: err.message }));
client.on('connect', () => client.subscribe(workerData.topic, { qos: workerData.qos }, () => parentPort.postMessage({ ready: true })));
parentPort.on('message', (m) => {
  if (m === 'report') parentPort.postMessage({ received, lastAt: lastAt.toString() });
  if (m === 'stop') client.end(true, () => parentPort.close());
});
`;

interface SubscriberReport {
  received: number;
  lastAt: bigint;
}

async function startSubscriber(url: string, qos: 0 | 1): Promise<{ report(): Promise<SubscriberReport>; stop(): Promise<void> }> {
  const mqttPath = createRequire(import.meta.url).resolve('mqtt');
  const worker = new Worker(SUBSCRIBER_SOURCE, { eval: true, workerData: { mqttPath, url, qos, topic: TOPIC, clientId: `bench-sub-${qos}` } });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(m.error))));
  });
  return {
    report: () =>
      new Promise((resolve) => {
        worker.once('message', (m: { received: number; lastAt: string }) => resolve({ received: m.received, lastAt: BigInt(m.lastAt) }));
        worker.postMessage('report');
      }),
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

/**
 * `count` messages of 1 KiB through the same MqttOutbox the publisher uses, counted at a
 * subscriber. The rate runs from the first publish to the last message received.
 */
async function throughput(url: string, qos: 0 | 1, count: number): Promise<Rate> {
  const sub = await startSubscriber(url, qos);
  const pub = await connected(url, `bench-pub-${qos}`);
  const outbox = new MqttOutbox(pub, { maxQueued: 20_000, maxInflight: 1000, maxSocketBufferBytes: 64 << 20 });
  outbox.setOnline(true);
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x2a);
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (sent < count) {
    const batch = Math.min(500, count - sent);
    for (let i = 0; i < batch; i++) outbox.publish(TOPIC, payload, qos);
    sent += batch;
    // QoS 1 is held back by the outbox's own queue; QoS 0 by the socket.
    if (outbox.stats().waiting > 5000) await outbox.drained(10_000);
    if ((pub.stream?.writableLength ?? 0) > SOCKET_HIGH_WATER) await new Promise((r) => pub.stream.once('drain', r));
    else await new Promise((r) => setImmediate(r));
  }
  // Wait for the tail; stop when nothing arrived for a second (QoS 0 may lose some).
  let report = await sub.report();
  for (let seen = -1; report.received < count && report.received !== seen; report = await sub.report()) {
    seen = report.received;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await pub.endAsync(true);
  await sub.stop();
  const dropped = Object.values(outbox.stats().dropped).reduce((a, b) => a + b, 0);
  return { perSec: report.received / (Number(report.lastAt - t0) / 1e9), received: report.received, sent: sent - dropped };
}

function figure(key: string, rate: Rate, goal: string): Figure {
  const lost = rate.sent - rate.received;
  // On a shared machine the figure says as much about the others' load as about percept.
  const load = loadavg()[0].toFixed(1);
  return { key, value: rate.perSec, note: `msg/s of 1 KiB at a subscriber thread (${rate.received} received${lost > 0 ? `, ${lost} lost` : ''}; load average ${load})${goal}` };
}

export const publishMqttBench: Benchmark = {
  name: 'publish-mqtt',
  async run() {
    const figures: Figure[] = [];
    if (findMosquitto()) {
      // Unbounded queues on the broker: the figure is throughput, not mosquitto's drop policy.
      const mosquitto = await Mosquitto.start({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0', 'max_queued_bytes 0'] });
      try {
        figures.push(figure('publish.mqtt.mosquitto.qos0PerSec', await throughput(mosquitto.url, 0, 200_000), '; goal ≥ 50,000'));
        figures.push(figure('publish.mqtt.mosquitto.qos1PerSec', await throughput(mosquitto.url, 1, 100_000), '; goal ≥ 15,000'));
      } finally {
        await mosquitto.stop();
      }
    } else {
      process.stderr.write(`publish-mqtt: mosquitto figures skipped: ${MOSQUITTO_MISSING}\n`);
    }
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      figures.push(figure('publish.mqtt.aedes.qos0PerSec', await throughput(url, 0, 100_000), ' (in-process embedded broker)'));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
    return figures;
  },
};
