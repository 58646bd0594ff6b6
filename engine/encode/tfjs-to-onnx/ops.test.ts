import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfjsGraphModel } from './convert.js';
import { runOnnx } from './testing/onnx-run.js';
import { a, op, placeholder, seeded, writeTinyModel, type NodeDef, type WeightDef } from './testing/tiny-model.js';
import { loadTfjsModel, runTfjs, useTfjsWasm, type HostTensor } from './testing/tfjs-wasm.js';

/**
 * Each op converter against TFJS itself: a small graph is written as a TFJS model, converted,
 * and run in ONNX Runtime and in TFJS (wasm backend) on the same inputs. Floats agree to 1e-5 of
 * the output's largest magnitude (at least 1e-5 absolute), integers and booleans exactly.
 */

let dir: string;
let count = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'percept-tfjs-ops-'));
  await useTfjsWasm();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (shape: number[], seed: number, lo = -2, hi = 2): HostTensor => ({ data: seeded(shape.reduce((n, d) => n * d, 1), seed, lo, hi), shape });
const i32 = (shape: number[], values: number[]): HostTensor => ({ data: Int32Array.from(values), shape });
const w = (name: string, shape: number[], seed: number, quantization?: WeightDef['quantization']): WeightDef => ({
  name, dtype: 'float32', shape, values: seeded(shape.reduce((n, d) => n * d, 1), seed), quantization,
});
const ints = (name: string, values: number[], shape = [values.length]): WeightDef => ({ name, dtype: 'int32', shape, values });
const padding = (p: string) => ({ padding: a.s(p) });
const nhwc = { data_format: a.s('NHWC') };

/** The converted model's outputs alone, where TFJS cannot serve as the reference. */
async function runConverted(nodes: NodeDef[], weights: WeightDef[], feeds: Record<string, HostTensor>, outputs: string[]): Promise<HostTensor[]> {
  const path = writeTinyModel(join(dir, `m${count++}`), nodes, weights);
  return runOnnx(convertTfjsGraphModel(path, { outputs }), feeds, outputs);
}

async function expectSameAsTfjs(nodes: NodeDef[], weights: WeightDef[], feeds: Record<string, HostTensor>, outputs: string[], tolerance = 1e-5): Promise<HostTensor[]> {
  const path = writeTinyModel(join(dir, `m${count++}`), nodes, weights);
  const bytes = convertTfjsGraphModel(path, { outputs });
  const expected = await runTfjs(await loadTfjsModel(path), feeds, outputs);
  const actual = await runOnnx(bytes, feeds, outputs);
  outputs.forEach((name, i) => {
    const e = expected[i];
    const got = actual[i];
    expect(got.shape, `${name} shape`).toEqual(e.shape);
    expect(got.data.constructor.name === 'Float32Array', `${name} element type`).toBe(e.data instanceof Float32Array);
    if (!(e.data instanceof Float32Array)) {
      expect(Array.from(got.data), name).toEqual(Array.from(e.data));
      return;
    }
    let scale = 1;
    for (const v of e.data) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    e.data.forEach((v, k) => {
      const g = got.data[k];
      worst = Number.isNaN(v) && Number.isNaN(g) ? worst : Math.max(worst, Math.abs(g - v));
    });
    expect(worst, `${name}: max |ONNX − TFJS|`).toBeLessThanOrEqual(tolerance * scale);
  });
  return actual;
}

describe('convolution', () => {
  const conv = (name: string, opType: string, x: string, filter: string, attrs: Record<string, unknown>, extra: string[] = []): NodeDef =>
    op(name, opType, [x, filter, ...extra], { ...nhwc, dilations: a.ints([1, 1, 1, 1]), ...attrs });

  it('Conv2D SAME with stride 2 and an odd total padding puts the extra row and column at the end, as TF does', async () => {
    // 8 → 4 with a 3-wide kernel and stride 2 needs 1 pixel of padding: TF puts it after, not before.
    const nodes = [placeholder('x', [1, 8, 10, 3]), conv('y', 'Conv2D', 'x', 'f', { strides: a.ints([1, 2, 2, 1]), ...padding('SAME') })];
    const [y] = await expectSameAsTfjs(nodes, [w('f', [3, 3, 3, 4], 1)], { x: f32([1, 8, 10, 3], 2) }, ['y']);
    expect(y.shape).toEqual([1, 4, 5, 4]);
  });

  it('Conv2D SAME with even sizes, stride 2, 4×4 kernel; VALID with stride 2; SAME with dilation 2', async () => {
    await expectSameAsTfjs([placeholder('x', [1, 8, 6, 2]), conv('y', 'Conv2D', 'x', 'f', { strides: a.ints([1, 2, 2, 1]), ...padding('SAME') })], [w('f', [4, 4, 2, 3], 3)], { x: f32([1, 8, 6, 2], 4) }, ['y']);
    const [valid] = await expectSameAsTfjs([placeholder('x', [1, 9, 8, 2]), conv('y', 'Conv2D', 'x', 'f', { strides: a.ints([1, 2, 2, 1]), ...padding('VALID') })], [w('f', [3, 2, 2, 5], 5)], { x: f32([1, 9, 8, 2], 6) }, ['y']);
    expect(valid.shape).toEqual([1, 4, 4, 5]);
    await expectSameAsTfjs(
      [placeholder('x', [1, 9, 10, 2]), conv('y', 'Conv2D', 'x', 'f', { strides: a.ints([1, 1, 1, 1]), dilations: a.ints([1, 2, 2, 1]), ...padding('SAME') })],
      [w('f', [3, 3, 2, 2], 7)], { x: f32([1, 9, 10, 2], 8) }, ['y'],
    );
  });

  it('Conv2D with EXPLICIT padding and a batch of 2', async () => {
    const nodes = [placeholder('x', [2, 6, 5, 2]), conv('y', 'Conv2D', 'x', 'f', { strides: a.ints([1, 1, 2, 1]), padding: a.s('EXPLICIT'), explicit_paddings: a.ints([0, 0, 1, 2, 0, 1, 0, 0]) })];
    await expectSameAsTfjs(nodes, [w('f', [3, 3, 2, 3], 9)], { x: f32([2, 6, 5, 2], 10) }, ['y']);
  });

  for (const activation of ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'LeakyRelu']) {
    it(`_FusedConv2D BiasAdd + ${activation}, float16-quantized filter`, async () => {
      const attrs = { strides: a.ints([1, 2, 2, 1]), ...padding('SAME'), fused_ops: a.strs(['BiasAdd', activation]), num_args: a.i(1), epsilon: a.f(0), leakyrelu_alpha: a.f(0.3) };
      const nodes = [placeholder('x', [1, 9, 7, 3]), conv('y', '_FusedConv2D', 'x', 'f', attrs, ['b'])];
      await expectSameAsTfjs(nodes, [w('f', [3, 3, 3, 4], 11, 'float16'), { ...w('b', [4], 12), values: [-3, 0.5, 4, 7] }], { x: f32([1, 9, 7, 3], 13, -3, 3) }, ['y']);
    });
  }

  it('_FusedConv2D BiasAdd alone (VALID, 1×1) and BiasAdd + Prelu (two extra inputs)', async () => {
    const bias = { strides: a.ints([1, 1, 1, 1]), ...padding('VALID'), fused_ops: a.strs(['BiasAdd']), num_args: a.i(1) };
    await expectSameAsTfjs([placeholder('x', [1, 4, 4, 3]), conv('y', '_FusedConv2D', 'x', 'f', bias, ['b'])], [w('f', [1, 1, 3, 5], 14), w('b', [5], 15)], { x: f32([1, 4, 4, 3], 16) }, ['y']);
    const prelu = { strides: a.ints([1, 1, 1, 1]), ...padding('SAME'), fused_ops: a.strs(['BiasAdd', 'Prelu']), num_args: a.i(2) };
    await expectSameAsTfjs(
      [placeholder('x', [1, 5, 5, 2]), conv('y', '_FusedConv2D', 'x', 'f', prelu, ['b', 'alpha'])],
      [w('f', [3, 3, 2, 3], 17), w('b', [3], 18), { ...w('alpha', [3], 19), values: [0.1, 0.5, 2] }], { x: f32([1, 5, 5, 2], 20) }, ['y'],
    );
  });

  it('DepthwiseConv2dNative with channel multiplier 2, SAME, stride 2', async () => {
    const nodes = [placeholder('x', [1, 7, 8, 3]), conv('y', 'DepthwiseConv2dNative', 'x', 'f', { strides: a.ints([1, 2, 2, 1]), ...padding('SAME') })];
    const [y] = await expectSameAsTfjs(nodes, [w('f', [3, 3, 3, 2], 21)], { x: f32([1, 7, 8, 3], 22) }, ['y']);
    expect(y.shape).toEqual([1, 4, 4, 6]);
  });

  it('FusedDepthwiseConv2dNative BiasAdd + Relu6 with a uint8-quantized filter; 5×5 VALID', async () => {
    const relu6 = { strides: a.ints([1, 1, 1, 1]), ...padding('SAME'), fused_ops: a.strs(['BiasAdd', 'Relu6']), num_args: a.i(1) };
    await expectSameAsTfjs([placeholder('x', [1, 6, 6, 4]), conv('y', 'FusedDepthwiseConv2dNative', 'x', 'f', relu6, ['b'])], [w('f', [3, 3, 4, 1], 23, 'uint8'), w('b', [4], 24)], { x: f32([1, 6, 6, 4], 25, -8, 8) }, ['y']);
    await expectSameAsTfjs([placeholder('x', [1, 9, 9, 2]), conv('y', 'DepthwiseConv2dNative', 'x', 'f', { strides: a.ints([1, 1, 1, 1]), ...padding('VALID') })], [w('f', [5, 5, 2, 1], 26)], { x: f32([1, 9, 9, 2], 27) }, ['y']);
  });
});

describe('pooling, resizing, reductions', () => {
  it('MaxPool 3×3 SAME, stride 1 and 2; AvgPool SAME leaves the padding out of the mean', async () => {
    for (const stride of [1, 2]) {
      const pool = (name: string, type: string) => op(name, type, ['x'], { ...nhwc, ksize: a.ints([1, 3, 3, 1]), strides: a.ints([1, stride, stride, 1]), ...padding('SAME') });
      await expectSameAsTfjs([placeholder('x', [1, 7, 6, 3]), pool('max', 'MaxPool'), pool('avg', 'AvgPool')], [], { x: f32([1, 7, 6, 3], 30 + stride) }, ['max', 'avg']);
    }
  });

  for (const [mode, attrs] of [
    ['asymmetric (TF1 default)', { align_corners: a.b(false), half_pixel_centers: a.b(false) }],
    ['align_corners', { align_corners: a.b(true), half_pixel_centers: a.b(false) }],
    ['half_pixel_centers', { align_corners: a.b(false), half_pixel_centers: a.b(true) }],
  ] as const) {
    it(`ResizeBilinear ${mode}: up by 2, up by a fraction, down`, async () => {
      for (const [size, seed] of [[[10, 14], 1], [[8, 3], 2], [[3, 4], 3]] as const) {
        const nodes = [placeholder('x', [1, 5, 7, 2]), op('y', 'ResizeBilinear', ['x', 'size'], attrs)];
        await expectSameAsTfjs(nodes, [ints('size', [...size])], { x: f32([1, 5, 7, 2], 40 + seed) }, ['y']);
      }
    });
    it(`ResizeNearestNeighbor ${mode}`, async () => {
      for (const size of [[10, 14], [8, 3], [3, 4]]) {
        const nodes = [placeholder('x', [1, 5, 7, 2]), op('y', 'ResizeNearestNeighbor', ['x', 'size'], attrs)];
        await expectSameAsTfjs(nodes, [ints('size', size)], { x: f32([1, 5, 7, 2], 50) }, ['y']);
      }
    });
  }

  it('Mean with keep_dims over the image axes, Sum over a negative axis, Max and Min', async () => {
    const nodes = [
      placeholder('x', [2, 4, 5, 3]),
      op('mean', 'Mean', ['x', 'hw'], { keep_dims: a.b(true) }),
      op('sum', 'Sum', ['x', 'last'], { keep_dims: a.b(false) }),
      op('max', 'Max', ['x', 'hw'], { keep_dims: a.b(false) }),
      op('min', 'Min', ['x', 'first'], { keep_dims: a.b(true) }),
    ];
    const [mean] = await expectSameAsTfjs(nodes, [ints('hw', [1, 2]), ints('last', [-1], []), ints('first', [0], [])], { x: f32([2, 4, 5, 3], 60) }, ['mean', 'sum', 'max', 'min']);
    expect(mean.shape).toEqual([2, 1, 1, 3]);
  });
});

describe('indexing', () => {
  const slice = (name: string, masks: Partial<Record<'begin_mask' | 'end_mask' | 'ellipsis_mask' | 'new_axis_mask' | 'shrink_axis_mask', number>>) =>
    op(name, 'StridedSlice', ['x', `${name}/b`, `${name}/e`, `${name}/s`], {
      begin_mask: a.i(masks.begin_mask ?? 0), end_mask: a.i(masks.end_mask ?? 0), ellipsis_mask: a.i(masks.ellipsis_mask ?? 0),
      new_axis_mask: a.i(masks.new_axis_mask ?? 0), shrink_axis_mask: a.i(masks.shrink_axis_mask ?? 0), Index: a.type('int32'),
    });
  const spec = (name: string, b: number[], e: number[], s: number[]): WeightDef[] => [ints(`${name}/b`, b), ints(`${name}/e`, e), ints(`${name}/s`, s)];
  const cases: [string, Parameters<typeof slice>[1], number[], number[], number[]][] = [
    ['plain range', {}, [0, 1, 1], [2, 3, 4], [1, 1, 1]],
    ['begin and end masks (CenterNet\'s [:, :, k:k+1])', { begin_mask: 3, end_mask: 3 }, [0, 0, 2], [0, 0, 3], [1, 1, 1]],
    ['negative indices, clamped end', { }, [-2, 0, -4], [100, -1, -1], [1, 1, 1]],
    ['negative strides with masks', { begin_mask: 1, end_mask: 4 }, [0, 3, 4], [0, 0, 0], [-1, -2, -1]],
    ['stride 2 and 3', { end_mask: 4 }, [0, 0, 1], [2, 4, 0], [2, 3, 2]],
    ['shrink axes 0 and 2, index −1', { shrink_axis_mask: 5 }, [1, 0, -1], [2, 4, 0], [1, 1, 1]],
    ['new axes around a shrunk one', { new_axis_mask: 5, shrink_axis_mask: 2 }, [0, 1, 0, 1], [0, 2, 0, 3], [1, 1, 1, 1]],
    ['ellipsis then the last axis', { ellipsis_mask: 1 }, [0, 1], [0, 4], [1, 2]],
    ['axis, ellipsis, new axis after it', { ellipsis_mask: 2, new_axis_mask: 4 }, [1, 0, 0], [2, 0, 0], [1, 1, 1]],
    ['fewer entries than axes (implied ellipsis at the end)', {}, [1], [3], [1]],
  ];
  for (const [title, masks, b, e, s] of cases) {
    it(`StridedSlice: ${title}`, async () => {
      await expectSameAsTfjs([placeholder('x', [3, 4, 5]), slice('y', masks)], spec('y', b, e, s), { x: f32([3, 4, 5], 70) }, ['y']);
    });
  }

  it('StridedSlice: an empty range (begin beyond end, or below −size with a negative stride) is empty, as in TF', async () => {
    // TFJS's wasm backend fails on empty slices, so the shapes are checked against TF's rule directly.
    const nodes = [placeholder('x', [3, 4, 5]), slice('y', {}), slice('z', {})];
    const weights = [...spec('y', [2, 0, 0], [1, 4, 5], [1, 1, 1]), ...spec('z', [-9, 0, 0], [0, 4, 5], [-1, 1, 1])];
    const [y, z] = await runConverted(nodes, weights, { x: f32([3, 4, 5], 70) }, ['y', 'z']);
    expect(y.shape).toEqual([0, 4, 5]);
    expect(z.shape).toEqual([0, 4, 5]);
  });

  it('TopKV2: the k largest along the last axis, ties by lower index, int32 indices', async () => {
    const x: HostTensor = { data: Float32Array.from([3, 1, 3, 2, 5, 5, 0, 1, -1, 4, 4, 4, 0, 2, 7, 2]), shape: [2, 8] };
    const nodes = [placeholder('x', [2, 8]), op('top', 'TopKV2', ['x', 'k'], { sorted: a.b(true) })];
    const [values, indices] = await expectSameAsTfjs(nodes, [ints('k', [3], [])], { x }, ['top', 'top:1']);
    expect(Array.from(values.data)).toEqual([5, 5, 3, 7, 4, 4]);
    expect(Array.from(indices.data)).toEqual([4, 5, 0, 6, 1, 2]);
  });

  it('GatherV2 along axis 1 with 2-D indices, and along axis 0 with a scalar axis from a negative value', async () => {
    const nodes = [
      placeholder('x', [3, 5, 2]), placeholder('i', [2, 2], 'int32'),
      op('g1', 'GatherV2', ['x', 'i', 'axis1'], { batch_dims: a.i(0) }),
      op('g0', 'GatherV2', ['x', 'j', 'axis0'], { batch_dims: a.i(0) }),
    ];
    await expectSameAsTfjs(nodes, [ints('axis1', [1], []), ints('axis0', [-3], []), ints('j', [2, 0, 2])], { x: f32([3, 5, 2], 80), i: i32([2, 2], [4, 0, 1, 1]) }, ['g1', 'g0']);
  });
});

describe('integer arithmetic, casts, comparisons', () => {
  const signs = [7, -7, 7, -7, 0, 6, -6, 1, -1, 16777215];
  const divisors = [2, 2, -2, -2, 3, 3, 3, -4, 4, 10];

  it('FloorDiv and FloorMod round towards −∞ on int32 and float32', async () => {
    const nodes = [
      placeholder('a', [10], 'int32'), placeholder('b', [10], 'int32'), placeholder('x', [10]), placeholder('y', [10]),
      op('div', 'FloorDiv', ['a', 'b']), op('mod', 'FloorMod', ['a', 'b']),
      op('fdiv', 'FloorDiv', ['x', 'y']), op('fmod', 'FloorMod', ['x', 'y']),
    ];
    const x = { data: Float32Array.from([7.5, -7.5, 7.5, -7.5, 0, 6, -6.25, 1, -1, 100]), shape: [10] };
    const y = { data: Float32Array.from([2, 2, -2, -2, 3, 3, 3, -4, 4, 0.75]), shape: [10] };
    const [div, mod] = await expectSameAsTfjs(nodes, [], { a: i32([10], signs), b: i32([10], divisors), x, y }, ['div', 'mod', 'fdiv', 'fmod']);
    expect(Array.from(div.data)).toEqual([3, -4, -4, 3, 0, 2, -2, -1, -1, 1677721]);
    expect(Array.from(mod.data)).toEqual([1, 1, -1, -1, 0, 0, 0, -3, 3, 5]);
  });

  it('FloorDiv on int32 stays exact beyond 2^24, as in TF (TFJS divides in float32 there)', async () => {
    const nodes = [placeholder('a', [3], 'int32'), placeholder('b', [3], 'int32'), op('div', 'FloorDiv', ['a', 'b'])];
    const [div] = await runConverted(nodes, [], { a: i32([3], [2147483647, -2147483647, 2147483645]), b: i32([3], [10, 10, -7]) }, ['div']);
    expect(Array.from(div.data)).toEqual([214748364, -214748365, -306783378]);
  });

  it('Cast float → int32 truncates; int32 → float; Equal → bool → float (CenterNet\'s peak mask)', async () => {
    const nodes = [
      placeholder('x', [6]), placeholder('n', [6], 'int32'),
      op('toInt', 'Cast', ['x'], { SrcT: a.type('float32'), DstT: a.type('int32'), Truncate: a.b(false) }),
      op('toFloat', 'Cast', ['n'], { SrcT: a.type('int32'), DstT: a.type('float32') }),
      op('eq', 'Equal', ['x', 'xr']),
      op('mask', 'Cast', ['eq'], { SrcT: a.type('bool'), DstT: a.type('float32') }),
      op('ne', 'NotEqual', ['n', 'two']),
    ];
    const x = { data: Float32Array.from([1.7, -1.7, 2.5, -0.4, 3, 0]), shape: [6] };
    await expectSameAsTfjs(nodes, [{ ...w('xr', [6], 0), values: [1.7, 1.7, 2.5, 0, 3, 1] }, ints('two', [2], [])], { x, n: i32([6], [1, 2, -3, 4, 2, 0]) }, ['toInt', 'toFloat', 'eq', 'mask', 'ne']);
  });

  it('binary ops broadcast; comparisons give bool', async () => {
    const binary = ['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'Less', 'LessEqual', 'Greater', 'GreaterEqual'];
    const nodes = [placeholder('x', [2, 3, 4]), placeholder('y', [3, 1]), ...binary.map((t) => op(t.toLowerCase(), t, ['x', 'y']))];
    await expectSameAsTfjs(nodes, [], { x: f32([2, 3, 4], 90), y: f32([3, 1], 91, 0.5, 2) }, binary.map((t) => t.toLowerCase()));
  });

  it('unary ops and activations', async () => {
    const unary = ['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'Neg', 'Abs', 'Exp', 'Floor', 'Ceil', 'Square', 'Softmax', 'LeakyRelu'];
    const positive = ['Sqrt', 'Rsqrt', 'Log', 'Reciprocal'];
    const nodes = [
      placeholder('x', [2, 10]), placeholder('p', [2, 10]), placeholder('n', [4], 'int32'),
      ...unary.map((t) => op(t.toLowerCase(), t, ['x'], t === 'LeakyRelu' ? { alpha: a.f(0.1) } : {})),
      ...positive.map((t) => op(t.toLowerCase(), t, ['p'])),
      op('negInt', 'Neg', ['n']), op('absInt', 'Abs', ['n']),
    ];
    const outputs = [...unary, ...positive].map((t) => t.toLowerCase());
    await expectSameAsTfjs(nodes, [], { x: f32([2, 10], 92, -8, 8), p: f32([2, 10], 93, 0.1, 9), n: i32([4], [3, -4, 0, 7]) }, [...outputs, 'negInt', 'absInt']);
  });
});

describe('sizes unknown until run time', () => {
  it('a −1 batch and image size: SAME becomes SAME_UPPER, Resize takes the batch and channels from the input', async () => {
    const conv = op('c', '_FusedConv2D', ['x', 'f', 'b'], { ...nhwc, strides: a.ints([1, 2, 2, 1]), dilations: a.ints([1, 1, 1, 1]), ...padding('SAME'), fused_ops: a.strs(['BiasAdd', 'Relu']), num_args: a.i(1) });
    const nodes = [placeholder('x', [-1, -1, -1, 3]), conv, op('up', 'ResizeBilinear', ['c', 'size'], { align_corners: a.b(false), half_pixel_centers: a.b(true) })];
    const weights = [w('f', [3, 3, 3, 2], 96), w('b', [2], 97), ints('size', [9, 4])];
    const [c, up] = await expectSameAsTfjs(nodes, weights, { x: f32([2, 8, 7, 3], 98) }, ['c', 'up']);
    expect(c.shape).toEqual([2, 4, 4, 2]);
    expect(up.shape).toEqual([2, 9, 4, 2]);
  });
});

describe('shape ops', () => {
  it('Reshape with −1, ExpandDims at a negative axis, Squeeze, Transpose, ConcatV2 on a negative axis, Identity', async () => {
    const nodes = [
      placeholder('x', [2, 3, 4]),
      op('flat', 'Reshape', ['x', 'shape']),
      op('expanded', 'ExpandDims', ['x', 'minus1']),
      op('squeezed', 'Squeeze', ['expanded'], { squeeze_dims: a.ints([-1]) }),
      op('transposed', 'Transpose', ['x', 'perm']),
      op('joined', 'ConcatV2', ['x', 'x', 'squeezed', 'axis'], { N: a.i(3) }),
      op('same', 'Identity', ['joined']),
    ];
    const weights = [ints('shape', [-1, 4]), ints('minus1', [-1], []), ints('perm', [2, 0, 1]), ints('axis', [-1], [])];
    const [flat, expanded] = await expectSameAsTfjs(nodes, weights, { x: f32([2, 3, 4], 95) }, ['flat', 'expanded', 'squeezed', 'transposed', 'joined', 'same']);
    expect(flat.shape).toEqual([6, 4]);
    expect(expanded.shape).toEqual([2, 3, 4, 1]);
  });
});
