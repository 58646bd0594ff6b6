import { onnxProto } from './onnx-proto.js';
import { OnnxBuildError } from './onnx-build-error.js';
import type { GraphBuilder } from './graph-builder.js';

export interface BuildModelOptions {
  /** The ai.onnx operator set version the nodes bind to (e.g. 17). */
  opset: number;
  graph: GraphBuilder;
  /**
   * The IR version written. Default: 10 up to opset 22, 11 from opset 23 (ONNX's pairing of
   * IR and opset versions).
   */
  irVersion?: number;
  /** Further operator sets, e.g. { domain: 'com.microsoft', version: 1 }. */
  extraOpsets?: readonly { domain: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** ModelProto.metadata_props: what the model computes, its layout, its source. */
  metadata?: Readonly<Record<string, string>>;
}

/** The serialized ModelProto: bytes for `ort.InferenceSession.create(bytes)` or a `.onnx` file. */
export function buildModel(options: BuildModelOptions): Uint8Array {
  const { opset } = options;
  if (!Number.isInteger(opset) || opset < 1) throw new OnnxBuildError(`opset must be a positive integer, got ${opset}`);
  const irVersion = options.irVersion ?? (opset >= 23 ? 11 : 10);
  const graph = options.graph.toGraphProto();
  const fields = {
    ir_version: irVersion,
    producer_name: options.producerName ?? 'percept',
    producer_version: options.producerVersion ?? '',
    doc_string: options.docString ?? '',
    opset_import: [{ domain: '', version: opset }, ...(options.extraOpsets ?? []).map((o) => ({ domain: o.domain, version: o.version }))],
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph,
  };
  const { ModelProto } = onnxProto();
  const message = ModelProto.fromObject(fields);
  return ModelProto.encode(message).finish();
}

/** The model's fields as protobufjs reads them back (snake_case), for tests and inspection. */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const { ModelProto } = onnxProto();
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, unknown>;
}
