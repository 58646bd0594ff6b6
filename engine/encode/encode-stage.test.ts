import * as ort from 'onnxruntime-node';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk, FrameSet, SensorFrame } from '../core/frames.js';
import { createRng } from '../core/prng.js';
import { millisToNanos } from '../core/time.js';
import type { EncodedSet } from './encoded-set.js';
import { encodeStage, type EncodeDropReason, type Encoder } from './encode-stage.js';
import { buildModel, float32Tensor, graph } from './onnx-builder/index.js';
import { createSession, type Session } from './session.js';

/** Mean square of a [1, 512] chunk: an energy feature, computed by ONNX Runtime. Fixed length: other lengths fail to run. */
function energyModel(): Uint8Array {
  return buildModel({
    opset: 17,
    graph: graph('energy')
      .input('samples', 'float32', [1, 512])
      .node('Mul', ['samples', 'samples'], 'squares')
      .node('ReduceMean', ['squares'], 'energy', { keepdims: 0 })
      .output('energy', 'float32', []),
  });
}

/** x · W⁴ over [batch, 512] with W = 0.001: slow enough that sets pile up behind it. */
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

/** A real encoder: the energy of each audio chunk in the set, as a one-value embedding. */
function energyEncoder(name: string, session: Session): Encoder {
  return {
    name,
    modality: 'audio',
    async encode(set) {
      const embeddings = new Map<string, Float32Array>();
      for (const frame of set.frames.values()) {
        if (frame.modality !== 'audio') continue;
        const out = await session.run({ samples: new ort.Tensor('float32', frame.samples, [1, frame.samples.length]) });
        embeddings.set(`${name}/${frame.sensorId}`, out.energy.data as Float32Array);
      }
      return { embeddings };
    },
    close: () => session.close(),
  };
}

function slowEncoder(session: Session): Encoder {
  return {
    name: 'slow',
    modality: 'audio',
    async encode() {
      await session.run({ x: new ort.Tensor('float32', new Float32Array(512 * 512), [512, 512]) });
      return {};
    },
    close: () => session.close(),
  };
}

function audioSet(seq: number, length = 512): FrameSet {
  const rng = createRng(seq + 1);
  const stamp = millisToNanos(32 * seq);
  const chunk: AudioChunk = {
    modality: 'audio', sensorId: 'mic', frameId: 'mic', stamp, receivedAt: stamp, seq, sampleRate: 16000, channels: 1,
    samples: Float32Array.from({ length }, () => rng.uniform(-0.5, 0.5)),
  };
  return { stamp, frames: new Map<string, SensorFrame>([['mic', chunk]]), missing: [], formedAt: stamp, seq };
}

function gnssOnlySet(seq: number): FrameSet {
  const stamp = millisToNanos(100 * seq);
  const fix: SensorFrame = {
    modality: 'gnss', sensorId: 'gps', frameId: 'gps', stamp, receivedAt: stamp, seq, fixType: '3d', latitude: 48, longitude: 11, altitudeMsl: 500,
    geoidSeparation: 47, satellites: 9, hdop: 0.9, speed: 0, track: Number.NaN, heading: Number.NaN, covariance: new Array(9).fill(Number.NaN),
  };
  return { stamp, frames: new Map([['gps', fix]]), missing: [], formedAt: stamp, seq };
}

/** What must be the same from run to run: everything but the wall time. */
function comparable(e: EncodedSet): unknown {
  return { seq: e.set.seq, detections: e.detections, audio: e.audio, embeddings: [...e.embeddings].map(([k, v]) => [k, [...v]]) };
}

const quiet = (): void => undefined;
let energyA: Session;
let energyB: Session;
let slow: Session;
beforeAll(async () => {
  [energyA, energyB, slow] = await Promise.all([
    createSession(energyModel(), { name: 'energy-a', providers: ['cpu'], log: quiet }),
    createSession(energyModel(), { name: 'energy-b', providers: ['cpu'], log: quiet }),
    createSession(slowModel(), { name: 'slow', providers: ['cpu'], warmup: false, log: quiet }),
  ]);
});
afterAll(async () => {
  await Promise.all([energyA?.close(), energyB?.close(), slow?.close()]);
});

describe('encodeStage', () => {
  it('with no encoders maps synchronously, the set untouched and nothing added', () => {
    const sets = [audioSet(0), audioSet(1), gnssOnlySet(2)];
    const out: EncodedSet[] = [];
    let completed = false;
    from(sets).pipe(encodeStage([], { mode: 'replay' })).subscribe({ next: (e) => out.push(e), complete: () => (completed = true) });
    // Everything arrived before subscribe returned: no async hop.
    expect(completed).toBe(true);
    expect(out.map((e) => e.set)).toEqual(sets);
    expect(out.every((e, i) => e.set === sets[i])).toBe(true);
    for (const e of out) {
      expect(e.detections).toEqual([]);
      expect(e.audio).toEqual([]);
      expect(e.embeddings.size).toBe(0);
      expect(e.encodeMs).toBe(0);
    }
  });

  it('replay: every set in order, merged in encoder order, the same every run', async () => {
    const encoders = [energyEncoder('energy-b', energyB), energyEncoder('energy-a', energyA)];
    const sets = Array.from({ length: 16 }, (_, i) => audioSet(i));
    const run = async (): Promise<EncodedSet[]> => lastValueFrom(from(sets).pipe(encodeStage(encoders, { mode: 'replay' }), toArray()));
    const first = await run();
    expect(first.map((e) => e.set.seq)).toEqual(sets.map((s) => s.seq));
    const chunk = sets[3].frames.get('mic') as AudioChunk;
    const meanSquare = chunk.samples.reduce((a, v) => a + v * v, 0) / chunk.samples.length;
    expect([...first[3].embeddings.keys()]).toEqual(['energy-b/mic', 'energy-a/mic']);
    expect(first[3].embeddings.get('energy-a/mic')?.[0]).toBeCloseTo(meanSquare, 6);
    expect(first.every((e) => e.encodeMs >= 0)).toBe(true);
    const second = await run();
    expect(second.map(comparable)).toEqual(first.map(comparable));
  });

  it('an encoder that fails on a set drops only its output for that set, counted as encoder-error', async () => {
    const drops: { seq: number; reason: EncodeDropReason; encoder?: string; message?: string }[] = [];
    // The energy model takes 512 samples only: set 2's 300 samples fail in ONNX Runtime. 'broken' fails on every set.
    const sets = [audioSet(0), audioSet(1), audioSet(2, 300), audioSet(3)];
    const failing: Encoder = { name: 'broken', modality: 'audio', encode: () => { throw new Error('no model'); }, close: async () => undefined };
    const out = await lastValueFrom(
      from(sets).pipe(
        encodeStage([energyEncoder('energy-a', energyA), failing], {
          mode: 'replay',
          onDropped: (set, reason, detail) => drops.push({ seq: set.seq, reason, encoder: detail.encoder, message: detail.error?.message }),
        }),
        toArray(),
      ),
    );
    expect(out.map((e) => e.set.seq)).toEqual([0, 1, 2, 3]);
    expect(out.map((e) => e.embeddings.size)).toEqual([1, 1, 0, 1]);
    expect(drops.filter((d) => d.encoder === 'broken').map((d) => d.seq)).toEqual([0, 1, 2, 3]);
    const energyDrops = drops.filter((d) => d.encoder === 'energy-a');
    expect(energyDrops).toHaveLength(1);
    expect(energyDrops[0]).toMatchObject({ seq: 2, reason: 'encoder-error' });
    expect(energyDrops[0].message).toMatch(/^model "energy-a": run failed: /);
    expect(drops.every((d) => d.reason === 'encoder-error')).toBe(true);
  });

  it('skips an encoder for a set without its modality', async () => {
    const out = await lastValueFrom(from([gnssOnlySet(0), audioSet(1)]).pipe(encodeStage([energyEncoder('energy-a', energyA)], { mode: 'replay' }), toArray()));
    expect(out.map((e) => e.embeddings.size)).toEqual([0, 1]);
  });

  it('live: sets that pile up behind a slow encoder are dropped as stale and counted; the newest is encoded', async () => {
    const stale: number[] = [];
    const sets = Array.from({ length: 10 }, (_, i) => audioSet(i));
    const out = await lastValueFrom(
      from(sets).pipe(encodeStage([slowEncoder(slow)], { mode: 'live', onDropped: (set, reason) => reason === 'stale' && stale.push(set.seq) }), toArray()),
    );
    expect(out.map((e) => e.set.seq)).toEqual([0, 9]);
    expect(stale).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
