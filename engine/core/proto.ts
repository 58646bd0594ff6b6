import { join } from 'node:path';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { packageRoot } from './package-root.js';

const FOXGLOVE_MESSAGES = [
  'PointCloud', 'CompressedImage', 'RawImage', 'LocationFix', 'FrameTransform', 'FrameTransforms',
  'CameraCalibration', 'SceneUpdate', 'PoseInFrame',
];

/** percept.proto and the Foxglove schemas percept writes, parsed once per call site that needs them. */
export interface ProtoSchemas {
  readonly root: protobuf.Root;
  type(fullName: string): protobuf.Type;
  /** A serialized google.protobuf.FileDescriptorSet holding `fullName` and all it depends on, for MCAP schema records. */
  descriptorSet(fullName: string): Uint8Array;
}

let loaded: ProtoSchemas | undefined;

/** Parsing is costly and the result immutable, so it is shared by every caller in the process. */
export function loadProtos(): ProtoSchemas {
  if (loaded) return loaded;
  const protoDir = join(packageRoot(), 'proto');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith('google/protobuf/')) return target;
    return join(protoDir, target);
  };
  root.loadSync(['percept.proto', ...FOXGLOVE_MESSAGES.map((m) => `foxglove/${m}.proto`)], { keepCase: true });
  root.resolveAll();
  const types = new Map<string, protobuf.Type>();
  const sets = new Map<string, Uint8Array>();
  const schemas: ProtoSchemas = {
    root,
    type(fullName) {
      let t = types.get(fullName);
      if (!t) {
        t = root.lookupType(fullName);
        types.set(fullName, t);
      }
      return t;
    },
    descriptorSet(fullName) {
      let bytes = sets.get(fullName);
      if (!bytes) {
        bytes = buildDescriptorSet(schemas.type(fullName));
        sets.set(fullName, bytes);
      }
      return bytes;
    },
  };
  loaded = schemas;
  return schemas;
}

/** A fresh root that holds just the type's file and its imports, so the set names no unrelated files. */
function buildDescriptorSet(type: protobuf.Type): Uint8Array {
  const needed = new Set<protobuf.Type | protobuf.Enum>();
  const visit = (t: protobuf.Type): void => {
    if (needed.has(t)) return;
    needed.add(t);
    for (const field of t.fieldsArray) {
      const rt = field.resolve().resolvedType;
      if (rt instanceof protobuf.Type) visit(rt);
      else if (rt instanceof protobuf.Enum) needed.add(rt);
    }
    for (const nested of t.nestedArray) if (nested instanceof protobuf.Type) visit(nested);
  };
  visit(type);
  const root = new protobuf.Root();
  for (const t of needed) {
    if (t.parent instanceof protobuf.Type) continue; // nested types travel with their parent
    const ns = t.parent && t.parent.fullName ? root.define(t.parent.fullName.replace(/^\./, '')) : root;
    ns.add(cloneReflection(t));
  }
  const set = (root as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor('proto3');
  return (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet.encode(set).finish();
}

function cloneReflection(t: protobuf.Type | protobuf.Enum): protobuf.Type | protobuf.Enum {
  const json = t.toJSON();
  return t instanceof protobuf.Type ? protobuf.Type.fromJSON(t.name, json as protobuf.IType) : protobuf.Enum.fromJSON(t.name, json as protobuf.IEnum);
}
