import * as ort from 'onnxruntime-node';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, float32Tensor, graph, type Dim } from './onnx-builder/index.js';
import { canBatch, runBatch, scheduleWork, sliceBatch } from './scheduler.js';
import { createSession, type Session } from './session.js';

/** y = x + 1 over [batch, 4] with the given batch dimension. */
function addOneModel(batch: Dim): Uint8Array {
  return buildModel({
    opset: 17,
    graph: graph('add_one').input('x', 'float32', [batch, 4]).initializer('one', float32Tensor([1], [1])).node('Add', ['x', 'one'], 'y').output('y', 'float32', [batch, 4]),
  });
}

/** y = x · W⁴ over [batch, 512], W = 0.001: a long run (about a GFLOP at batch 512). */
function slowModel(): Uint8Array {
  const n = 512;
  let g = graph('slow').input('x', 'float32', ['batch', n]).initializer('w', float32Tensor([n, n], new Float32Array(n * n).fill(0.001)));
  let previous = 'x';
  for (let i = 0; i < 4; i++) {
    g = g.node('MatMul', [previous, 'w'], `h${i}`);
    previous = `h${i}`;
  }
  return buildModel({ opset: 17, graph: g.output(previous, 'float32', ['batch', n]) });
}

const quiet = (): void => undefined;
let dynamic: Session;
let fixed: Session;
let slow: Session;
beforeAll(async () => {
  [dynamic, fixed, slow] = await Promise.all([
    createSession(addOneModel('batch'), { name: 'dynamic', providers: ['cpu'], warmup: false, log: quiet }),
    createSession(addOneModel(1), { name: 'fixed', providers: ['cpu'], warmup: false, log: quiet }),
    createSession(slowModel(), { name: 'slow', providers: ['cpu'], warmup: false, log: quiet }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamic?.close(), fixed?.close(), slow?.close()]);
});

/** Runs the slow model on a [512, 512] input filled with k; the output's first value is k · 0.512⁴. */
async function slowWork(k: number): Promise<number> {
  const out = await slow.run({ x: new ort.Tensor('float32', new Float32Array(512 * 512).fill(k), [512, 512]) });
  return (out.h3.data as Float32Array)[0];
}

function batchOf(rows: number[][]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
}

describe('canBatch', () => {
  it('batches into a dynamic or equal first dimension only', () => {
    expect(canBatch({ name: 'x', dims: ['batch', 4], type: 'float32' }, 6)).toBe(true);
    expect(canBatch({ name: 'x', dims: ['', 3, 640, 640], type: 'float32' }, 6)).toBe(true);
    expect(canBatch({ name: 'x', dims: [6, 3, 640, 640], type: 'float32' }, 6)).toBe(true);
    expect(canBatch({ name: 'x', dims: [1, 3, 640, 640], type: 'float32' }, 6)).toBe(false);
    expect(canBatch({ name: 'x', dims: [1, 3, 640, 640], type: 'float32' }, 1)).toBe(true);
    expect(canBatch({ name: 'x', dims: [], type: 'float32' }, 1)).toBe(false);
  });
});

describe('runBatch', () => {
  const rows = [[1, 2, 3, 4], [10, 20, 30, 40], [-1, -2, -3, -4]];
  const expected = rows.map((r) => r.map((v) => v + 1));

  it('one run for a dynamic batch, split into per-item outputs of batch 1', async () => {
    const perItem = await runBatch(dynamic, 'x', batchOf(rows));
    expect(perItem.map((f) => f.y.dims)).toEqual([[1, 4], [1, 4], [1, 4]]);
    expect(perItem.map((f) => [...(f.y.data as Float32Array)])).toEqual(expected);
  });

  it('one run per item, in order, when the model takes batch 1 only', async () => {
    const perItem = await runBatch(fixed, 'x', batchOf(rows));
    expect(perItem.map((f) => [...(f.y.data as Float32Array)])).toEqual(expected);
  });

  it('an empty batch is no run; an unknown input is an error', async () => {
    expect(await runBatch(dynamic, 'x', new ort.Tensor('float32', new Float32Array(0), [0, 4]))).toEqual([]);
    await expect(runBatch(dynamic, 'images', batchOf(rows))).rejects.toThrow('model "dynamic" has no input "images"');
  });

  it('sliceBatch views one item without copying', () => {
    const t = batchOf(rows);
    const one = sliceBatch(t, 1);
    expect(one.dims).toEqual([1, 4]);
    expect((one.data as Float32Array).buffer).toBe((t.data as Float32Array).buffer);
    expect(() => sliceBatch(t, 3)).toThrow(RangeError);
  });
});

describe('scheduleWork', () => {
  it('replay: every input, in input order, behind a slow model', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => i);
    const out = await lastValueFrom(from(inputs).pipe(scheduleWork(slowWork, 'replay'), toArray()));
    expect(out.map((v) => Math.round(v / 0.512 ** 4))).toEqual(inputs);
  });

  it('live: under load the newest waiting input replaces older ones, which are counted as stale', async () => {
    const stale: number[] = [];
    // All 12 arrive while the first is still running: 0 runs, 1..10 are replaced in turn, 11 runs last.
    const out = await lastValueFrom(from(Array.from({ length: 12 }, (_, i) => i)).pipe(scheduleWork(slowWork, 'live', (k) => stale.push(k)), toArray()));
    expect(out.map((v) => Math.round(v / 0.512 ** 4))).toEqual([0, 11]);
    expect(stale).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('live: inputs that arrive after the previous result are all worked on', async () => {
    const input = new Subject<number>();
    const stale: number[] = [];
    const results: number[] = [];
    let resultArrived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      input.pipe(scheduleWork(slowWork, 'live', (k) => stale.push(k))).subscribe({
        next: (v) => {
          results.push(Math.round(v / 0.512 ** 4));
          resultArrived();
        },
        complete: resolve,
      });
    });
    for (let k = 0; k < 4; k++) {
      const arrived = new Promise<void>((resolve) => (resultArrived = resolve));
      input.next(k);
      await arrived;
    }
    input.complete();
    await done;
    expect(results).toEqual([0, 1, 2, 3]);
    expect(stale).toEqual([]);
  });

  it('live: when the input ends, the waiting input is still worked on before the output ends', async () => {
    const input = new Subject<number>();
    const out = lastValueFrom(input.pipe(scheduleWork(slowWork, 'live'), toArray()));
    input.next(5);
    input.next(6);
    input.complete();
    expect((await out).map((v) => Math.round(v / 0.512 ** 4))).toEqual([5, 6]);
  });

  it('live: a work failure errors the stream', async () => {
    const failing = async (k: number): Promise<number> => {
      if (k === 1) throw new Error('boom');
      return k;
    };
    await expect(lastValueFrom(from([0, 1]).pipe(scheduleWork(failing, 'live')))).rejects.toThrow('boom');
  });
});
