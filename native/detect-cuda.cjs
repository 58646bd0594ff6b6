#!/usr/bin/env node
// Build-time CUDA probe for binding.gyp (evaluated through `<!(node native/detect-cuda.cjs <query>)`).
// It only decides whether nvcc can compile the .cu sources; whether a GPU exists is decided
// at run time by the addon, so a CPU-only build machine still produces a CUDA-capable addon.
//
// Queries (one value per line on stdout, as gyp command expansion expects):
//   enabled      1 when CUDA sources should be compiled, else 0
//   nvcc         path of nvcc ('' when disabled)
//   root         CUDA toolkit root ('' when disabled)
//   libdir       directory holding libcudart_static.a ('' when disabled)
//   reason_code  0 = compiled in, 1 = disabled by PERCEPT_CPU_ONLY, 2 = nvcc not found
//   json         everything above, for humans
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REASON_ENABLED = 0;
const REASON_CPU_ONLY = 1;
const REASON_NO_NVCC = 2;

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function truthy(value) {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}

function findNvcc() {
  const exe = process.platform === 'win32' ? 'nvcc.exe' : 'nvcc';
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, exe))) return path.join(dir, exe);
  }
  const homes = [process.env.CUDA_HOME, process.env.CUDA_PATH, '/usr/local/cuda'].filter(Boolean);
  for (const home of homes) {
    const candidate = path.join(home, 'bin', exe);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function hasStaticCudart(root) {
  return (
    fs.existsSync(path.join(root, 'lib64', 'libcudart_static.a')) ||
    fs.existsSync(path.join(root, 'lib', 'libcudart_static.a'))
  );
}

// nvcc on PATH is often a wrapper script or a symlink outside the toolkit, so the
// toolkit root cannot be derived from its location alone; nvcc's own --dryrun reports TOP.
function findCudaRoot(nvcc) {
  const candidates = [process.env.CUDA_HOME, process.env.CUDA_PATH];
  // --dryrun prints the commands it would run, TOP included, to stderr.
  const dry = spawnSync(nvcc, ['--dryrun', '-c', '-x', 'cu', '-o', 'probe.o', '-'], {
    encoding: 'utf8',
    input: '',
    timeout: 30_000,
  });
  const top = /^#\$ TOP=(.*)$/m.exec(`${dry.stdout || ''}${dry.stderr || ''}`);
  if (top) candidates.push(top[1].trim());
  candidates.push(path.dirname(path.dirname(fs.realpathSync(nvcc))), '/usr/local/cuda');
  for (const c of candidates) {
    if (c && hasStaticCudart(c)) return path.resolve(c);
  }
  return null;
}

function detect() {
  if (truthy(process.env.PERCEPT_CPU_ONLY)) {
    return { enabled: 0, nvcc: '', root: '', libdir: '', reason_code: REASON_CPU_ONLY };
  }
  const nvcc = findNvcc();
  if (!nvcc) return { enabled: 0, nvcc: '', root: '', libdir: '', reason_code: REASON_NO_NVCC };
  const root = findCudaRoot(nvcc);
  if (!root) {
    // Linking needs the static runtime; without it a CUDA build would fail or load-fail later.
    process.stderr.write(`detect-cuda: ${nvcc} found but no libcudart_static.a; building CPU-only\n`);
    return { enabled: 0, nvcc: '', root: '', libdir: '', reason_code: REASON_NO_NVCC };
  }
  const libdir = fs.existsSync(path.join(root, 'lib64', 'libcudart_static.a'))
    ? path.join(root, 'lib64')
    : path.join(root, 'lib');
  return { enabled: 1, nvcc, root, libdir, reason_code: REASON_ENABLED };
}

const query = process.argv[2] || 'json';
const result = detect();
if (query === 'json') {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else if (Object.prototype.hasOwnProperty.call(result, query)) {
  process.stdout.write(`${result[query] ?? ''}\n`);
} else {
  process.stderr.write(`detect-cuda: unknown query '${query}'\n`);
  process.exit(2);
}
