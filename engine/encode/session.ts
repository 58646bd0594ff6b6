import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export type ExecutionProvider = 'cuda' | 'cpu';

/** One input or output of a model as ONNX Runtime reports it. */
export interface TensorInfo {
  name: string;
  /** Fixed sizes as numbers; a dynamic dimension is its symbol ('' when the model leaves it unnamed). */
  dims: (number | string)[];
  /** ONNX Runtime's tensor type ('float32', 'uint8', 'int64', ...), or 'non-tensor'. */
  type: string;
}

export type Feeds = Record<string, ort.Tensor>;
export type Fetches = Record<string, ort.Tensor>;

export interface SessionOptions {
  /** A name for messages and the log line (the encoder's name). */
  name: string;
  /** Tried in order; default ['cuda', 'cpu']. ['cuda'] alone fails when CUDA cannot be used. */
  providers?: readonly ExecutionProvider[];
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Two runs on zero inputs before the session is handed out (default true). */
  warmup?: boolean;
  /**
   * The shapes the caller will feed, by input name. A number must equal a fixed dimension of the
   * model (any size fits a dynamic one); null accepts whatever the model has. Warm-up uses them.
   */
  inputShapes?: Record<string, readonly (number | null)[]>;
  /** As inputShapes, for the model's first input whatever its name (an image model's one input). */
  firstInputShape?: readonly (number | null)[];
  /** Warm-up values for inputs where zeros will not do (e.g. a sample rate). */
  warmupFeeds?: Feeds;
  /** Where the one line naming the provider in use goes; default stderr. */
  log?: (line: string) => void;
}

export interface Session {
  readonly name: string;
  readonly provider: ExecutionProvider;
  /** Why CUDA is not in use ('' when it is). */
  readonly providerReason: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** Latency of the second warm-up run, ms (a warm run); NaN without warm-up. */
  readonly warmLatencyMs: number;
  /** Runs the model; calls queue so that one run at most is in flight on this session. */
  run(feeds: Feeds): Promise<Fetches>;
  /** Waits for the run in flight, releases the model and ends its thread. Idempotent. */
  close(): Promise<void>;
}

/** A model file larger than this is refused before it is read (the largest real detectors are ~250 MB). */
const MAX_MODEL_BYTES = 1024 * 1024 * 1024;

/**
 * An ONNX Runtime session on its own worker thread. onnxruntime-node 1.29's `run` returns a promise
 * but computes on the calling thread (inside a setImmediate), and so does model loading: on the
 * main thread a 100 ms inference is 100 ms in which no frame is read. Here the main thread only
 * posts the feeds and gets the outputs back.
 */
export async function createSession(model: string | Uint8Array, options: SessionOptions): Promise<Session> {
  const { name } = options;
  const providers = options.providers ?? ['cuda', 'cpu'];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const label = typeof model === 'string' ? `model "${name}" (${model})` : `model "${name}"`;
  if (providers.length === 0) throw new Error(`${label}: no execution providers requested`);
  if (typeof model === 'string') checkModelFile(model, label);
  const worker = new SessionWorker(label);

  let loaded: LoadedInfo | undefined;
  let provider: ExecutionProvider | undefined;
  let providerReason = providers.includes('cuda') ? '' : 'not requested';
  let lastError: unknown;
  for (const candidate of providers) {
    try {
      loaded = (await worker.call({ type: 'create', model, options: sessionOptions(candidate, options) })) as LoadedInfo;
      provider = candidate;
      break;
    } catch (err) {
      lastError = err;
      if (candidate === 'cuda') providerReason = cudaFailureReason(err);
    }
  }
  if (!loaded || !provider) {
    await worker.terminate();
    if (providers.length === 1 && providers[0] === 'cuda') throw new Error(`${label}: CUDA provider not available: ${providerReason}`);
    throw new Error(`${label}: cannot be loaded: ${explainLoadError(lastError)}`);
  }

  const inputs = loaded.inputs.map(toTensorInfo);
  const outputs = loaded.outputs.map(toTensorInfo);
  const shapes = { ...options.inputShapes };
  if (options.firstInputShape && inputs.length > 0) shapes[inputs[0].name] = options.firstInputShape;
  try {
    checkInputShapes(label, inputs, shapes);
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  log(`encoder ${name}: ONNX Runtime on ${provider}${provider === 'cuda' ? '' : ` (CUDA: ${providerReason})`}`);

  let tail: Promise<unknown> = Promise.resolve();
  const run = (feeds: Feeds): Promise<Fetches> => {
    const result = tail.then(async () => fromWire((await worker.call({ type: 'run', feeds: toWire(feeds) })) as WireTensors));
    // The queue goes on after a failed run; the caller sees the failure.
    tail = result.catch(() => undefined);
    return result.catch((err: unknown) => {
      throw new Error(`${label}: run failed: ${errorMessage(err)}`);
    });
  };

  let warmLatencyMs = Number.NaN;
  if (options.warmup ?? true) {
    const feeds = warmupFeeds(inputs, shapes, options.warmupFeeds ?? {});
    try {
      await run(feeds);
      const start = performance.now();
      await run(feeds);
      warmLatencyMs = performance.now() - start;
    } catch (err) {
      await worker.terminate();
      throw new Error(`${label}: warm-up on zero inputs (${describeFeeds(feeds)}) failed: ${errorMessage(err)}`);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    name,
    provider,
    providerReason,
    inputs,
    outputs,
    warmLatencyMs,
    run,
    close: () =>
      (closing ??= (async () => {
        await tail;
        await worker.terminate();
      })()),
  };
}

interface LoadedInfo {
  inputs: ort.InferenceSession.ValueMetadata[];
  outputs: ort.InferenceSession.ValueMetadata[];
}

interface WireTensor {
  type: string;
  data: ort.Tensor['data'];
  dims: readonly number[];
}
type WireTensors = Record<string, WireTensor>;

function toWire(feeds: Feeds): WireTensors {
  const wire: WireTensors = {};
  for (const [name, t] of Object.entries(feeds)) wire[name] = { type: t.type, data: t.data, dims: t.dims };
  return wire;
}

function fromWire(wire: WireTensors): Fetches {
  const fetches: Fetches = {};
  for (const [name, t] of Object.entries(wire)) fetches[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
  return fetches;
}

/**
 * The worker's code, plain CommonJS evaluated from a string so that it runs the same from sources
 * (vitest, tsx) and from dist/. It holds one session; outputs go back transferred, not copied.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
ort.env.logLevel = 'fatal';
let session;
parentPort.on('message', async (m) => {
  try {
    if (m.type === 'create') {
      session = await ort.InferenceSession.create(m.model, m.options);
      parentPort.postMessage({ id: m.id, ok: true, value: { inputs: session.inputMetadata, outputs: session.outputMetadata } });
    } else if (m.type === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const out = await session.run(feeds);
      const value = {};
      const transfer = [];
      for (const [name, t] of Object.entries(out)) {
        value[name] = { type: t.type, data: t.data, dims: t.dims };
        if (ArrayBuffer.isView(t.data) && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
      }
      parentPort.postMessage({ id: m.id, ok: true, value }, transfer);
    }
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, error: err && err.message ? err.message : String(err) });
  }
});
`;

type WorkerRequest =
  | { type: 'create'; model: string | Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { type: 'run'; feeds: WireTensors };

/** Request and response over one worker thread, which keeps the process alive only while a call is pending. */
class SessionWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #dead: Error | undefined;

  constructor(label: string) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath: createRequire(import.meta.url).resolve('onnxruntime-node') } });
    this.#worker.unref();
    this.#worker.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const call = this.#pending.get(m.id);
      if (!call) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.ok) call.resolve(m.value);
      else call.reject(new Error(m.error));
    });
    const fail = (err: Error): void => {
      this.#dead ??= err;
      for (const call of this.#pending.values()) call.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => fail(new Error(`${label}: its thread failed: ${err.message}`)));
    this.#worker.on('exit', (code) => fail(new Error(`${label}: its thread ended (exit code ${code})`)));
  }

  call(request: WorkerRequest): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ ...request, id });
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}

function checkModelFile(path: string, label: string): void {
  if (!existsSync(path)) throw new Error(`${label}: file not found`);
  const stat = statSync(path);
  if (!stat.isFile()) throw new Error(`${label}: not a file`);
  if (stat.size > MAX_MODEL_BYTES) throw new Error(`${label}: ${stat.size} bytes is more than the ${MAX_MODEL_BYTES}-byte limit`);
  if (stat.size === 0) throw new Error(`${label}: the file is empty`);
}

/** ONNX Runtime's messages start with its C++ source location and function signature; keep the sentence. */
function explainLoadError(err: unknown): string {
  let message = errorMessage(err).trim();
  const located = /^\S+\.(?:h|cc|cpp):\d+ .*?\) (?=[A-Z])/s.exec(message);
  if (located) message = message.slice(located[0].length);
  const opset = /Opset (\d+) is under development.*official support for domain (\S+) is till opset (\d+)/s.exec(message);
  if (opset) return `unsupported opset: the model uses ${opset[2]} opset ${opset[1]}; this ONNX Runtime supports up to opset ${opset[3]}`;
  return message;
}

function sessionOptions(provider: ExecutionProvider, options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider === 'cuda' ? { name: 'cuda', deviceId: 0 } : 'cpu'],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads !== undefined ? { interOpNumThreads: options.interOpThreads } : {}),
  };
}

/** ONNX Runtime says only "Failed to load shared library"; say which library and how to get it. */
function cudaFailureReason(err: unknown): string {
  const message = errorMessage(err);
  const dir = ortBindingDir();
  if (dir && !existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) && process.platform === 'linux') {
    return `libonnxruntime_providers_cuda.so is not installed in ${dir} (run npm run setup:cuda on a GPU machine): ${message}`;
  }
  return message;
}

function ortBindingDir(): string | undefined {
  try {
    const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    const binDir = join(packageDir, 'bin');
    const napi = readdirSync(binDir).filter((d) => d.startsWith('napi-v')).sort().pop();
    return napi ? join(binDir, napi, process.platform, process.arch) : undefined;
  } catch {
    return undefined;
  }
}

function toTensorInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, dims: [], type: 'non-tensor' };
  return { name: meta.name, dims: [...meta.shape], type: meta.type };
}

function checkInputShapes(label: string, inputs: readonly TensorInfo[], shapes: Record<string, readonly (number | null)[]>): void {
  for (const [inputName, expected] of Object.entries(shapes)) {
    const input = inputs.find((i) => i.name === inputName);
    if (!input) {
      throw new Error(`${label}: the configuration names input "${inputName}", the model's inputs are ${inputs.map((i) => `"${i.name}"`).join(', ')}`);
    }
    const fits =
      input.dims.length === expected.length &&
      expected.every((want, i) => want === null || typeof input.dims[i] !== 'number' || input.dims[i] === want);
    if (!fits) {
      throw new Error(`${label}: input "${inputName}" is ${formatDims(input.dims)} in the model, the configuration needs ${formatDims(expected)}`);
    }
  }
}

function warmupFeeds(inputs: readonly TensorInfo[], shapes: Record<string, readonly (number | null)[]>, given: Feeds): Feeds {
  const feeds: Feeds = {};
  for (const input of inputs) {
    const provided = given[input.name];
    if (provided) {
      feeds[input.name] = provided;
      continue;
    }
    const configured = shapes[input.name];
    const dims = input.dims.map((d, i) => (typeof d === 'number' && d >= 0 ? d : (configured?.[i] ?? 1)));
    feeds[input.name] = zeroTensor(input.type, dims);
  }
  return feeds;
}

function zeroTensor(type: string, dims: number[]): ort.Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(size), dims);
    case 'float64':
      return new ort.Tensor('float64', new Float64Array(size), dims);
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(size), dims);
    case 'int8':
      return new ort.Tensor('int8', new Int8Array(size), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(size), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(size), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(size), dims);
    default:
      throw new Error(`no zero value for a ${type} input; pass warmupFeeds`);
  }
}

function describeFeeds(feeds: Feeds): string {
  return Object.entries(feeds).map(([n, t]) => `${n} ${t.type}${formatDims(t.dims)}`).join(', ');
}

export function formatDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (d === null ? '?' : d === '' ? '?' : d)).join(', ')}]`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
