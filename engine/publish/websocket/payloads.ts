import type protobuf from 'protobufjs';
import type { SensorFrame } from '../../core/frames.js';
import { loadProtos } from '../../core/proto.js';
import { eventToProtoObject, type DetectedObject, type PerceptionEvent } from '../../events/perception-event.js';
import { encodeFrame } from '../../../scenarios/frame-codec.js';
import { EVENT_SCHEMA, SCHEMA_OF_MODALITY } from '../../../scenarios/topics.js';
import type { ObjectFilter, PayloadEncoding } from './percept-protocol.js';
import { sceneUpdateOf } from './scene-update.js';

/**
 * proto3 JSON with the field names of the .proto file (protoc's preserving_proto_field_name):
 * 64-bit integers and enums as strings, bytes as base64, NaN/Infinity as strings, defaults omitted.
 */
const JSON_CONVERSION: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

export function messageToJson(type: protobuf.Type, message: protobuf.Message): Record<string, unknown> {
  return type.toObject(message, JSON_CONVERSION);
}

function jsonBytes(type: protobuf.Type, message: protobuf.Message): Uint8Array {
  return Buffer.from(JSON.stringify(messageToJson(type, message)), 'utf8');
}

/** Encodes a proto-shaped object as protobuf or proto3 JSON. */
function encodeAs(type: protobuf.Type, object: Record<string, unknown>, encoding: PayloadEncoding): Uint8Array {
  const message = type.fromObject(object);
  return encoding === 'protobuf' ? type.encode(message).finish() : jsonBytes(type, message);
}

export function objectPassesFilter(o: DetectedObject, filter: ObjectFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.classes && !filter.classes.includes(o.label)) return false;
  // Distance from the base_link origin, where the objects' positions are expressed.
  if (filter.radiusM !== undefined && Math.hypot(o.position.x, o.position.y, o.position.z) > filter.radiusM) return false;
  return true;
}

/**
 * The encodings of one event, each made at most once however many clients want it. Every percept
 * topic but sensor/<id> carries a percept.PerceptionEvent: whole (events) or with only seq, stamp
 * and the topic's part set (objects, audio, status).
 */
export class EventPayloads {
  readonly event: PerceptionEvent;
  readonly #type = loadProtos().type(EVENT_SCHEMA);
  #object: Record<string, unknown> | undefined;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(event: PerceptionEvent) {
    this.event = event;
  }

  #protoObject(): Record<string, unknown> {
    return (this.#object ??= eventToProtoObject(this.event));
  }

  #cached(key: string, make: () => Uint8Array): Uint8Array {
    let bytes = this.#cache.get(key);
    if (!bytes) {
      bytes = make();
      this.#cache.set(key, bytes);
    }
    return bytes;
  }

  whole(encoding: PayloadEncoding): Uint8Array {
    return this.#cached(`event.${encoding}`, () => encodeAs(this.#type, this.#protoObject(), encoding));
  }

  /** The objects that pass the filter; undefined when the event has no objects at all. */
  objects(encoding: PayloadEncoding, filter: ObjectFilter | undefined): Uint8Array | undefined {
    if (this.event.objects.length === 0) return undefined;
    const all = this.#protoObject().objects as unknown[];
    const make = (): Uint8Array => {
      const kept = filter ? all.filter((_, i) => objectPassesFilter(this.event.objects[i], filter)) : all;
      return encodeAs(this.#type, { seq: this.event.seq, stamp_ns: this.event.stamp.toString(), objects: kept }, encoding);
    };
    return filter ? make() : this.#cached(`objects.${encoding}`, make);
  }

  /** undefined when the event carries no audio events. */
  audio(encoding: PayloadEncoding): Uint8Array | undefined {
    if (this.event.audio.length === 0) return undefined;
    return this.#cached(`audio.${encoding}`, () =>
      encodeAs(this.#type, { seq: this.event.seq, stamp_ns: this.event.stamp.toString(), audio: this.#protoObject().audio }, encoding));
  }

  health(encoding: PayloadEncoding): Uint8Array {
    return this.#cached(`health.${encoding}`, () =>
      encodeAs(this.#type, { seq: this.event.seq, stamp_ns: this.event.stamp.toString(), health: this.#protoObject().health }, encoding));
  }

  /** foxglove.SceneUpdate: a cube and a label per object. */
  sceneUpdate(): Uint8Array {
    return this.#cached('scene', () => {
      const type = loadProtos().type('foxglove.SceneUpdate');
      return type.encode(type.fromObject(sceneUpdateOf(this.event))).finish();
    });
  }
}

/** The encodings of one raw frame: its scenario protobuf (Foxglove's schema where one exists), or that as JSON. */
export class FramePayloads {
  readonly frame: SensorFrame;
  readonly schema: string;
  #proto: Uint8Array | undefined;
  #json: Uint8Array | undefined;
  /** Why the frame could not be encoded (a raw camera encoding, say); set after the first try. */
  error: string | undefined;

  constructor(frame: SensorFrame) {
    this.frame = frame;
    this.schema = SCHEMA_OF_MODALITY[frame.modality];
  }

  encoded(encoding: PayloadEncoding): Uint8Array | undefined {
    if (this.error !== undefined) return undefined;
    try {
      this.#proto ??= encodeFrame(this.frame);
      if (encoding === 'protobuf') return this.#proto;
      const type = loadProtos().type(this.schema);
      return (this.#json ??= jsonBytes(type, type.decode(this.#proto)));
    } catch (err) {
      this.error = (err as Error).message;
      return undefined;
    }
  }
}
