import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import type { CameraFrame } from '../engine/core/frames.js';
import { packageRoot } from '../engine/core/package-root.js';
import { COCO_DETECTOR, COCO_OUTPUTS, cocoSourcePath, ensureCocoModel } from '../engine/encode/coco-model.js';
import { preprocessImages } from '../engine/encode/preprocess-image.js';
import { createSession } from '../engine/encode/session.js';
import { median, timeRuns, type Benchmark, type Figure } from './benchmark.js';

const IMAGE = 'test/fixtures/nuscenes/n015-2018-07-24-11-22-45+0800__CAM_FRONT__1532402927612460.jpg';
const INPUT = 'tower_0/images';

/**
 * The coco detector (COCO CenterNet, converted from TFJS) on one real 512×512 input: the ONNX model
 * in an ONNX Runtime CPU session as percept runs it (worker thread, graph optimisation 'all',
 * ORT's default threads), and the original TFJS model on TFJS's wasm backend on the same tensor,
 * side by side. Also the one-off cost of the conversion.
 */
export const encodeCenternetBench: Benchmark = {
  name: 'encode: COCO CenterNet 512×512 (ONNX Runtime CPU vs TFJS wasm), TFJS → ONNX conversion',
  async run() {
    const figures: Figure[] = [];
    const cache = mkdtempSync(join(tmpdir(), 'percept-bench-coco-'));
    let modelPath: string;
    try {
      const t0 = process.hrtime.bigint();
      modelPath = ensureCocoModel({ cacheDir: cache });
      figures.push({ key: 'encode.centernet.convertMs', value: Number(process.hrtime.bigint() - t0) / 1e6, note: 'ms, TFJS model.json + shard → ONNX bytes on disk, once' });
      const bytes = readFileSync(modelPath);

      const jpeg = readFileSync(join(packageRoot(), IMAGE));
      const frame: CameraFrame = { modality: 'camera', sensorId: 'cam', frameId: 'cam', stamp: 0n, receivedAt: 0n, seq: 0, encoding: 'jpeg', width: 0, height: 0, data: jpeg };
      const { tensor, dims } = await preprocessImages([frame], { ...COCO_DETECTOR.input, dtype: 'float32' });
      const image = tensor as Float32Array;

      const session = await createSession(bytes, { name: 'coco', providers: ['cpu'], log: () => undefined });
      try {
        const feeds = { [INPUT]: new ort.Tensor('float32', image, dims) };
        await timeRuns(3, () => session.run(feeds));
        const ortMs = median(await timeRuns(15, () => session.run(feeds)));
        figures.push({ key: 'encode.centernet.cpuMs', value: ortMs, note: 'ms per 512×512 image, ONNX Runtime CPU session (worker thread), median of 15' });

        const model = await loadTfjsWasm();
        const x = tf.tensor(image, dims);
        const runTfjs = async (): Promise<void> => {
          const out = model.execute(x, [...COCO_OUTPUTS]) as tf.Tensor[];
          await Promise.all(out.map((t) => t.data()));
          tf.dispose(out);
        };
        await timeRuns(2, runTfjs);
        const tfjsMs = median(await timeRuns(7, runTfjs));
        x.dispose();
        figures.push({ key: 'encode.centernet.tfjsWasmMs', value: tfjsMs, note: 'ms, the TFJS original on the same tensor, wasm backend (SIMD, one thread), median of 7' });
        figures.push({ key: 'encode.centernet.speedupOverTfjs', value: tfjsMs / ortMs, note: '× (TFJS wasm ÷ ONNX Runtime CPU)' });
      } finally {
        await session.close();
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
    return figures;
  },
};

/** The original graph model on TFJS's wasm backend, read from node_modules (fetch cannot read file://). */
async function loadTfjsWasm(): Promise<GraphModel> {
  const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
  setWasmPaths(`${dirname(wasm)}/`);
  await tf.setBackend('wasm');
  const source = cocoSourcePath();
  const json = JSON.parse(readFileSync(source, 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const bin = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(source), p)))));
  return loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    }),
  });
}
