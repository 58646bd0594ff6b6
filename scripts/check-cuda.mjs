#!/usr/bin/env node
// Checks ONNX Runtime's CUDA path end to end: a small model built here, a session that may use
// CUDA only (no CPU fallback), one run compared with the answer worked out in JavaScript.
// Exit 0: CUDA works. Exit 1: it does not, with the reason on one line.
// Uses the compiled code in dist/ (npm install builds it); under tsx it falls back to the sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

async function load(relative) {
  const compiled = join(root, 'dist', `${relative}.js`);
  const source = join(root, `${relative}.ts`);
  if (existsSync(compiled)) return import(pathToFileURL(compiled).href);
  try {
    return await import(pathToFileURL(source).href);
  } catch {
    console.error(`check:cuda: ${compiled} is missing: run npm run build first (or run this script with tsx)`);
    process.exit(1);
  }
}

const { createSession } = await load('engine/encode/session');
const { buildModel, graph, float32Tensor } = await load('engine/encode/onnx-builder/index');
const ort = await import('onnxruntime-node');

// y = x · W + b over [batch, 8] → [batch, 4], with W[i][j] = (i + 1) / 8 − j / 4 and b[j] = j.
const w = Float32Array.from({ length: 32 }, (_, k) => (Math.floor(k / 4) + 1) / 8 - (k % 4) / 4);
const b = Float32Array.from([0, 1, 2, 3]);
const model = buildModel({
  opset: 17,
  graph: graph('check_cuda')
    .input('x', 'float32', ['batch', 8])
    .initializer('w', float32Tensor([8, 4], w))
    .initializer('b', float32Tensor([4], b))
    .node('MatMul', ['x', 'w'], 'xw')
    .node('Add', ['xw', 'b'], 'y')
    .output('y', 'float32', ['batch', 4]),
});

let session;
try {
  session = await createSession(model, { name: 'check-cuda', providers: ['cuda'], log: (line) => console.log(line) });
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.replace(/^.*?CUDA provider not available: /, '');
  console.error(`CUDA provider not available: ${reason}`);
  process.exit(1);
}

try {
  const x = Float32Array.from({ length: 16 }, (_, k) => (k % 8) - 3.5 + Math.floor(k / 8));
  const out = await session.run({ x: new ort.Tensor('float32', x, [2, 8]) });
  const y = out.y.data;
  let worst = 0;
  for (let r = 0; r < 2; r++) {
    for (let j = 0; j < 4; j++) {
      let expected = b[j];
      for (let i = 0; i < 8; i++) expected += x[r * 8 + i] * w[i * 4 + j];
      worst = Math.max(worst, Math.abs(y[r * 4 + j] - expected));
    }
  }
  if (!(worst < 1e-4)) {
    console.error(`CUDA provider loaded but gave wrong answers: largest error ${worst}`);
    process.exit(1);
  }
  console.log(`CUDA provider works: provider ${session.provider}, warm run ${session.warmLatencyMs.toFixed(3)} ms, largest error ${worst.toExponential(2)}`);
} catch (err) {
  console.error(`CUDA provider loaded but the run failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
} finally {
  await session.close();
}
