import type protobuf from 'protobufjs';
import { loadProtos } from '../../core/proto.js';
import { eventToProtoObject, type PerceptionEvent, type SensorHealth } from '../../events/perception-event.js';

export type PayloadEncoding = 'protobuf' | 'json';

/** The topics under the prefix, and what each carries. */
export interface EventPayloads {
  /** The whole event. */
  events: Uint8Array;
  /** A percept.PerceptionEvent holding only seq, stamp_ns and objects (an empty list is sent too: "nothing seen"). */
  objects: Uint8Array;
  /** A percept.PerceptionEvent holding only seq, stamp_ns and audio; undefined when the event has no audio events. */
  audio?: Uint8Array;
}

/**
 * One event as the MQTT payloads percept sends. Every topic uses percept.PerceptionEvent so that a
 * subscriber needs one schema: the objects and audio topics are the event with the other fields
 * left empty. json is proto3 JSON (64-bit integers as strings, enums by name, NaN as "NaN") with
 * the .proto's field names, which proto3 JSON parsers accept as well as lowerCamelCase.
 */
export function encodeEventPayloads(event: PerceptionEvent, encoding: PayloadEncoding): EventPayloads {
  const type = loadProtos().type('percept.PerceptionEvent');
  const whole = eventToProtoObject(event);
  const encode = (object: Record<string, unknown>): Uint8Array => encodeMessage(type, object, encoding);
  return {
    events: encode(whole),
    objects: encode({ seq: whole.seq, stamp_ns: whole.stamp_ns, objects: whole.objects }),
    audio: event.audio.length > 0 ? encode({ seq: whole.seq, stamp_ns: whole.stamp_ns, audio: whole.audio }) : undefined,
  };
}

function encodeMessage(type: protobuf.Type, object: Record<string, unknown>, encoding: PayloadEncoding): Uint8Array {
  const message = type.fromObject(object);
  if (encoding === 'protobuf') return type.encode(message).finish();
  const json = type.toObject(message, { longs: String, enums: String, json: true });
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** Decodes either encoding back to a percept.PerceptionEvent object (for subscribers and tests). */
export function decodeEventPayload(payload: Uint8Array, encoding: PayloadEncoding): Record<string, unknown> {
  const type = loadProtos().type('percept.PerceptionEvent');
  const message = encoding === 'protobuf' ? type.decode(payload) : type.fromObject(JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>);
  return type.toObject(message, { longs: String, enums: String, json: true });
}

/** What the retained status topic says while percept runs. */
export interface OnlineStatus {
  state: 'online';
  rig: string;
  /** Engine clock, Unix nanoseconds as a decimal string. */
  stampNs: string;
  uptimeS: number;
  events: number;
  lastSeq: number | null;
  sent: number;
  queued: number;
  dropped: Record<string, number>;
  reconnects: number;
  /** Sensor health from the latest event. */
  sensors: SensorHealth[];
}

export interface OfflineStatus {
  state: 'offline';
  rig: string;
  /** "will": the broker published it because the connection died; "stopped": percept shut down cleanly. */
  reason: 'will' | 'stopped';
}

export function statusPayload(status: OnlineStatus | OfflineStatus): Buffer {
  return Buffer.from(JSON.stringify(status), 'utf8');
}
