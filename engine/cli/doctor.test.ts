import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDoctorReport, formatDoctorReport, type CheckResult, type DoctorReport } from './doctor.js';

const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** The value of a check that must have worked on this machine. */
function valueOf<T>(result: CheckResult<T>): T {
  if (!result.ok) throw new Error(`check failed: ${result.error}`);
  return result.value;
}

describe('collectDoctorReport on this machine', () => {
  let report: DoctorReport;
  beforeAll(async () => {
    report = await collectDoctorReport();
  });

  it('gives percept’s version from package.json', () => {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
    expect(valueOf(report.percept).version).toBe(pkg.version);
    expect(existsSync(join(valueOf(report.percept).root, 'proto', 'percept.proto'))).toBe(true);
  });

  it('describes Node, the platform, the CPUs and the memory', () => {
    const system = valueOf(report.system);
    expect(system.nodeVersion).toBe(process.version);
    expect(system.platform).toBe(process.platform);
    expect(system.arch).toBe(process.arch);
    expect(system.cpuCount).toBeGreaterThanOrEqual(1);
    expect(system.cpuModel.length).toBeGreaterThan(0);
    expect(system.totalMemoryBytes).toBeGreaterThan(system.freeMemoryBytes);
    expect(system.freeMemoryBytes).toBeGreaterThan(0);
  });

  it('finds the native addon loaded, with CUDA available exactly when a GPU answers', () => {
    const native = valueOf(report.native);
    expect(native.error).toBeUndefined();
    expect(native.loaded).toBe(true);
    const info = native.info!;
    expect(info.cpuThreads).toBeGreaterThanOrEqual(1);
    const gpuAnswers = valueOf(report.cuda).nvidiaSmi.output !== undefined && valueOf(report.cuda).nvidiaSmi.error === undefined;
    if (!gpuAnswers) {
      // This machine (no GPU, no driver): CUDA is off, and the addon says why.
      expect(info.cudaAvailable).toBe(false);
      expect(info.deviceCount).toBe(0);
      expect(info.reason.length).toBeGreaterThan(10);
      expect(info.reason).not.toBe('ok');
    } else if (info.cudaCompiled) {
      expect(info.cudaAvailable).toBe(true);
      expect(info.deviceCount).toBeGreaterThanOrEqual(1);
    }
  });

  it('reports nvcc and nvidia-smi as found with their output, or as not found', () => {
    const cuda = valueOf(report.cuda);
    for (const probe of [cuda.nvcc, cuda.nvidiaSmi]) {
      if (probe.path === undefined) {
        expect(probe.output).toBeUndefined();
      } else {
        expect(existsSync(probe.path)).toBe(true);
        expect(probe.output !== undefined || probe.error !== undefined).toBe(true);
      }
    }
    if (cuda.nvcc.path && !cuda.nvcc.error) expect(cuda.nvcc.output).toMatch(/release \d+\.\d+/);
  });

  it('reports onnxruntime-node 1.29.0 with the CPU provider, and the CUDA provider as opt-in', () => {
    const ort = valueOf(report.onnxRuntime);
    expect(ort.version).toBe('1.29.0');
    expect(ort.backends).toContainEqual({ name: 'cpu', bundled: true });
    expect(ort.bindingDir).toMatch(/onnxruntime-node[/\\]bin[/\\]napi-v\d+[/\\]/);
    expect(existsSync(join(ort.bindingDir!, 'onnxruntime_binding.node'))).toBe(true);
    expect(ort.cudaProviderInstalled).toBe(ort.providerLibraries.some((f) => f.includes('providers_cuda')));
    if (!ort.cudaProviderInstalled) expect(ort.note).toMatch(/CUDA provider: not installed: .*opt-in setup/);
  });

  it('formats every section, one finding a line', () => {
    const text = formatDoctorReport(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`percept: ${valueOf(report.percept).version}`);
    expect(lines).toContain(`system: Node ${process.version} on ${process.platform}/${process.arch} (${valueOf(report.system).osRelease})`);
    expect(lines.some((l) => l.startsWith('native addon: loaded from '))).toBe(true);
    expect(lines).toContain('CUDA:');
    expect(lines.some((l) => /^ {2}nvcc: /.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}nvidia-smi: /.test(l))).toBe(true);
    expect(lines).toContain('ONNX Runtime: onnxruntime-node 1.29.0');
    expect(lines.some((l) => /^ {2}execution providers: cpu\b/.test(l))).toBe(true);
    const info = valueOf(report.native).info!;
    if (!info.cudaAvailable) expect(lines).toContain(`  CUDA available: no: ${info.reason}`);
    if (valueOf(report.cuda).nvidiaSmi.path === undefined) expect(lines).toContain('  nvidia-smi: not found');
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });
});

describe('collectDoctorReport without the CUDA tools', () => {
  it('says "not found" for tools missing from PATH, and still reports everything else', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '';
    let report: DoctorReport;
    try {
      report = await collectDoctorReport();
    } finally {
      process.env.PATH = savedPath;
    }
    const cuda = valueOf(report.cuda);
    expect(cuda.nvcc).toEqual({});
    expect(cuda.nvidiaSmi).toEqual({});
    const text = formatDoctorReport(report);
    expect(text).toContain('  nvcc: not found');
    expect(text).toContain('  nvidia-smi: not found');
    expect(valueOf(report.onnxRuntime).version).toBe('1.29.0');
  });
});

describe('formatDoctorReport', () => {
  it('turns each failed check into a line that says what failed', () => {
    const report: DoctorReport = {
      percept: { ok: false, error: 'percept package root not found above /somewhere' },
      system: { ok: false, error: 'cpus() failed' },
      native: { ok: true, value: { loaded: false, error: 'native addon not found: no build/Release/percept_native.node' } },
      cuda: { ok: true, value: { nvcc: { path: '/opt/cuda/bin/nvcc', error: 'no answer within 10 s' }, nvidiaSmi: { path: '/usr/bin/nvidia-smi', output: 'NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.', error: 'exit status 9' } } },
      onnxRuntime: { ok: false, error: "Cannot find package 'onnxruntime-node'" },
    };
    expect(formatDoctorReport(report).split('\n')).toEqual([
      'percept: check failed: percept package root not found above /somewhere',
      'system: check failed: cpus() failed',
      'native addon: not loaded',
      '  native addon not found: no build/Release/percept_native.node',
      'CUDA:',
      '  nvcc: /opt/cuda/bin/nvcc: failed (no answer within 10 s)',
      '  nvidia-smi: /usr/bin/nvidia-smi: failed (exit status 9): NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.',
      "ONNX Runtime: check failed: Cannot find package 'onnxruntime-node'",
    ]);
  });

  it('lists each GPU of a multi-GPU machine and names the CUDA devices', () => {
    const report: DoctorReport = {
      percept: { ok: true, value: { version: '0.1.0', root: '/opt/percept' } },
      system: { ok: true, value: { nodeVersion: 'v20.20.2', platform: 'linux', arch: 'x64', osRelease: 'Linux 6.8', cpuCount: 16, cpuModel: 'Intel Xeon', totalMemoryBytes: 128 * 1024 ** 3, freeMemoryBytes: 100 * 1024 ** 3 } },
      native: { ok: true, value: { loaded: true, path: '/opt/percept/build/Release/percept_native.node', info: { cudaCompiled: true, cudaAvailable: true, reason: 'ok', deviceName: 'NVIDIA H100 80GB HBM3', deviceCount: 2, cpuThreads: 16 } } },
      cuda: { ok: true, value: { nvcc: {}, nvidiaSmi: { path: '/usr/bin/nvidia-smi', output: '0, NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB\n1, NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB' } } },
      onnxRuntime: { ok: true, value: { version: '1.29.0', backends: [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: false }], bindingDir: '/b', providerLibraries: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'], cudaProviderInstalled: true, note: 'the CUDA execution provider library is installed' } },
    };
    expect(formatDoctorReport(report).split('\n')).toEqual([
      'percept: 0.1.0',
      '  installed at /opt/percept',
      'system: Node v20.20.2 on linux/x64 (Linux 6.8)',
      '  CPU: 16 × Intel Xeon',
      '  memory: 128.0 GiB total, 100.0 GiB free',
      'native addon: loaded from /opt/percept/build/Release/percept_native.node',
      '  CPU backend: 16 threads',
      '  CUDA compiled in: yes',
      '  CUDA available: yes, 2 devices (NVIDIA H100 80GB HBM3)',
      'CUDA:',
      '  nvcc: not found',
      '  nvidia-smi: /usr/bin/nvidia-smi: 2 GPUs (index, name, driver, memory)',
      '    0, NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB',
      '    1, NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB',
      'ONNX Runtime: onnxruntime-node 1.29.0',
      '  execution providers: cpu, cuda (not bundled)',
      '  provider libraries in /b: libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so',
      '  the CUDA execution provider library is installed',
    ]);
  });
});
