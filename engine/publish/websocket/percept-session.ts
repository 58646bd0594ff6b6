import { EVENT_SCHEMA } from '../../../scenarios/topics.js';
import { dataHeader } from './binary-frame.js';
import type { ClientSession, SessionShared } from './client-session.js';
import type { EventPayloads, FramePayloads } from './payloads.js';
import {
  PERCEPT_PROTOCOL_VERSION, parseClientMessage,
  type ObjectFilter, type PayloadEncoding, type PerceptServerMessage, type PerceptTopic, type TopicInfo,
} from './percept-protocol.js';
import type { ClientSendQueue } from './send-queue.js';
import { SCHEMA_OF_MODALITY } from '../../../scenarios/topics.js';
import type { Modality } from '../../core/frames.js';

interface PerceptSubscription {
  id: number;
  topic: PerceptTopic;
  encoding: PayloadEncoding;
  filter?: ObjectFilter;
}

export function perceptTopics(shared: Pick<SessionShared, 'rig'>): TopicInfo[] {
  return [
    ...['events', 'objects', 'audio', 'status'].map((topic) => ({ topic, schema: EVENT_SCHEMA })),
    ...shared.rig.sensors.map((s) => ({ topic: `sensor/${s.id}`, schema: SCHEMA_OF_MODALITY[s.modality as Modality] })),
  ];
}

/** percept's own protocol: JSON control messages in text frames, data in binary frames. */
export class PerceptSession implements ClientSession {
  readonly protocol = 'percept' as const;
  readonly queue: ClientSendQueue;
  readonly #shared: SessionShared;
  readonly #subs = new Map<number, PerceptSubscription>();

  constructor(queue: ClientSendQueue, shared: SessionShared) {
    this.queue = queue;
    this.#shared = shared;
  }

  get subscriptionCount(): number {
    return this.#subs.size;
  }

  open(): void {
    this.#send({ op: 'hello', server: 'percept', version: PERCEPT_PROTOCOL_VERSION, rig: this.#shared.rig.name, topics: perceptTopics(this.#shared) });
  }

  handleMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#send({ op: 'status', level: 'error', message: 'binary messages are not accepted; control messages are JSON text' });
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'), this.#shared.sensorIds);
    if (!parsed.ok) {
      this.#send({ op: 'status', level: 'error', message: parsed.error });
      return;
    }
    const msg = parsed.message;
    if (msg.op === 'unsubscribe') {
      if (!this.#subs.delete(msg.id)) this.#send({ op: 'status', level: 'error', message: `no subscription ${msg.id}` });
      else this.#send({ op: 'unsubscribed', id: msg.id });
      return;
    }
    if (this.#subs.has(msg.id)) {
      this.#send({ op: 'status', level: 'error', message: `subscription id ${msg.id} is already in use` });
      return;
    }
    const sub: PerceptSubscription = { id: msg.id, topic: msg.topic, encoding: msg.encoding, filter: msg.filter };
    this.#subs.set(msg.id, sub);
    const schema = msg.topic.kind === 'sensor'
      ? SCHEMA_OF_MODALITY[this.#shared.rig.sensors.find((s) => s.id === (msg.topic as { sensorId: string }).sensorId)!.modality as Modality]
      : EVENT_SCHEMA;
    this.#send({ op: 'subscribed', id: msg.id, topic: msg.topicName, encoding: msg.encoding, schema });
    // A new status subscriber need not wait for the next change or tick.
    const latest = this.#shared.latestEvent();
    if (msg.topic.kind === 'status' && latest) this.#data(sub, latest.event.stamp, latest.health(sub.encoding));
  }

  wantsSensor(sensorId: string): boolean {
    for (const sub of this.#subs.values()) if (sub.topic.kind === 'sensor' && sub.topic.sensorId === sensorId) return true;
    return false;
  }

  onEvent(p: EventPayloads): void {
    for (const sub of this.#subs.values()) {
      switch (sub.topic.kind) {
        case 'events':
          this.#data(sub, p.event.stamp, p.whole(sub.encoding));
          break;
        case 'objects': {
          const bytes = p.objects(sub.encoding, sub.filter);
          if (bytes) this.#data(sub, p.event.stamp, bytes);
          break;
        }
        case 'audio': {
          const bytes = p.audio(sub.encoding);
          if (bytes) this.#data(sub, p.event.stamp, bytes);
          break;
        }
        default:
          break;
      }
    }
  }

  onStatus(p: EventPayloads): void {
    for (const sub of this.#subs.values()) if (sub.topic.kind === 'status') this.#data(sub, p.event.stamp, p.health(sub.encoding));
  }

  onFrame(p: FramePayloads): void {
    for (const sub of this.#subs.values()) {
      if (sub.topic.kind !== 'sensor' || sub.topic.sensorId !== p.frame.sensorId) continue;
      const bytes = p.encoded(sub.encoding);
      if (bytes) this.#data(sub, p.frame.stamp, bytes);
    }
  }

  close(): void {
    this.#subs.clear();
    this.queue.close();
  }

  #data(sub: PerceptSubscription, stamp: bigint, payload: Uint8Array): void {
    const header = dataHeader(sub.id, stamp);
    this.queue.push({ kind: 'binary', header, payload, bytes: header.length + payload.length });
  }

  #send(msg: PerceptServerMessage): void {
    const text = JSON.stringify(msg);
    this.queue.push({ kind: 'text', text, bytes: Buffer.byteLength(text) });
  }
}

export function perceptDropWarning(dropped: number): string {
  const msg: PerceptServerMessage = {
    op: 'status',
    level: 'warning',
    message: `this client reads too slowly: ${dropped} messages dropped so far (oldest first)`,
    dropped,
  };
  return JSON.stringify(msg);
}
