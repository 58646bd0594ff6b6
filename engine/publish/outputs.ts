import type { Rig } from '../config/rig-schema.js';
import type { SensorFrame } from '../core/frames.js';
import type { PerceptionEvent } from '../events/perception-event.js';
import { createMcapRecorder } from './mcap-recorder.js';
import { createMqttPublisher } from './mqtt/mqtt-publisher.js';
import { createWebSocketPublisher } from './websocket/websocket-publisher.js';
import { EngineMetrics, startMetricsServer, type MetricsSource } from './metrics.js';
import type { Publisher, PublisherContext, PublisherStats } from './publisher.js';

/** The engine's outputs: the publishers the rig names plus any the embedder passes, and metrics. */
export interface Outputs {
  start(): Promise<void>;
  /** Hands the event to every publisher; returns the milliseconds it took (publishing's share of latency). */
  publishEvent(event: PerceptionEvent): number;
  publishFrame(frame: SensorFrame): void;
  stop(): Promise<void>;
  stats(): Record<string, PublisherStats>;
  /** Where the servers listen, once started. */
  readonly endpoints: Record<string, string>;
}

export function createOutputs(rig: Rig, extra: readonly Publisher[], context: PublisherContext, metricsSource: MetricsSource): Outputs {
  const publishers: Publisher[] = [];
  if (rig.outputs.mcap) publishers.push(createMcapRecorder({ path: rig.outputs.mcap.path, frames: rig.outputs.mcap.frames }, context));
  if (rig.outputs.websocket) publishers.push(createWebSocketPublisher(rig.outputs.websocket, context));
  if (rig.outputs.mqtt) publishers.push(createMqttPublisher(rig.outputs.mqtt, context));
  publishers.push(...extra);
  const framePublishers = publishers.filter((p) => p.publishFrame !== undefined);
  const failures = new Map<string, number>();
  const metrics = rig.outputs.metrics ? new EngineMetrics(metricsSource) : undefined;
  let metricsServer: { url: string; close(): Promise<void> } | undefined;
  const endpoints: Record<string, string> = {};

  /** A publisher that throws loses that message, not the stream: counted, logged once. */
  const guarded = (publisher: Publisher, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      const n = (failures.get(publisher.name) ?? 0) + 1;
      failures.set(publisher.name, n);
      if (n === 1) context.log?.(`${publisher.name}: ${(err as Error).message}`);
    }
  };

  return {
    endpoints,
    async start() {
      for (const p of publishers) {
        await p.start();
        const url = (p as { url?: string }).url ?? (p as { brokerUrl?: string }).brokerUrl;
        if (url) endpoints[p.name] = url;
      }
      if (rig.outputs.metrics && metrics) {
        metricsServer = await startMetricsServer(metrics, metricsSource, rig.outputs.metrics);
        endpoints.metrics = `${metricsServer.url}/metrics`;
        context.log?.(`metrics on ${metricsServer.url}/metrics`);
      }
    },
    publishEvent(event) {
      const t0 = process.hrtime.bigint();
      for (const p of publishers) guarded(p, () => p.publishEvent(event));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      metrics?.observe({ ...event.latency, publishMs: ms });
      return ms;
    },
    publishFrame(frame) {
      for (const p of framePublishers) guarded(p, () => p.publishFrame!(frame));
    },
    async stop() {
      const results = await Promise.allSettled([...publishers.map((p) => p.stop()), metricsServer?.close()]);
      for (const r of results) if (r.status === 'rejected') context.log?.(`stopping outputs: ${(r.reason as Error).message}`);
    },
    stats() {
      const out: Record<string, PublisherStats> = {};
      for (const p of publishers) {
        const s = p.stats();
        const failed = failures.get(p.name);
        out[p.name] = failed ? { ...s, dropped: { ...s.dropped, 'publisher-error': failed } } : s;
      }
      return out;
    },
  };
}
