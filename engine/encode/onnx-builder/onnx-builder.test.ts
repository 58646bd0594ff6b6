import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../core/prng.js';
import {
  OnnxBuildError, attr, buildModel, decodeModel, float32Tensor, graph, int64Tensor, tensor, type GraphBuilder,
} from './index.js';

ort.env.logLevel = 'fatal';

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>, opset = 17): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(buildModel({ opset, graph: g }), { executionProviders: ['cpu'] });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const f32 = (dims: number[], values: ArrayLike<number>): ort.Tensor => new ort.Tensor('float32', Float32Array.from(values), dims);
const integers = (n: number, seed: number, lo = -4, hi = 4): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.int(lo, hi));
};

describe('ONNX builder: models run in ONNX Runtime (CPU) with the expected values', () => {
  it('Add broadcasts an initializer over a symbolic batch', async () => {
    const g = graph('add')
      .input('x', 'float32', ['batch', 3])
      .initializer('b', float32Tensor([3], [10, 20, 30]))
      .node('Add', ['x', 'b'], 'y')
      .output('y', 'float32', ['batch', 3]);
    for (const batch of [1, 3]) {
      const x = integers(batch * 3, batch);
      const { y } = await run(g, { x: f32([batch, 3], x) });
      expect(y.dims).toEqual([batch, 3]);
      expect(Array.from(y.data as Float32Array)).toEqual(x.map((v, i) => v + [10, 20, 30][i % 3]));
    }
  });

  it('MatMul of integers is exact', async () => {
    const a = integers(2 * 3, 1);
    const w = integers(3 * 4, 2);
    const g = graph('matmul')
      .input('a', 'float32', [2, 3])
      .initializer('w', float32Tensor([3, 4], w))
      .node('MatMul', ['a', 'w'], 'c')
      .output('c', 'float32', [2, 4]);
    const { c } = await run(g, { a: f32([2, 3], a) });
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k] * w[k * 4 + j];
      expected.push(s);
    }
    expect(Array.from(c.data as Float32Array)).toEqual(expected);
  });

  it('Conv (3×3, pads 1, stride 2, bias, 2 in → 3 out channels) matches a direct convolution', async () => {
    const [cin, cout, h, w, k, stride, pad] = [2, 3, 5, 6, 3, 2, 1];
    const x = integers(cin * h * w, 3);
    const wt = integers(cout * cin * k * k, 4, -2, 2);
    const bias = [1, -2, 3];
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    const g = graph('conv')
      .input('x', 'float32', [1, cin, h, w])
      .initializer('w', float32Tensor([cout, cin, k, k], wt))
      .initializer('b', float32Tensor([cout], bias))
      .node('Conv', ['x', 'w', 'b'], 'y', { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride] })
      .output('y', 'float32', [1, cout, oh, ow]);
    const { y } = await run(g, { x: f32([1, cin, h, w], x) });
    const expected: number[] = [];
    for (let o = 0; o < cout; o++) for (let r = 0; r < oh; r++) for (let c = 0; c < ow; c++) {
      let s = bias[o];
      for (let i = 0; i < cin; i++) for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
        const yy = r * stride - pad + dy;
        const xx = c * stride - pad + dx;
        if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
        s += x[(i * h + yy) * w + xx] * wt[((o * cin + i) * k + dy) * k + dx];
      }
      expected.push(s);
    }
    expect(y.dims).toEqual([1, cout, oh, ow]);
    expect(Array.from(y.data as Float32Array)).toEqual(expected);
  });

  it('Transpose follows its perm attribute (INTS)', async () => {
    const x = Array.from({ length: 24 }, (_, i) => i);
    const g = graph('transpose').input('x', 'float32', [2, 3, 4]).node('Transpose', ['x'], 'y', { perm: [2, 0, 1] }).output('y', 'float32');
    const { y } = await run(g, { x: f32([2, 3, 4], x) });
    expect(y.dims).toEqual([4, 2, 3]);
    const expected: number[] = [];
    for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) expected.push(x[(a * 3 + b) * 4 + c]);
    expect(Array.from(y.data as Float32Array)).toEqual(expected);
  });

  it('Sigmoid agrees with 1 / (1 + e^-x) to float32 precision', async () => {
    const x = [-20, -3, -0.5, 0, 0.5, 3, 20];
    const g = graph('sigmoid').input('x', 'float32', [7]).node('Sigmoid', ['x'], 'y').output('y', 'float32', [7]);
    const { y } = await run(g, { x: f32([7], x) });
    Array.from(y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-Math.fround(x[i]))), 6));
  });

  it('writes FLOAT, STRING and TENSOR attributes, int64 initializers and a Constant node', async () => {
    const g = graph('attrs')
      .input('x', 'float32', [1, 1, 2, 2])
      .node('LeakyRelu', ['x'], 'leaky', { alpha: attr.float(0.25) })
      .initializer('scales', float32Tensor([4], [1, 1, 2, 2]))
      .node('Resize', ['leaky', '', 'scales'], 'big', { mode: 'nearest' })
      .initializer('shape', int64Tensor([2], [4, 4]))
      .node('Reshape', ['big', 'shape'], 'flat')
      .constant('offset', float32Tensor([1], [100]))
      .node('Add', ['flat', 'offset'], 'y')
      .output('y', 'float32', [4, 4]);
    const { y } = await run(g, { x: f32([1, 1, 2, 2], [-4, 8, 12, -16]) });
    expect(y.dims).toEqual([4, 4]);
    expect(Array.from(y.data as Float32Array)).toEqual([
      99, 99, 108, 108,
      99, 99, 108, 108,
      112, 112, 96, 96,
      112, 112, 96, 96,
    ]);
  });

  it('writes GRAPH attributes: an If whose branches read an outer value', async () => {
    const thenBranch = graph('then').node('Add', ['x', 'x'], 'then_out').output('then_out', 'float32', [2]);
    const elseBranch = graph('else').node('Neg', ['x'], 'else_out').output('else_out', 'float32', [2]);
    const g = graph('if')
      .input('cond', 'bool', [])
      .input('x', 'float32', [2])
      .node('If', ['cond'], 'y', { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) })
      .output('y', 'float32', [2]);
    const x = f32([2], [1.5, -2]);
    const yes = await run(g, { cond: new ort.Tensor('bool', [true], []), x });
    const no = await run(g, { cond: new ort.Tensor('bool', [false], []), x });
    expect(Array.from(yes.y.data as Float32Array)).toEqual([3, -4]);
    expect(Array.from(no.y.data as Float32Array)).toEqual([-1.5, 2]);
  });

  it('writes int64 attributes beyond 2^53 exactly (bigint)', async () => {
    const big = (1n << 60n) + 7n;
    const g = graph('int64')
      .input('x', 'int64', [2])
      .node('Constant', [], 'c', { value_int: big })
      .node('Add', ['x', 'c'], 'y')
      .output('y', 'int64', [2]);
    const { y } = await run(g, { x: new ort.Tensor('int64', BigInt64Array.from([1n, -big]), [2]) });
    expect(Array.from(y.data as BigInt64Array)).toEqual([big + 1n, 0n]);
  });

  it('loads at opsets 13 to 23 with the matching IR version', async () => {
    const g = graph('id').input('x', 'float32', [1]).node('Identity', ['x'], 'y').output('y', 'float32', [1]);
    for (const opset of [13, 17, 21, 23]) {
      const { y } = await run(g, { x: f32([1], [7]) }, opset);
      expect(Array.from(y.data as Float32Array)).toEqual([7]);
    }
  });
});

describe('ONNX builder: the bytes are ONNX', () => {
  it('uses the upstream field numbers (ModelProto.ir_version is field 1, graph field 7)', () => {
    const g = graph('g').input('x', 'float32', [1]).node('Identity', ['x'], 'y').output('y', 'float32', [1]);
    const bytes = buildModel({ opset: 17, graph: g, metadata: { what: 'identity' } });
    expect(bytes[0]).toBe((1 << 3) | 0); // field 1, varint
    expect(bytes[1]).toBe(10);
    const model = decodeModel(bytes) as {
      ir_version: number; opset_import: { version: number }[]; metadata_props: { key: string; value: string }[];
      graph: { node: { op_type: string; input: string[]; output: string[] }[]; input: { name: string }[] };
    };
    expect(model.ir_version).toBe(10);
    expect(model.opset_import[0].version).toBe(17);
    expect(model.metadata_props).toEqual([{ key: 'what', value: 'identity' }]);
    expect(model.graph.node[0]).toMatchObject({ op_type: 'Identity', input: ['x'], output: ['y'] });
  });

  it('stores tensors as little-endian raw_data of the declared type', () => {
    const g = graph('g').initializer('w', int64Tensor([2], [1n, -2n])).node('Identity', ['w'], 'y').output('y', 'int64', [2]);
    const model = decodeModel(buildModel({ opset: 17, graph: g })) as {
      graph: { initializer: { name: string; data_type: number; dims: number[]; raw_data: number[] }[] };
    };
    const init = model.graph.initializer[0];
    expect(init).toMatchObject({ name: 'w', data_type: 7, dims: [2] });
    expect(init.raw_data).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });
});

describe('ONNX builder: mistakes are OnnxBuildErrors that name the fault', () => {
  const build = (g: GraphBuilder): Uint8Array => buildModel({ opset: 17, graph: g });

  it('refuses a node reading an undefined value', () => {
    const g = graph('g').input('x', 'float32', [1]).node('Add', ['x', 'nope'], 'y').output('y', 'float32');
    expect(() => build(g)).toThrow(OnnxBuildError);
    expect(() => build(g)).toThrow(/node 0 \(Add 'Add_0'\): input 1 'nope'/);
  });

  it('refuses nodes out of topological order', () => {
    const g = graph('g').input('x', 'float32', [1]).node('Neg', ['a'], 'b').node('Neg', ['x'], 'a').output('b', 'float32');
    expect(() => build(g)).toThrow(/input 0 'a'/);
  });

  it('refuses an output nothing produces and a name produced twice', () => {
    expect(() => build(graph('g').input('x', 'float32', [1]).output('z', 'float32'))).toThrow(/output 'z' is produced by no node/);
    const twice = graph('g').input('x', 'float32', [1]).node('Neg', ['x'], 'y').node('Abs', ['x'], 'y').output('y', 'float32');
    expect(() => build(twice)).toThrow(/'y' is already defined/);
  });

  it('refuses a non-integer plain attribute, pointing at attr.float', () => {
    const g = graph('g').input('x', 'float32', [1]).node('LeakyRelu', ['x'], 'y', { alpha: 0.1 }).output('y', 'float32');
    expect(() => build(g)).toThrow(/alpha = 0.1 is not an integer; write attr.float\(0.1\)/);
  });

  it('refuses tensors whose data does not fill their shape, and bad values', () => {
    expect(() => float32Tensor([2, 2], [1, 2, 3])).toThrow(/needs 4 elements, got 3/);
    expect(() => tensor('int32', [1], [1.5])).toThrow(/not a valid int32 value/);
    expect(() => tensor('bool', [1], [2])).toThrow(/not a valid bool value/);
    expect(() => graph('g').input('x', 'float32', [-1])).toThrow(/dimension 0/);
    expect(() => buildModel({ opset: 0, graph: graph('g') })).toThrow(/opset/);
  });
});
