import { describe, it, expect } from 'vitest';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { protobufFromBinaryDescriptor } from '@mcap/support';
import { loadProtos } from './proto.js';

const protos = loadProtos();

/** Every message type declared in a namespace, nested ones included. */
function messageTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) out.push(...messageTypes(nested));
  }
  return out;
}

/**
 * A message with every field set to a value that differs from its default, so a field that failed
 * to encode or decode would show. `depth` stops recursive types.
 */
function sample(type: protobuf.Type, depth = 0): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  type.fieldsArray.forEach((field, i) => {
    const one = (k: number): unknown => scalarSample(field, i + k, depth);
    const value = field.repeated ? [one(0), one(1)] : one(0);
    if (value !== undefined) msg[field.name] = value;
  });
  return msg;
}

function scalarSample(field: protobuf.Field, k: number, depth: number): unknown {
  const rt = field.resolve().resolvedType;
  if (rt instanceof protobuf.Type) return depth < 3 ? sample(rt, depth + 1) : undefined;
  if (rt instanceof protobuf.Enum) {
    const names = Object.keys(rt.values);
    return names[1 + (k % (names.length - 1))];
  }
  switch (field.type) {
    case 'double': return 1e15 + k + 0.5;
    case 'float': return 0.25 + k; // exactly representable in float32
    case 'int64': case 'sint64': case 'sfixed64': return `-${1_700_000_000_123_456_789n + BigInt(k)}`;
    case 'uint64': case 'fixed64': return `${18_446_744_073_709_551_000n + BigInt(k)}`;
    case 'int32': case 'sint32': case 'sfixed32': return -(k + 1);
    case 'uint32': case 'fixed32': return 4_000_000_000 + k;
    case 'bool': return true;
    case 'string': return `s${k}-ünïcode`;
    case 'bytes': return Buffer.from([0, 255, k, 128]).toString('base64');
    default: throw new Error(`no sample for field type ${field.type}`);
  }
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false, arrays: true };

describe('loadProtos', () => {
  it('parses once and shares the result', () => {
    expect(loadProtos()).toBe(protos);
    expect(protos.type('percept.PerceptionEvent')).toBe(protos.type('percept.PerceptionEvent'));
  });

  it('throws for an unknown type', () => {
    expect(() => protos.type('percept.NoSuchThing')).toThrow(/no such type/);
  });
});

describe('percept.proto', () => {
  const types = messageTypes(protos.root.lookup('percept') as protobuf.Namespace);

  it('declares the messages the engine writes', () => {
    const names = types.map((t) => t.fullName.replace(/^\./, ''));
    for (const name of ['percept.RadarScan', 'percept.AudioChunk', 'percept.GroundTruth', 'percept.PerceptionEvent', 'percept.SensorHealth', 'percept.Detection2D']) {
      expect(names).toContain(name);
    }
    expect(types.length).toBeGreaterThanOrEqual(13);
  });

  for (const type of messageTypes(loadProtos().root.lookup('percept') as protobuf.Namespace)) {
    it(`round-trips ${type.fullName.replace(/^\./, '')} with every field set`, () => {
      const input = sample(type);
      expect(type.verify(type.fromObject(input))).toBeNull();
      const bytes = type.encode(type.fromObject(input)).finish();
      expect(bytes.length).toBeGreaterThan(0);
      const decoded = type.toObject(type.decode(bytes), TO_OBJECT);
      expect(decoded).toEqual(type.toObject(type.fromObject(input), TO_OBJECT));
      // And the scalar values are exactly the ones put in (int64 through strings, no float loss).
      expect(decoded).toEqual(input);
    });
  }

  it('keeps 64-bit stamps exact through the proto3 JSON mapping', () => {
    const T = protos.type('percept.PerceptionEvent');
    const event = { seq: '18446744073709551615', stamp_ns: '1700000000123456789', missing: ['radar_front'] };
    const json = JSON.stringify(T.toObject(T.decode(T.encode(T.fromObject(event)).finish()), { longs: String }));
    expect(JSON.parse(json)).toMatchObject(event);
  });

  it('rejects truncated bytes with an error instead of garbage', () => {
    const T = protos.type('percept.RadarScan');
    const bytes = T.encode(T.fromObject(sample(T))).finish();
    expect(() => T.decode(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

/** The schemas percept writes into MCAP files. */
const MCAP_SCHEMAS = [
  'foxglove.PointCloud',
  'foxglove.CompressedImage',
  'foxglove.RawImage',
  'foxglove.LocationFix',
  'foxglove.FrameTransform',
  'foxglove.FrameTransforms',
  'foxglove.CameraCalibration',
  'foxglove.SceneUpdate',
  'foxglove.PoseInFrame',
  'percept.RadarScan',
  'percept.AudioChunk',
  'percept.GroundTruth',
  'percept.PerceptionEvent',
];

describe('descriptorSet', () => {
  for (const name of MCAP_SCHEMAS) {
    it(`${name}: decodes with @mcap/support's protobufFromBinaryDescriptor, as Foxglove Studio reads MCAP schemas`, () => {
      const ours = protos.type(name);
      const setBytes = protos.descriptorSet(name);
      expect(protos.descriptorSet(name)).toBe(setBytes); // cached
      // Foxglove's reader: FileDescriptorSet → Root (its own protobufjs copy), then the schema by name.
      const theirRoot = protobufFromBinaryDescriptor(setBytes);
      theirRoot.resolveAll();
      const theirs = theirRoot.lookupType(name);
      const shape = (t: { fieldsArray: { name: string; id: number; type: string; repeated: boolean; resolvedType: { fullName: string } | null }[] }) =>
        t.fieldsArray.map((f) => [f.name, f.id, f.resolvedType?.fullName ?? f.type, f.repeated]);
      expect(shape(theirs)).toEqual(shape(ours));
      // A message written with our types reads back the same with theirs.
      const input = sample(ours);
      const bytes = ours.encode(ours.fromObject(input)).finish();
      const read = theirs.toObject(theirs.decode(bytes), TO_OBJECT);
      expect(read).toEqual(ours.toObject(ours.decode(bytes), TO_OBJECT));
    });
  }

  it('holds only the files the type needs', () => {
    const set = (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet.decode(protos.descriptorSet('foxglove.PointCloud')) as unknown as {
      file: { package?: string; messageType?: { name: string }[] }[];
    };
    const declared = set.file.flatMap((f) => (f.messageType ?? []).map((m) => `${f.package}.${m.name}`)).sort();
    expect(declared).toEqual([
      'foxglove.PackedElementField',
      'foxglove.PointCloud',
      'foxglove.Pose',
      'foxglove.Quaternion',
      'foxglove.Vector3',
      'google.protobuf.Timestamp',
    ]);
  });
});
