#!/usr/bin/env node
// Opt-in GPU inference for ONNX Runtime: installs the CUDA execution provider that pairs with
// onnxruntime-node 1.29.0 and copies it next to onnxruntime-node's own library, where ONNX Runtime
// looks for it. Never part of the default install: it downloads ~180 MB, and the provider then
// needs CUDA 13 runtime, cuBLAS 13 and cuDNN 9 on the machine. Check the result with
// `npm run check:cuda`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROVIDER_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu';
const PROVIDER_VERSION = '0.4.9';
const PAIRED_ORT_VERSION = '1.29.0';
const LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(root, 'package.json'));

function fail(message) {
  console.error(`setup:cuda: ${message}`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  fail(`the CUDA provider package is for linux/x64; this is ${process.platform}/${process.arch}`);
}

const ortDir = dirname(dirname(require.resolve('onnxruntime-node')));
const ortVersion = JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8')).version;
if (ortVersion !== PAIRED_ORT_VERSION) {
  fail(`onnxruntime-node is ${ortVersion}; ${PROVIDER_PACKAGE}@${PROVIDER_VERSION} pairs with ${PAIRED_ORT_VERSION} only`);
}
const binDir = join(ortDir, 'bin');
const napi = readdirSync(binDir).filter((d) => d.startsWith('napi-v')).sort().pop();
const target = napi && join(binDir, napi, 'linux', 'x64');
if (!target || !existsSync(join(target, 'libonnxruntime.so.1'))) fail(`libonnxruntime.so.1 not found under ${binDir}`);

const providerDir = join(root, 'node_modules', ...PROVIDER_PACKAGE.split('/'));
const pluginDir = join(providerDir, 'Plugins', 'Linux', 'x64');
if (!LIBRARIES.every((lib) => existsSync(join(pluginDir, lib)))) {
  console.log(`setup:cuda: installing ${PROVIDER_PACKAGE}@${PROVIDER_VERSION} (~180 MB, not saved to package.json)`);
  const npm = spawnSync('npm', ['install', '--no-save', '--ignore-scripts', `${PROVIDER_PACKAGE}@${PROVIDER_VERSION}`], { cwd: root, stdio: 'inherit' });
  if (npm.error) fail(`npm could not start: ${npm.error.message}`);
  if (npm.status !== 0) fail(`npm install exited with status ${npm.status}`);
} else {
  console.log(`setup:cuda: ${PROVIDER_PACKAGE} already in node_modules`);
}

for (const lib of LIBRARIES) {
  const from = join(pluginDir, lib);
  if (!existsSync(from)) fail(`${from} is missing from the installed package`);
  copyFileSync(from, join(target, lib));
  console.log(`setup:cuda: copied ${lib} (${(statSync(from).size / 1024 ** 2).toFixed(1)} MB) to ${target}`);
}
console.log('setup:cuda: done. The provider needs CUDA 13 runtime, cuBLAS 13 and cuDNN 9; run `npm run check:cuda` to try it.');
