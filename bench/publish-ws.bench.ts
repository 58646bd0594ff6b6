import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { AudioChunk } from '../engine/core/frames.js';
import type { DetectedObject, PerceptionEvent } from '../engine/events/perception-event.js';
import { createWebSocketPublisher, type WebSocketPublisher } from '../engine/publish/websocket/websocket-publisher.js';
import { loadPresetRig } from '../scenarios/generator/index.js';
import { createRng } from '../engine/core/prng.js';
import type { Benchmark, Figure } from './benchmark.js';

const CLIENTS = 10;
const MEASURE_MS = 3000;
const EVENTS = 2000;

/**
 * The clients run in a worker thread so that reading does not share the server's event loop:
 * CLIENTS ws connections on loopback, each subscribed to one topic, counting binary messages.
 * After 'start' it counts for MEASURE_MS and posts { deliveries, ms }.
 */
const CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { WebSocket } = require(workerData.wsPath);
let counting = false, deliveries = 0, started = 0, ready = 0;
for (let i = 0; i < workerData.clients; i++) {
  const ws = new WebSocket(workerData.url, { perMessageDeflate: false });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString());
      if (msg.op === 'subscribed' && ++ready === workerData.clients) parentPort.postMessage({ ready: true });
      return;
    }
    if (counting) deliveries++;
  });
  ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', id: 1, topic: workerData.topic, encoding: 'protobuf' })));
}
parentPort.on('message', (m) => {
  if (m === 'start') {
    counting = true; deliveries = 0; started = performance.now();
    setTimeout(() => { counting = false; parentPort.postMessage({ deliveries, ms: performance.now() - started }); }, workerData.measureMs);
  } else if (m === 'exit') process.exit(0);
});
`;

function startClients(url: string, topic: string, measureMs: number): { worker: Worker; ready: Promise<void>; result: Promise<{ deliveries: number; ms: number }> } {
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const worker = new Worker(CLIENT_WORKER, { eval: true, workerData: { url, topic, clients: CLIENTS, measureMs, wsPath } });
  let resolveReady!: () => void;
  let resolveResult!: (r: { deliveries: number; ms: number }) => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const result = new Promise<{ deliveries: number; ms: number }>((r) => (resolveResult = r));
  worker.on('message', (m: { ready?: boolean; deliveries?: number; ms?: number }) => {
    if (m.ready) resolveReady();
    else resolveResult(m as { deliveries: number; ms: number });
  });
  return { worker, ready, result };
}

/** A 500-sample mono chunk: its percept.AudioChunk payload is about 1 KiB. */
function kibFrame(seq: number): AudioChunk {
  const samples = new Float32Array(500);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.sin(i / 7) * 0.5;
  const stamp = 1_700_000_000_000_000_000n + BigInt(seq) * 1_000_000n;
  return { modality: 'audio', sensorId: 'mic', frameId: 'mic', stamp, receivedAt: stamp, seq, sampleRate: 16000, channels: 1, samples };
}

function objects(seq: number): DetectedObject[] {
  const rng = createRng(seq);
  return Array.from({ length: 20 }, (_, id) => ({
    id, label: id % 3 ? 'car' : 'pedestrian', score: rng.uniform(0.5, 1),
    position: { x: rng.uniform(-40, 40), y: rng.uniform(-40, 40), z: 0.8 }, size: { x: 4.5, y: 1.9, z: 1.6 }, yaw: rng.uniform(-Math.PI, Math.PI),
    velocity: { x: rng.uniform(-10, 10), y: 0, z: 0 }, latitude: 0, longitude: 0, covariance: new Array(9).fill(0.1), ageS: 1, sources: ['lidar_top', 'radar_front'],
  }));
}

async function startPublisher(): Promise<WebSocketPublisher> {
  const { rig } = loadPresetRig('nuscenes-like');
  const publisher = createWebSocketPublisher({ port: 0 }, { rig, clock: () => process.hrtime.bigint() });
  await publisher.start();
  return publisher;
}

async function deliveriesPerSecond(): Promise<{ perSec: number; dropped: number }> {
  const publisher = await startPublisher();
  const clients = startClients(publisher.url, 'sensor/mic', MEASURE_MS);
  try {
    await clients.ready;
    const frame = kibFrame(0);
    let done = false;
    void clients.result.then(() => (done = true));
    clients.worker.postMessage('start');
    // "As fast as the server accepts them": publish while the clients' queues have room, else let the sockets drain.
    const room = CLIENTS * 256 * 1024;
    while (!done) {
      if (publisher.stats().queuedBytes < room) for (let i = 0; i < 64; i++) publisher.publishFrame(frame);
      await yieldToLoop();
    }
    const { deliveries, ms } = await clients.result;
    return { perSec: (deliveries / ms) * 1000, dropped: publisher.stats().dropped['slow-client'] };
  } finally {
    clients.worker.postMessage('exit');
    await publisher.stop();
  }
}

/** Wall time inside publishEvent: encoding once and queueing for every client (the sockets are written after it returns). */
async function publishEventTimes(): Promise<number[]> {
  const publisher = await startPublisher();
  const { rig } = loadPresetRig('nuscenes-like');
  const clients = startClients(publisher.url, 'events', 1);
  const wall: number[] = [];
  try {
    await clients.ready;
    for (let seq = 0; seq < EVENTS; seq++) {
      const event: PerceptionEvent = {
        seq, stamp: 1_700_000_000_000_000_000n + BigInt(seq) * 50_000_000n, objects: objects(seq), audio: [],
        latency: { syncMs: 1, encodeMs: 2, fuseMs: 3, publishMs: 0, totalMs: 7 },
        health: rig.sensors.map((s) => ({ sensorId: s.id, state: 'ok' as const, frames: seq, errors: 0 })),
        frames: rig.sensors.map((s) => ({ sensorId: s.id, stamp: 1_700_000_000_000_000_000n + BigInt(seq) * 50_000_000n, seq })),
        missing: [],
        detections: [],
      };
      const t0 = performance.now();
      publisher.publishEvent(event);
      wall.push(performance.now() - t0);
      await yieldToLoop();
    }
    return wall;
  } finally {
    clients.worker.postMessage('exit');
    await publisher.stop();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const publishWsBench: Benchmark = {
  name: 'WebSocket publishing (10 loopback clients)',
  async run(): Promise<Figure[]> {
    const { perSec, dropped } = await deliveriesPerSecond();
    const wall = await publishEventTimes();
    return [
      { key: 'publish.ws.deliveriesPerSec10Clients', value: perSec, note: `1 KiB messages delivered per second, summed over ${CLIENTS} clients (${dropped} dropped; goal ≥ 100000)` },
      { key: 'publish.ws.publishP99Ms', value: percentile(wall, 99), note: `ms inside publishEvent (wall), p99 of ${EVENTS} events with 20 objects to ${CLIENTS} clients (goal ≤ 1)` },
      { key: 'publish.ws.publishP50Ms', value: percentile(wall, 50), note: 'ms inside publishEvent (wall), median' },
    ];
  },
};
