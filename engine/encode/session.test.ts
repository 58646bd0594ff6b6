import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, float32Tensor, graph } from './onnx-builder/index.js';
import { createSession, type Session } from './session.js';

/** y = x + 1 over [batch, 4]. */
function addOneModel(opset = 17): Uint8Array {
  return buildModel({
    opset,
    graph: graph('add_one').input('x', 'float32', ['batch', 4]).initializer('one', float32Tensor([1], [1])).node('Add', ['x', 'one'], 'y').output('y', 'float32', ['batch', 4]),
  });
}

/** y = x · W⁴ over [batch, 512] with W = 0.001: enough arithmetic (~1 GFLOP at batch 512) to take a while. */
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

/** A model with a fixed input [1, 3, 8, 8] (an image-sized Identity). */
function fixedImageModel(): Uint8Array {
  return buildModel({ opset: 17, graph: graph('image').input('images', 'float32', [1, 3, 8, 8]).node('Identity', ['images'], 'out').output('out', 'float32', [1, 3, 8, 8]) });
}

const dir = mkdtempSync(join(tmpdir(), 'percept-session-'));
const opened: Session[] = [];
const quiet = (): void => undefined;
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function open(...args: Parameters<typeof createSession>): Promise<Session> {
  const s = await createSession(...args);
  opened.push(s);
  return s;
}

describe('createSession', () => {
  it('falls back from CUDA to CPU, says why in one log line, and runs the model', async () => {
    const lines: string[] = [];
    const s = await open(addOneModel(), { name: 'add-one', log: (l) => lines.push(l) });
    expect(s.provider).toBe('cpu');
    expect(s.providerReason).toMatch(/cuda/i);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^encoder add-one: ONNX Runtime on cpu \(CUDA: .+\)$/);
    expect(s.inputs).toEqual([{ name: 'x', dims: ['batch', 4], type: 'float32' }]);
    expect(s.outputs).toEqual([{ name: 'y', dims: ['batch', 4], type: 'float32' }]);
    expect(s.warmLatencyMs).toBeGreaterThanOrEqual(0);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, -1, -2, -3, -4]), [2, 4]) });
    expect(out.y.dims).toEqual([2, 4]);
    expect([...(out.y.data as Float32Array)]).toEqual([2, 3, 4, 5, 0, -1, -2, -3]);
  });

  it('CPU only: no CUDA attempt', async () => {
    const s = await open(addOneModel(), { name: 'cpu-only', providers: ['cpu'], warmup: false, log: quiet });
    expect(s.provider).toBe('cpu');
    expect(s.providerReason).toBe('not requested');
    expect(Number.isNaN(s.warmLatencyMs)).toBe(true);
  });

  it('CUDA only: an error that says CUDA is not available and why', async () => {
    await expect(createSession(addOneModel(), { name: 'gpu', providers: ['cuda'], log: quiet })).rejects.toThrow(/^model "gpu": CUDA provider not available: .+/);
  });

  it('a missing model file is an error naming the model and the path', async () => {
    const path = join(dir, 'absent.onnx');
    await expect(createSession(path, { name: 'det', log: quiet })).rejects.toThrow(`model "det" (${path}): file not found`);
  });

  it('a corrupt or truncated model file is an error naming the model', async () => {
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, Buffer.from('this is not an ONNX model, only text'));
    await expect(createSession(garbage, { name: 'det', log: quiet })).rejects.toThrow(new RegExp(`^model "det" \\(${garbage}\\): cannot be loaded: .+`));
    const model = slowModel();
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, model.subarray(0, model.length >> 1));
    await expect(createSession(truncated, { name: 'det', log: quiet })).rejects.toThrow(/^model "det" .*: cannot be loaded: /);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, new Uint8Array(0));
    await expect(createSession(empty, { name: 'det', log: quiet })).rejects.toThrow(/the file is empty/);
  });

  it('an input shape that does not match the configuration names the input and both shapes', async () => {
    await expect(
      createSession(fixedImageModel(), { name: 'det', providers: ['cpu'], inputShapes: { images: [1, 3, 16, 16] }, log: quiet }),
    ).rejects.toThrow('model "det": input "images" is [1, 3, 8, 8] in the model, the configuration needs [1, 3, 16, 16]');
    await expect(
      createSession(fixedImageModel(), { name: 'det', providers: ['cpu'], inputShapes: { images: [3, 8, 8] }, log: quiet }),
    ).rejects.toThrow(/input "images" is \[1, 3, 8, 8\] in the model, the configuration needs \[3, 8, 8\]/);
    await expect(
      createSession(fixedImageModel(), { name: 'det', providers: ['cpu'], inputShapes: { pixels: [1, 3, 8, 8] }, log: quiet }),
    ).rejects.toThrow('model "det": the configuration names input "pixels", the model\'s inputs are "images"');
    // null accepts the model's size; a dynamic dimension accepts any size.
    const s = await open(fixedImageModel(), { name: 'det', providers: ['cpu'], inputShapes: { images: [null, 3, 8, 8] }, log: quiet });
    expect(s.inputs[0].dims).toEqual([1, 3, 8, 8]);
    await open(addOneModel(), { name: 'add', providers: ['cpu'], inputShapes: { x: [6, 4] }, log: quiet });
  });

  it('an unsupported opset is an error naming the model and the opsets', async () => {
    await expect(createSession(addOneModel(30), { name: 'future', providers: ['cpu'], log: quiet })).rejects.toThrow(
      /^model "future": cannot be loaded: unsupported opset: the model uses ai\.onnx opset 30; this ONNX Runtime supports up to opset \d+$/,
    );
  });

  it('queued runs come back in order, each with its own output', async () => {
    const s = await open(addOneModel(), { name: 'queue', providers: ['cpu'], warmup: false, log: quiet });
    const runs = [0, 1, 2, 3].map((k) => s.run({ x: new ort.Tensor('float32', new Float32Array(4).fill(k), [1, 4]) }));
    const outs = await Promise.all(runs);
    expect(outs.map((o) => (o.y.data as Float32Array)[0])).toEqual([1, 2, 3, 4]);
  });

  it('a bad feed fails that run with a message and the session goes on', async () => {
    const s = await open(addOneModel(), { name: 'bad-feed', providers: ['cpu'], warmup: false, log: quiet });
    await expect(s.run({ x: new ort.Tensor('float32', new Float32Array(5), [1, 5]) })).rejects.toThrow(/^model "bad-feed": run failed: /);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4]) });
    expect([...(out.y.data as Float32Array)]).toEqual([1, 1, 1, 1]);
  });

  it('inference runs off the event loop: timers fire while a long run is in flight', async () => {
    const s = await open(slowModel(), { name: 'slow', providers: ['cpu'], warmup: false, log: quiet });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const input = new Float32Array(2048 * 512).fill(1);
    const out = await s.run({ x: new ort.Tensor('float32', input, [2048, 512]) });
    clearInterval(timer);
    // 1 · (512 · 0.001)⁴, the same in every row.
    expect((out.h3.data as Float32Array)[0]).toBeCloseTo(0.512 ** 4, 5);
    expect(ticks).toBeGreaterThan(0);
    // The feed was copied to the worker, not taken from the caller.
    expect(input[0]).toBe(1);
  });

  it('a closed session refuses runs; close is idempotent', async () => {
    const s = await createSession(addOneModel(), { name: 'closed', providers: ['cpu'], warmup: false, log: quiet });
    await Promise.all([s.close(), s.close()]);
    await expect(s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4]) })).rejects.toThrow(/model "closed": run failed: .*thread ended/);
  });

  it('loads the real Silero VAD v5 model, warmed up with a real sample rate', async () => {
    const path = createRequire(import.meta.url).resolve('@ricky0123/vad-web/dist/silero_vad_v5.onnx');
    const s = await open(path, {
      name: 'vad',
      providers: ['cpu'],
      inputShapes: { input: [1, 512], state: [2, 1, 128] },
      warmupFeeds: { sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []) },
      log: quiet,
    });
    expect(s.inputs.map((i) => [i.name, i.type])).toEqual([['input', 'float32'], ['state', 'float32'], ['sr', 'int64']]);
    expect(s.inputs[1].dims).toEqual([2, '', 128]);
    const out = await s.run({
      input: new ort.Tensor('float32', new Float32Array(512), [1, 512]),
      state: new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.from([16000n]), []),
    });
    // Silence: a speech probability near zero.
    expect((out.output.data as Float32Array)[0]).toBeLessThan(0.1);
  });
});
