import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineStats } from '../engine-stats.js';
import type { SensorHealth, StageLatency } from '../events/perception-event.js';
import type { PublisherStats } from './publisher.js';

/** What the metrics read from a running engine at scrape time. */
export interface MetricsSource {
  stats(): EngineStats;
  health(): SensorHealth[];
  publishers(): Record<string, PublisherStats>;
}

const LATENCY_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Prometheus metrics of one engine, in a registry of its own (no global default registry).
 * Totals are read from the engine's counters when scraped; latencies are observed per event.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly #latency: Histogram<'stage'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    /** A counter that follows a total kept elsewhere: it grows by the difference at each scrape. */
    const followedCounter = (name: string, help: string, labelNames: string[], read: () => Record<string, number>) => {
      const last = new Map<string, number>();
      return new Counter({
        name, help, labelNames, registers,
        collect() {
          for (const [label, value] of Object.entries(read())) {
            const delta = value - (last.get(label) ?? 0);
            if (delta > 0) this.inc(labelNames.length ? { [labelNames[0]]: label } : {}, delta);
            last.set(label, value);
          }
        },
      });
    };
    followedCounter('percept_frames_total', 'Frames accepted, by sensor', ['sensor'], () => source.stats().frames);
    followedCounter('percept_drops_total', 'Frames that reached no set, by reason', ['reason'], () => source.stats().drops as Record<string, number>);
    followedCounter('percept_decode_errors_total', 'Frames that could not be decoded', [], () => ({ '': source.stats().decodeErrors }));
    followedCounter('percept_events_total', 'Perception events emitted', [], () => ({ '': source.stats().events }));
    followedCounter('percept_framesets_total', 'Frame sets formed', [], () => ({ '': source.stats().framesets }));
    new Gauge({
      name: 'percept_sensor_up', help: 'Sensor health: 1 when ok, 0 when late, silent or disconnected', labelNames: ['sensor', 'state'], registers,
      collect() {
        this.reset();
        for (const h of source.health()) this.set({ sensor: h.sensorId, state: h.state }, h.state === 'ok' ? 1 : 0);
      },
    });
    const perPublisher = (name: string, help: string, pick: (s: PublisherStats) => number) =>
      new Gauge({
        name, help, labelNames: ['publisher'], registers,
        collect() {
          this.reset();
          for (const [publisher, s] of Object.entries(source.publishers())) this.set({ publisher }, pick(s));
        },
      });
    perPublisher('percept_publish_queue_depth', 'Messages waiting to go out', (s) => s.queued);
    perPublisher('percept_publish_clients', 'Connected clients (WebSocket) or broker connection (MQTT: 1 up, 0 down)', (s) => s.clients);
    perPublisher('percept_publish_sent', 'Messages handed to clients or a broker', (s) => s.sent);
    perPublisher('percept_publish_dropped', 'Messages dropped by publishers', (s) => Object.values(s.dropped).reduce((a, b) => a + b, 0));
    this.#latency = new Histogram({
      name: 'percept_stage_latency_seconds', help: 'Per-stage latency of events', labelNames: ['stage'], buckets: LATENCY_BUCKETS_S, registers,
    });
  }

  observe(latency: StageLatency): void {
    this.#latency.observe({ stage: 'sync' }, latency.syncMs / 1000);
    this.#latency.observe({ stage: 'publish' }, latency.publishMs / 1000);
    this.#latency.observe({ stage: 'total' }, latency.totalMs / 1000);
  }
}

export interface MetricsServerOptions {
  host?: string;
  port: number;
}

/** `/metrics` (Prometheus text) and `/healthz` (JSON sensor health) on an HTTP port. */
export async function startMetricsServer(metrics: EngineMetrics, source: MetricsSource, options: MetricsServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (path === '/healthz') {
      const health = source.health();
      const ok = health.some((h) => h.state === 'ok') || source.stats().events === 0;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'degraded', sensors: health }));
    } else {
      res.writeHead(404).end();
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
