import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, freemem, platform, release, totalmem, type as osType } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { packageRoot } from '../core/package-root.js';
import { nativeStatus, type NativeStatus } from '../../native/index.js';

/** A check either gives its findings or says why it could not; no check throws. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface PerceptInfo {
  version: string;
  root: string;
}

export interface SystemInfo {
  nodeVersion: string;
  platform: NodeJS.Platform;
  arch: string;
  osRelease: string;
  cpuCount: number;
  cpuModel: string;
  totalMemoryBytes: number;
  freeMemoryBytes: number;
}

export interface ToolProbe {
  /** Where the executable is on PATH, or undefined when it is not. */
  path?: string;
  /** The first lines of its output, when it ran. */
  output?: string;
  /** Why running it failed (exit status, timeout, spawn error), when it did. */
  error?: string;
}

export interface CudaState {
  nvcc: ToolProbe;
  nvidiaSmi: ToolProbe;
}

export interface OnnxRuntimeBackend {
  name: string;
  /** Shipped inside the npm package; the others need their libraries installed separately. */
  bundled: boolean;
}

export interface OnnxRuntimeState {
  version: string;
  /** From ort.listSupportedBackends(), when this onnxruntime-node has it. */
  backends?: OnnxRuntimeBackend[];
  /** The folder of the native binding and the execution-provider libraries found in it. */
  bindingDir?: string;
  providerLibraries: string[];
  cudaProviderInstalled: boolean;
  /** What a person needs to know about GPU inference with this install. */
  note: string;
}

export interface DoctorReport {
  percept: CheckResult<PerceptInfo>;
  system: CheckResult<SystemInfo>;
  native: CheckResult<NativeStatus>;
  cuda: CheckResult<CudaState>;
  onnxRuntime: CheckResult<OnnxRuntimeState>;
}

/** How long an external tool (nvcc, nvidia-smi) may take before it is reported as hanging. */
const TOOL_TIMEOUT_MS = 10_000;
/** Output kept from a tool: enough for a version banner or a GPU table. */
const TOOL_OUTPUT_LINES = 12;

const CUDA_OPT_IN =
  'it is not bundled with onnxruntime-node and needs the opt-in setup; the default install is CPU-only';

export async function collectDoctorReport(): Promise<DoctorReport> {
  return {
    percept: check(perceptInfo),
    system: check(systemInfo),
    native: check(nativeStatus),
    cuda: check(cudaState),
    onnxRuntime: await checkAsync(onnxRuntimeState),
  };
}

function check<T>(fn: () => T): CheckResult<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

async function checkAsync<T>(fn: () => Promise<T>): Promise<CheckResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

function perceptInfo(): PerceptInfo {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${join(root, 'package.json')} has no version`);
  return { version: pkg.version, root };
}

function systemInfo(): SystemInfo {
  const cpuList = cpus();
  return {
    nodeVersion: process.version,
    platform: platform(),
    arch: arch(),
    osRelease: `${osType()} ${release()}`,
    cpuCount: availableParallelism(),
    // Some containers and VMs report no model string.
    cpuModel: cpuList[0]?.model.trim() || 'unknown',
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
  };
}

function cudaState(): CudaState {
  return {
    nvcc: probeTool('nvcc', ['--version']),
    nvidiaSmi: probeTool('nvidia-smi', ['--query-gpu=index,name,driver_version,memory.total', '--format=csv,noheader']),
  };
}

/** Finds a tool on PATH and runs it with a timeout; absence and failure are findings, not errors. */
function probeTool(name: string, args: string[]): ToolProbe {
  const path = findOnPath(name);
  if (!path) return {};
  const run = spawnSync(path, args, { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS, maxBuffer: 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = firstLines(`${run.stdout ?? ''}${run.stderr ?? ''}`);
  if (run.error) {
    const timedOut = (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return { path, output: output || undefined, error: timedOut ? `no answer within ${TOOL_TIMEOUT_MS / 1000} s` : run.error.message };
  }
  if (run.status !== 0) return { path, output: output || undefined, error: run.signal ? `killed by ${run.signal}` : `exit status ${run.status}` };
  return { path, output };
}

function findOnPath(name: string): string | undefined {
  const extensions = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

function firstLines(text: string): string {
  const lines = text.trim().split('\n');
  const kept = lines.slice(0, TOOL_OUTPUT_LINES).map((l) => l.trimEnd());
  if (lines.length > TOOL_OUTPUT_LINES) kept.push(`... (${lines.length - TOOL_OUTPUT_LINES} more lines)`);
  return kept.join('\n');
}

interface OrtModule {
  env: { logLevel?: string; versions?: Record<string, string> };
  listSupportedBackends?: () => OnnxRuntimeBackend[];
}

async function onnxRuntimeState(): Promise<OnnxRuntimeState> {
  const imported = (await import('onnxruntime-node')) as unknown as OrtModule & { default?: OrtModule };
  const ort = imported.env ? imported : (imported.default as OrtModule);
  // Set before anything that may log: the doctor's output is the report alone.
  ort.env.logLevel = 'fatal';
  const version = ort.env.versions?.node ?? onnxPackageVersion() ?? 'unknown';
  const backends = ort.listSupportedBackends?.().map((b) => ({ name: b.name, bundled: b.bundled }));
  const bindingDir = onnxBindingDir();
  const providerLibraries = bindingDir ? listProviderLibraries(bindingDir) : [];
  const cudaProviderInstalled = providerLibraries.some((f) => /providers_cuda/.test(f));
  const cudaBackend = backends?.find((b) => b.name === 'cuda');
  let note: string;
  if (cudaProviderInstalled) note = 'the CUDA execution provider library is installed';
  else if (cudaBackend || process.platform === 'linux' || process.platform === 'win32') note = `CUDA provider: not installed: ${CUDA_OPT_IN}`;
  else note = `no CUDA execution provider on ${process.platform}`;
  return { version, backends, bindingDir, providerLibraries, cudaProviderInstalled, note };
}

function onnxPackageDir(): string {
  // dist/index.js → the package folder.
  return dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
}

function onnxPackageVersion(): string | undefined {
  const pkg = JSON.parse(readFileSync(join(onnxPackageDir(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version;
}

/** Where onnxruntime-node keeps its binding and libraries for this platform (bin/napi-v6/<platform>/<arch>). */
function onnxBindingDir(): string | undefined {
  const binDir = join(onnxPackageDir(), 'bin');
  const napi = readdirSync(binDir).filter((d) => d.startsWith('napi-v')).sort().pop();
  return napi ? join(binDir, napi, process.platform, process.arch) : undefined;
}

function listProviderLibraries(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => /providers/.test(f)).sort();
  } catch {
    return [];
  }
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines: string[] = [];
  const section = <T>(title: string, result: CheckResult<T>, describe: (v: T) => string[]): void => {
    if (!result.ok) {
      lines.push(`${title}: check failed: ${result.error}`);
      return;
    }
    const [first = '', ...rest] = describe(result.value);
    lines.push(`${title}: ${first}`, ...rest.map((l) => `  ${l}`));
  };

  section('percept', r.percept, (p) => [p.version, `installed at ${p.root}`]);
  section('system', r.system, (s) => [
    `Node ${s.nodeVersion} on ${s.platform}/${s.arch} (${s.osRelease})`,
    `CPU: ${s.cpuCount} × ${s.cpuModel}`,
    `memory: ${formatBytes(s.totalMemoryBytes)} total, ${formatBytes(s.freeMemoryBytes)} free`,
  ]);
  section('native addon', r.native, (n) => {
    if (!n.loaded) return ['not loaded', n.error ?? 'no reason given'];
    const out = [`loaded from ${n.path ?? '(unknown path)'}`];
    if (n.error) out.push(`backend info failed: ${n.error}`);
    if (n.info) {
      const i = n.info;
      out.push(`CPU backend: ${i.cpuThreads} threads`);
      out.push(`CUDA compiled in: ${i.cudaCompiled ? 'yes' : 'no'}`);
      out.push(i.cudaAvailable
        ? `CUDA available: yes, ${i.deviceCount} device${i.deviceCount === 1 ? '' : 's'}${i.deviceName ? ` (${i.deviceName})` : ''}`
        : `CUDA available: no: ${i.reason}`);
    }
    return out;
  });
  section('CUDA', r.cuda, (c) => {
    const nvccLines = c.nvcc.output?.split('\n') ?? [];
    const out = ['', `nvcc: ${describeProbe(c.nvcc, nvccLines.find((l) => /release/.test(l)) ?? nvccLines[0])}`];
    const gpus = c.nvidiaSmi.output?.split('\n') ?? [];
    out.push(`nvidia-smi: ${describeProbe(c.nvidiaSmi, gpus.length === 1 ? gpus[0] : `${gpus.length} GPUs (index, name, driver, memory)`)}`);
    if (gpus.length > 1 && !c.nvidiaSmi.error) out.push(...gpus.map((g) => `  ${g}`));
    return out;
  });
  section('ONNX Runtime', r.onnxRuntime, (o) => {
    const out = [`onnxruntime-node ${o.version}`];
    if (o.backends) {
      out.push(`execution providers: ${o.backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`);
    }
    out.push(`provider libraries${o.bindingDir ? ` in ${o.bindingDir}` : ''}: ${o.providerLibraries.length > 0 ? o.providerLibraries.join(', ') : 'none'}`);
    out.push(o.note);
    return out;
  });
  // A first line left empty by a section (CUDA) reads better without the trailing space.
  return lines.map((l) => l.trimEnd()).join('\n');
}

function describeProbe(p: ToolProbe, summary: string | undefined): string {
  if (!p.path) return 'not found';
  if (p.error) return `${p.path}: failed (${p.error})${p.output ? `: ${p.output.split('\n')[0]}` : ''}`;
  return `${p.path}: ${summary || '(no output)'}`;
}

function formatBytes(n: number): string {
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
