import type { Rig } from '../../config/rig-schema.js';
import type { EventPayloads, FramePayloads } from './payloads.js';
import type { ClientSendQueue } from './send-queue.js';

/** What the server shares with every client session. */
export interface SessionShared {
  readonly rig: Rig;
  readonly sensorIds: ReadonlySet<string>;
  /** The newest event, for the status topic and for calibration stamps. */
  latestEvent(): EventPayloads | undefined;
  /** The first stamp published (for /tf_static), or the engine clock when none yet. */
  calibrationStamp(): bigint;
}

/** One connected client, speaking one protocol. */
export interface ClientSession {
  readonly protocol: 'percept' | 'foxglove';
  readonly queue: ClientSendQueue;
  readonly subscriptionCount: number;
  /** Sends the greeting (hello, or serverInfo and advertise). */
  open(): void;
  handleMessage(data: Buffer, isBinary: boolean): void;
  wantsSensor(sensorId: string): boolean;
  onEvent(payloads: EventPayloads): void;
  onStatus(payloads: EventPayloads): void;
  onFrame(payloads: FramePayloads): void;
  close(): void;
}
