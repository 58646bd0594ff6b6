import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx-builder/index.js';
import { TfjsConversionError } from './conversion-error.js';
import { CONVERTER_OPSET, convertTfjsGraphModel, tfjsModelFiles } from './convert.js';
import { runOnnx } from './testing/onnx-run.js';
import { a, op, placeholder, writeTinyModel } from './testing/tiny-model.js';

let dir: string;
let count = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'percept-tfjs-convert-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const next = (): string => join(dir, `m${count++}`);
const relu = [placeholder('x', [1, 4]), op('y', 'Relu', ['x'])];
const addOne = [placeholder('x', [2]), op('y', 'AddV2', ['x', 'one'])];
const one = { name: 'one', dtype: 'float32' as const, shape: [], values: [1] };

describe('the converted model', () => {
  it('keeps the TFJS input and output names, element types and shapes, at opset 18', async () => {
    const path = writeTinyModel(next(), [placeholder('images', [1, 8, 8, 3]), op('pool', 'MaxPool', ['images'], { ksize: a.ints([1, 2, 2, 1]), strides: a.ints([1, 2, 2, 1]), padding: a.s('VALID') })]);
    const model = decodeModel(convertTfjsGraphModel(path)) as {
      opset_import: { version: number }[];
      graph: { input: { name: string }[]; output: { name: string; type: { tensor_type: { shape: { dim: { dim_value: number }[] } } } }[] };
    };
    expect(model.opset_import[0].version).toBe(CONVERTER_OPSET);
    expect(model.graph.input.map((i) => i.name)).toEqual(['images']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['pool']);
    expect(model.graph.output[0].type.tensor_type.shape.dim.map((d) => d.dim_value)).toEqual([1, 4, 4, 3]);
  });

  it('converts only what the requested outputs need, in the order asked; Identity is free', async () => {
    const nodes = [placeholder('x', [3]), op('a', 'Neg', ['x']), op('b', 'Identity', ['a']), op('unused', 'SomeOpNobodyRuns', ['x'])];
    const path = writeTinyModel(next(), nodes);
    const [b, a2] = await runOnnx(convertTfjsGraphModel(path, { outputs: ['b', 'a'] }), { x: { data: Float32Array.from([1, -2, 3]), shape: [3] } }, ['b', 'a']);
    expect(Array.from(b.data)).toEqual([-1, 2, -3]);
    expect(Array.from(a2.data)).toEqual([-1, 2, -3]);
  });

  it('lists model.json and its shards as the files a conversion reads', () => {
    const path = writeTinyModel(next(), addOne, [one]);
    expect(tfjsModelFiles(path)).toEqual([path, join(path, '..', 'weights.bin')]);
  });
});

describe('what cannot be converted is an error that says why', () => {
  it('an unsupported op names the op and the node', () => {
    const path = writeTinyModel(next(), [placeholder('x', [2, 2]), op('block/odd', 'Einsum', ['x', 'x'], { equation: a.s('ij,jk->ik') })]);
    expect(() => convertTfjsGraphModel(path)).toThrow(TfjsConversionError);
    expect(() => convertTfjsGraphModel(path)).toThrow(/unsupported TFJS op "Einsum" at node "block\/odd"; the converter supports .*Conv2D/);
  });

  it('a filter that is not a constant, unsupported fused ops, NCHW', () => {
    const conv = (attrs: Record<string, unknown>, inputs = ['x', 'f']) => writeTinyModel(next(), [placeholder('x', [1, 4, 4, 2]), placeholder('f', [1, 1, 2, 2]), op('c', attrs.fused_ops ? '_FusedConv2D' : 'Conv2D', inputs, { strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME'), ...attrs })]);
    expect(() => convertTfjsGraphModel(conv({}))).toThrow(/node "c" \(Conv2D\): input 1 \(filter\) must be a constant/);
    const withFilter = (attrs: Record<string, unknown>) =>
      writeTinyModel(next(), [placeholder('x', [1, 4, 4, 2]), op('c', attrs.fused_ops ? '_FusedConv2D' : 'Conv2D', ['x', 'w', 'w2'], { strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME'), ...attrs })], [
        { name: 'w', dtype: 'float32', shape: [1, 1, 2, 2], values: [1, 0, 0, 1] },
        { name: 'w2', dtype: 'float32', shape: [2], values: [0, 0] },
      ]);
    expect(() => convertTfjsGraphModel(withFilter({ fused_ops: a.strs(['FusedBatchNorm', 'Relu']), num_args: a.i(4) }))).toThrow(/fused_ops \[FusedBatchNorm, Relu\] are not supported/);
    expect(() => convertTfjsGraphModel(withFilter({ data_format: a.s('NCHW') }))).toThrow(/data_format NCHW is not supported/);
  });

  it('malformed model.json: not JSON, not a graph model, a layers model, a Const without its weight, an unknown output', () => {
    const write = (text: string): string => {
      const path = join(next(), 'model.json');
      writeTinyModel(join(path, '..'), []);
      writeFileSync(path, text);
      return path;
    };
    expect(() => convertTfjsGraphModel(write('{"modelTopology": '))).toThrow(/model\.json: not valid JSON/);
    expect(() => convertTfjsGraphModel(write('{"weightsManifest": []}'))).toThrow(/not a TFJS graph model: modelTopology: /);
    expect(() => convertTfjsGraphModel(write('{"modelTopology": {"node": [{"name": "x"}]}}'))).toThrow(/modelTopology\.node\[0\]\.op/);
    expect(() => convertTfjsGraphModel(write('{"format": "layers-model", "modelTopology": {}}'))).toThrow(/a TFJS layers model \(Keras\)/);
    const noWeight = writeTinyModel(next(), [...addOne, { name: 'one', op: 'Const', attr: {} }]);
    expect(() => convertTfjsGraphModel(noWeight)).toThrow(/node "one" \(Const\): no weight of that name/);
    expect(() => convertTfjsGraphModel(writeTinyModel(next(), relu), { outputs: ['nope'] })).toThrow(/output "nope" is not a node of the model/);
    expect(() => convertTfjsGraphModel(join(dir, 'absent', 'model.json'))).toThrow(/model\.json not found/);
  });

  it('a node reading a tensor nobody produces, and a cycle', () => {
    expect(() => convertTfjsGraphModel(writeTinyModel(next(), [op('y', 'Relu', ['ghost'])]))).toThrow(/node "y" \(Relu\) reads "ghost", which no node produces/);
    expect(() => convertTfjsGraphModel(writeTinyModel(next(), [op('a', 'Relu', ['b']), op('b', 'Relu', ['a'])]), { outputs: ['a'] })).toThrow(/part of a cycle/);
  });

  it('truncated or missing weight shards', () => {
    const path = writeTinyModel(next(), addOne, [one, { name: 'pad', dtype: 'float32', shape: [4], values: [1, 2, 3, 4] }]);
    truncateSync(join(path, '..', 'weights.bin'), 10);
    expect(() => convertTfjsGraphModel(path)).toThrow(/weights group 0 \(weights\.bin\): truncated: weight "pad" needs bytes 4\.\.20 but the shards hold 10 bytes/);
    const json = JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    writeFileSync(path, JSON.stringify(json));
    expect(() => convertTfjsGraphModel(path)).toThrow(/weight shard "group1-shard1of2\.bin" \(group 0\) not found beside model\.json/);
    json.weightsManifest[0].paths = ['https://example.com/w.bin'];
    writeFileSync(path, JSON.stringify(json));
    expect(() => convertTfjsGraphModel(path)).toThrow(/only files beside model\.json can be read/);
  });
});
