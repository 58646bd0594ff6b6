/**
 * `percept models [--config RIG]`: the built-in models and the rig's encoders, each loaded into a
 * real ONNX Runtime session: inputs, outputs, the provider in use and the warm latency (warm-up,
 * then the median of 10 runs on zero inputs).
 */
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { loadRigFile } from '../config/load-rig.js';
import { builtInModels } from '../encode/builtin-models.js';
import { BUILT_IN_MODELS, encoderConfigSchema, resolveModelPath, type EncoderConfig } from '../encode/encoder-config.js';
import { createSession, formatDims, type ExecutionProvider, type Session, type TensorInfo } from '../encode/session.js';
import { VAD_CONTEXT } from '../encode/vad.js';
import { UsageError } from './cli-error.js';

export interface ModelsCommandOptions {
  config?: string;
  json?: boolean;
  /** Commander's --no-latency: false skips loading the models. */
  latency?: boolean;
}

export interface ModelReport {
  name: string;
  /** 'built-in' or the rig's encoder. */
  origin: 'built-in' | 'rig';
  type: string;
  path: string;
  licence?: string;
  description?: string;
  provider?: string;
  providerReason?: string;
  inputs?: TensorInfo[];
  outputs?: TensorInfo[];
  /** Median of 10 runs after warm-up, ms. */
  warmLatencyMs?: number;
  /** Why the model could not be loaded or run. */
  error?: string;
}

const RUNS = 10;

export async function runModelsCommand(opts: ModelsCommandOptions): Promise<void> {
  const reports = await collectModelReports(opts);
  if (opts.json) {
    for (const r of reports) process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    process.stdout.write(formatModelReports(reports) + '\n');
  }
  if (reports.some((r) => r.error !== undefined)) process.exitCode = 2;
}

export async function collectModelReports(opts: ModelsCommandOptions = {}): Promise<ModelReport[]> {
  const entries: { report: ModelReport; providers: readonly ExecutionProvider[]; shapes: Record<string, readonly (number | null)[]>; feeds: Record<string, ort.Tensor> }[] = [];
  for (const m of builtInModels()) {
    const report: ModelReport = { name: m.name, origin: 'built-in', type: m.type, path: '', licence: m.licence, description: `${m.title}: ${m.task}` };
    try {
      report.path = resolveModelPath(m.name);
    } catch (err) {
      const converted = BUILT_IN_MODELS[m.name]?.build !== undefined;
      report.error = `package ${m.package} is not installed${converted ? ' or its model cannot be converted' : ''}: ${(err as Error).message}`;
    }
    entries.push({ report, providers: ['cpu'], ...vadShapes(m.type) });
  }
  if (opts.config !== undefined) {
    for (const e of rigEncoders(opts.config)) {
      const report: ModelReport = { name: e.name, origin: 'rig', type: e.type, path: resolveModelPath(e.model, dirname(opts.config)) };
      const shapes = e.type === 'vad' ? vadShapes('vad') : { shapes: imageShapes(e), feeds: {} };
      entries.push({ report, providers: e.providers, ...shapes });
    }
  }
  for (const entry of entries) {
    if (entry.report.error !== undefined || opts.latency === false) continue;
    await measure(entry.report, entry.providers, entry.shapes, entry.feeds);
  }
  return entries.map((e) => e.report);
}

function vadShapes(type: string): { shapes: Record<string, readonly (number | null)[]>; feeds: Record<string, ort.Tensor> } {
  if (type !== 'vad') return { shapes: {}, feeds: {} };
  return {
    shapes: { input: [1, 512 + VAD_CONTEXT], state: [2, 1, 128] },
    feeds: { sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []) },
  };
}

/** An image encoder's input size, for the dynamic dimensions of a zero input; the input's name is filled in once known. */
function imageShapes(e: EncoderConfig): Record<string, readonly (number | null)[]> {
  const w = e.input?.width ?? 640, h = e.input?.height ?? 640;
  return { '*image': e.input?.layout === 'nhwc' ? [1, h, w, 3] : [1, 3, h, w] };
}

/** The rig's encoders, read with the encoder schema whether or not the rig schema knows them yet. */
function rigEncoders(path: string): EncoderConfig[] {
  let rig: { encoders?: unknown };
  try {
    rig = loadRigFile(path) as unknown as { encoders?: unknown };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const list = Array.isArray(rig.encoders) ? rig.encoders : [];
  return list.map((value, i) => {
    const parsed = encoderConfigSchema.safeParse(value);
    if (!parsed.success) throw new UsageError(`${path}: encoders[${i}]: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
}

async function measure(report: ModelReport, providers: readonly ExecutionProvider[], shapes: Record<string, readonly (number | null)[]>, feeds: Record<string, ort.Tensor>): Promise<void> {
  let session: Session | undefined;
  try {
    // Warm-up here rather than in createSession: a dynamic image size must not become 1 × 1.
    const known = Object.fromEntries(Object.entries(shapes).filter(([k]) => !k.startsWith('*')));
    session = await createSession(report.path, { name: report.name, providers, inputShapes: known, warmup: false, log: () => undefined });
    report.provider = session.provider;
    if (session.providerReason) report.providerReason = session.providerReason;
    report.inputs = [...session.inputs];
    report.outputs = [...session.outputs];
    const image = shapes['*image'];
    const first = session.inputs[0];
    const run = zeroFeeds(session.inputs, image && first && first.dims.length === 4 ? { ...known, [first.name]: image } : known, feeds);
    await session.run(run);
    await session.run(run);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      await session.run(run);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    report.warmLatencyMs = (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2;
  } catch (err) {
    report.error = (err as Error).message;
  } finally {
    await session?.close();
  }
}

/** Zeros of each input's type and shape; dynamic dimensions from `shapes`, else 1. */
function zeroFeeds(inputs: readonly TensorInfo[], shapes: Record<string, readonly (number | null)[]>, given: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    if (given[input.name]) {
      feeds[input.name] = given[input.name];
      continue;
    }
    const dims = input.dims.map((d, i) => (typeof d === 'number' && d >= 0 ? d : (shapes[input.name]?.[i] ?? 1)));
    const size = dims.reduce((a, b) => a * b, 1);
    switch (input.type) {
      case 'float32': feeds[input.name] = new ort.Tensor('float32', new Float32Array(size), dims); break;
      case 'uint8': feeds[input.name] = new ort.Tensor('uint8', new Uint8Array(size), dims); break;
      case 'int32': feeds[input.name] = new ort.Tensor('int32', new Int32Array(size), dims); break;
      case 'int64': feeds[input.name] = new ort.Tensor('int64', new BigInt64Array(size), dims); break;
      default: throw new Error(`input "${input.name}" is ${input.type}; no zero input to time it with`);
    }
  }
  return feeds;
}

export function formatModelReports(reports: readonly ModelReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.name}  (${r.origin}, ${r.type})${r.description ? `  ${r.description}` : ''}`);
    lines.push(`  file      ${r.path || '—'}`);
    if (r.licence) lines.push(`  licence   ${r.licence}`);
    if (r.error !== undefined) {
      lines.push(`  error     ${r.error}`);
      continue;
    }
    for (const i of r.inputs ?? []) lines.push(`  input     ${i.name} ${i.type} ${formatDims(i.dims)}`);
    for (const o of r.outputs ?? []) lines.push(`  output    ${o.name} ${o.type} ${formatDims(o.dims)}`);
    if (r.provider) lines.push(`  provider  ${r.provider}${r.providerReason ? ` (CUDA: ${r.providerReason})` : ''}`);
    if (r.warmLatencyMs !== undefined) lines.push(`  latency   ${r.warmLatencyMs.toFixed(3)} ms warm (median of ${RUNS} runs on zero inputs)`);
  }
  return lines.join('\n');
}
