import type { Rig } from '../config/rig-schema.js';
import type { SensorFrame } from '../core/frames.js';
import type { PerceptionEvent } from '../events/perception-event.js';

/** What the engine tells every publisher about itself, for status messages and advertisements. */
export interface PublisherContext {
  rig: Rig;
  /** Engine clock in Unix nanoseconds. */
  clock: () => bigint;
  /** One line for the user (where a server listens, a broker connection lost). */
  log?: (line: string) => void;
}

/** Counters every publisher reports; the metrics endpoint exports them. */
export interface PublisherStats {
  /** Messages handed to clients or a broker. */
  sent: number;
  /** Messages dropped (slow client, full queue), by reason. */
  dropped: Record<string, number>;
  /** Connected clients (WebSocket) or 1/0 for a broker connection. */
  clients: number;
  /** Messages waiting to go out, summed over clients or the broker queue. */
  queued: number;
}

/**
 * An output of the engine: WebSocket, MQTT, an MCAP recorder. The engine calls start() before the
 * first frame, then publishEvent/publishFrame synchronously from its pipeline (they must not block:
 * queue and return), and stop() on shutdown, which must finish files and close sockets.
 */
export interface Publisher {
  readonly name: string;
  start(): Promise<void>;
  publishEvent(event: PerceptionEvent): void;
  /** Raw sensor frames, for outputs that offer them (Foxglove, recording). */
  publishFrame?(frame: SensorFrame): void;
  stop(): Promise<void>;
  stats(): PublisherStats;
}
