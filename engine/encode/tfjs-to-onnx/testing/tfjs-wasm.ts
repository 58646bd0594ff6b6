/**
 * The reference the converter is tested against: TFJS itself (tfjs-core, tfjs-converter) on its
 * WebAssembly backend, loading the model.json and shards from disk (fetch cannot read file://).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

let ready: Promise<void> | undefined;

/** Selects the wasm backend once per process, with its .wasm files read from node_modules. */
export function useTfjsWasm(): Promise<void> {
  ready ??= (async () => {
    const wasm = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasm)}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('TFJS wasm backend did not initialise');
    await tf.ready();
  })();
  return ready;
}

/** Loads a graph model from model.json and its shards. */
export async function loadTfjsModel(modelJsonPath: string): Promise<GraphModel> {
  await useTfjsWasm();
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    signature?: object;
  };
  const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(modelJsonPath), p))));
  const bin = Buffer.concat(shards);
  return loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
      signature: json.signature,
    }),
  });
}

export interface HostTensor {
  data: Float32Array | Int32Array | Uint8Array;
  shape: number[];
}

/** Runs `outputs` on named feeds (float32 or int32 by array type). */
export async function runTfjs(model: GraphModel, feeds: Record<string, HostTensor>, outputs: string[]): Promise<HostTensor[]> {
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) inputs[name] = tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : t.data instanceof Uint8Array ? 'bool' : 'float32');
  const result = model.execute(inputs, outputs);
  const list = Array.isArray(result) ? result : [result];
  const out = await Promise.all(list.map(async (t) => ({ data: (await t.data()) as HostTensor['data'], shape: t.shape })));
  tf.dispose([...list, ...Object.values(inputs)]);
  return out;
}
