import { Observable, type OperatorFunction } from 'rxjs';
import { concatMap } from 'rxjs/operators';
import * as ort from 'onnxruntime-node';
import type { Feeds, Fetches, Session, TensorInfo } from './session.js';

/**
 * `replay`: every input is worked on, in order (lossless, deterministic).
 * `live`: latest wins: while one input is worked on, at most one waits; a newer one replaces it.
 */
export type ScheduleMode = 'replay' | 'live';

/**
 * Runs `work` on each input, one at a time, and emits the results in input order. In live mode an
 * input that a newer one replaced while it waited goes to `onStale` and is never worked on, so the
 * output never falls behind the input by more than one item. When the input completes, the waiting
 * item (if any) is still worked on before the output completes.
 */
export function scheduleWork<In, Out>(
  work: (input: In) => Promise<Out>,
  mode: ScheduleMode,
  onStale?: (input: In) => void,
): OperatorFunction<In, Out> {
  if (mode === 'replay') return concatMap((input: In) => work(input));
  return (source) =>
    new Observable<Out>((subscriber) => {
      let busy = false;
      let waiting: { input: In } | undefined;
      let sourceDone = false;

      const start = (input: In): void => {
        busy = true;
        // A work function that throws at once fails the same way as one that rejects.
        Promise.resolve()
          .then(() => work(input))
          .then(
            (out) => {
              if (subscriber.closed) return;
              subscriber.next(out);
              busy = false;
              if (waiting) {
                const next = waiting.input;
                waiting = undefined;
                start(next);
              } else if (sourceDone) {
                subscriber.complete();
              }
            },
            (err: unknown) => subscriber.error(err),
          );
      };

      const subscription = source.subscribe({
        next: (input) => {
          if (!busy) {
            start(input);
            return;
          }
          if (waiting) onStale?.(waiting.input);
          waiting = { input };
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!busy) subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

/**
 * Whether N images go through the model in one run: its first input's first dimension must be
 * dynamic or exactly N.
 */
export function canBatch(input: TensorInfo, count: number): boolean {
  const batch = input.dims[0];
  return input.dims.length > 0 && (typeof batch !== 'number' || batch < 0 || batch === count);
}

/**
 * Runs a model on a batch of N items whose input tensor is [N, ...]: one run when the model takes
 * the batch (see canBatch), else one run per item, one after the other. Either way each item gets
 * its own outputs, each of batch size 1, so that decoders see the same shapes both ways. Outputs
 * whose first dimension is not the batch (per-model constants) are handed to every item unchanged.
 * `extraFeeds` go to every run unchanged.
 */
export async function runBatch(session: Session, inputName: string, batch: ort.Tensor, extraFeeds: Feeds = {}): Promise<Fetches[]> {
  const count = batch.dims[0];
  const input = session.inputs.find((i) => i.name === inputName);
  if (!input) throw new Error(`model "${session.name}" has no input "${inputName}"`);
  if (count === 0) return [];
  if (canBatch(input, count)) {
    const fetches = await session.run({ ...extraFeeds, [inputName]: batch });
    return Array.from({ length: count }, (_, i) => sliceFetches(fetches, i, count));
  }
  const perItem: Fetches[] = [];
  for (let i = 0; i < count; i++) {
    perItem.push(await session.run({ ...extraFeeds, [inputName]: sliceBatch(batch, i) }));
  }
  return perItem;
}

/** Item `index` of a [N, ...] tensor as a [1, ...] tensor over the same memory. */
export function sliceBatch(tensor: ort.Tensor, index: number): ort.Tensor {
  const [count, ...rest] = tensor.dims;
  const stride = rest.reduce((a, b) => a * b, 1);
  if (index < 0 || index >= count) throw new RangeError(`batch index ${index} outside [0, ${count})`);
  const data = tensor.data as Float32Array | Uint8Array;
  return new ort.Tensor(tensor.type as 'float32', data.subarray(index * stride, (index + 1) * stride) as Float32Array, [1, ...rest]);
}

function sliceFetches(fetches: Fetches, index: number, count: number): Fetches {
  if (count === 1) return fetches;
  const out: Fetches = {};
  for (const [name, tensor] of Object.entries(fetches)) {
    out[name] = tensor.dims[0] === count ? sliceBatch(tensor, index) : tensor;
  }
  return out;
}
