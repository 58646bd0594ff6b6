import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../core/package-root.js';

/** The ONNX message types the builder writes, from proto/onnx.proto (upstream field numbers). */
export interface OnnxProtoTypes {
  readonly ModelProto: protobuf.Type;
  readonly GraphProto: protobuf.Type;
  readonly NodeProto: protobuf.Type;
  readonly TensorProto: protobuf.Type;
  readonly AttributeProto: protobuf.Type;
  readonly ValueInfoProto: protobuf.Type;
}

let loaded: OnnxProtoTypes | undefined;

/** Parsing the .proto costs milliseconds and the result is immutable, so it is parsed once per process. */
export function onnxProto(): OnnxProtoTypes {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  // keepCase: the builder writes the upstream snake_case field names (op_type, raw_data, ...).
  root.loadSync(join(packageRoot(), 'proto', 'onnx.proto'), { keepCase: true });
  root.resolveAll();
  loaded = {
    ModelProto: root.lookupType('onnx.ModelProto'),
    GraphProto: root.lookupType('onnx.GraphProto'),
    NodeProto: root.lookupType('onnx.NodeProto'),
    TensorProto: root.lookupType('onnx.TensorProto'),
    AttributeProto: root.lookupType('onnx.AttributeProto'),
    ValueInfoProto: root.lookupType('onnx.ValueInfoProto'),
  };
  return loaded;
}
