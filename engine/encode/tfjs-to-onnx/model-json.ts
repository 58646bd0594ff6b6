/**
 * model.json of a TensorFlow.js graph model (tfjs-converter's output): the GraphDef's nodes, the
 * weights manifest and the signature. Read with a schema so that a malformed file fails here, with
 * the field path, rather than as an undefined deep inside the conversion.
 */
import { z } from 'zod';
import { TfjsConversionError } from './conversion-error.js';

const attrValueSchema = z
  .object({
    s: z.string().optional(),
    i: z.union([z.string(), z.number()]).optional(),
    f: z.number().optional(),
    b: z.boolean().optional(),
    type: z.string().optional(),
    shape: z.unknown().optional(),
    tensor: z.unknown().optional(),
    list: z
      .object({
        s: z.array(z.string()).optional(),
        i: z.array(z.union([z.string(), z.number()])).optional(),
        f: z.array(z.number()).optional(),
        b: z.array(z.boolean()).optional(),
        type: z.array(z.string()).optional(),
        shape: z.array(z.unknown()).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

const nodeSchema = z
  .object({
    name: z.string().min(1),
    op: z.string().min(1),
    input: z.array(z.string()).default([]),
    attr: z.record(z.string(), attrValueSchema).default({}),
  })
  .passthrough();

const quantizationSchema = z
  .object({
    dtype: z.enum(['uint8', 'uint16', 'float16']),
    min: z.number().optional(),
    scale: z.number().optional(),
    original_dtype: z.string().optional(),
  })
  .passthrough();

const weightSchema = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
    quantization: quantizationSchema.optional(),
  })
  .passthrough();

const weightGroupSchema = z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(weightSchema) }).passthrough();

const signatureEntrySchema = z.object({ name: z.string().min(1) }).passthrough();

const modelSchema = z
  .object({
    format: z.string().optional(),
    modelTopology: z.object({ node: z.array(nodeSchema) }).passthrough(),
    weightsManifest: z.array(weightGroupSchema).default([]),
    signature: z
      .object({
        inputs: z.record(z.string(), signatureEntrySchema).optional(),
        outputs: z.record(z.string(), signatureEntrySchema).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export type TfjsAttrValue = z.output<typeof attrValueSchema>;
export type TfjsNode = z.output<typeof nodeSchema>;
export type TfjsWeightSpec = z.output<typeof weightSchema>;
export type TfjsWeightGroup = z.output<typeof weightGroupSchema>;
export type TfjsGraphModel = z.output<typeof modelSchema>;

/** A zod issue path as a field path: modelTopology.node[3].op. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i ? '.' : ''}${String(key)}`)).join('') || '(root)';
}

/** Parses and checks model.json; `file` names it in errors. */
export function parseModelJson(text: string, file: string): TfjsGraphModel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TfjsConversionError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'layers-model') {
    throw new TfjsConversionError(`${file}: a TFJS layers model (Keras); only graph models (format "graph-model") can be converted`);
  }
  const result = modelSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problems)` : '';
    throw new TfjsConversionError(`${file}: not a TFJS graph model: ${formatPath(issue.path)}: ${issue.message}${more}`);
  }
  const names = new Set<string>();
  for (const node of result.data.modelTopology.node) {
    if (names.has(node.name)) throw new TfjsConversionError(`${file}: two nodes are named "${node.name}"`);
    names.add(node.name);
  }
  return result.data;
}
