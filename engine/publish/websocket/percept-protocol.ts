import { z } from 'zod';

/** Subprotocol names on the one port; a client that names neither gets percept's protocol. */
export const PERCEPT_SUBPROTOCOL = 'percept.v1';
export const FOXGLOVE_SUBPROTOCOL = 'foxglove.websocket.v1';
export const PERCEPT_PROTOCOL_VERSION = 1;

export type PerceptTopic =
  | { kind: 'events' }
  | { kind: 'objects' }
  | { kind: 'audio' }
  | { kind: 'status' }
  | { kind: 'sensor'; sensorId: string };

export type PayloadEncoding = 'protobuf' | 'json';

export interface ObjectFilter {
  classes?: string[];
  radiusM?: number;
}

const filterSchema = z
  .object({
    classes: z.array(z.string().min(1).max(64)).max(64).optional(),
    radiusM: z.number().positive().finite().optional(),
  })
  .strict();

const subscriptionId = z.number().int().min(0).max(0xffffffff);

const clientMessageSchema = z.discriminatedUnion('op', [
  z
    .object({
      op: z.literal('subscribe'),
      id: subscriptionId,
      topic: z.string().min(1).max(200),
      encoding: z.enum(['protobuf', 'json']).default('protobuf'),
      filter: filterSchema.optional(),
    })
    .strict(),
  z.object({ op: z.literal('unsubscribe'), id: subscriptionId }).strict(),
]);

export type PerceptClientMessage =
  | { op: 'subscribe'; id: number; topic: PerceptTopic; topicName: string; encoding: PayloadEncoding; filter?: ObjectFilter }
  | { op: 'unsubscribe'; id: number };

export type ParseResult = { ok: true; message: PerceptClientMessage } | { ok: false; error: string };

export function parseTopic(name: string): PerceptTopic | undefined {
  if (name === 'events' || name === 'objects' || name === 'audio' || name === 'status') return { kind: name };
  if (name.startsWith('sensor/') && name.length > 'sensor/'.length) return { kind: 'sensor', sensorId: name.slice('sensor/'.length) };
  return undefined;
}

/**
 * Validates one control message from a client. Pure; every failure is one line naming what was
 * wrong, for the status error sent back.
 */
export function parseClientMessage(text: string, sensorIds: ReadonlySet<string>): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON: control messages are JSON objects with an "op"' };
  }
  const result = clientMessageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.length ? issue.path.join('.') : 'message';
    return { ok: false, error: `bad control message: ${path}: ${issue.message}` };
  }
  const msg = result.data;
  if (msg.op === 'unsubscribe') return { ok: true, message: msg };
  const topic = parseTopic(msg.topic);
  if (!topic) return { ok: false, error: `unknown topic "${msg.topic}" (known: events, objects, audio, status, sensor/<sensorId>)` };
  if (topic.kind === 'sensor' && !sensorIds.has(topic.sensorId)) {
    return { ok: false, error: `no sensor "${topic.sensorId}" in the rig (known: ${[...sensorIds].join(', ')})` };
  }
  if (msg.filter && topic.kind !== 'objects') return { ok: false, error: 'filter applies to the objects topic only' };
  return { ok: true, message: { op: 'subscribe', id: msg.id, topic, topicName: msg.topic, encoding: msg.encoding, filter: msg.filter } };
}

export interface TopicInfo {
  topic: string;
  /** The protobuf message of the topic's payloads. */
  schema: string;
}

export type PerceptServerMessage =
  | { op: 'hello'; server: 'percept'; version: number; rig: string; topics: TopicInfo[] }
  | { op: 'subscribed'; id: number; topic: string; encoding: PayloadEncoding; schema: string }
  | { op: 'unsubscribed'; id: number }
  | { op: 'status'; level: 'info' | 'warning' | 'error'; message: string; dropped?: number };
