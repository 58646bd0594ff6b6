import type { OperatorFunction } from 'rxjs';
import { map } from 'rxjs/operators';
import { performance } from 'node:perf_hooks';
import type { FrameSet, Modality } from '../core/frames.js';
import type { EncodedSet } from './encoded-set.js';
import { scheduleWork, type ScheduleMode } from './scheduler.js';

/** One model's part of the encode stage: it reads the frames of its modality in a set. */
export interface Encoder {
  readonly name: string;
  readonly modality: Modality;
  /** What the encoder adds to the set: detections, audio events, embeddings. */
  encode(set: FrameSet): Promise<Partial<EncodedSet>>;
  /** Releases the model's session. The stage never calls it: whoever made the encoder does. */
  close(): Promise<void>;
}

/** Why a set (stale) or one encoder's output for a set (encoder-error) was left out. */
export type EncodeDropReason = 'stale' | 'encoder-error';
export const ENCODE_DROP_REASONS: readonly EncodeDropReason[] = ['stale', 'encoder-error'];

export interface EncodeDropDetail {
  /** The encoder that failed (encoder-error only). */
  encoder?: string;
  error?: Error;
}

export interface EncodeStageOptions {
  mode: ScheduleMode;
  /** A stale set never comes out; on encoder-error the set comes out without that encoder's output. */
  onDropped?(set: FrameSet, reason: EncodeDropReason, detail: EncodeDropDetail): void;
}

/**
 * FrameSets in, EncodedSets out. Each set goes through every encoder whose modality it holds, the
 * encoders side by side, the sets one at a time (replay: every set, in order; live: latest wins,
 * see scheduleWork). Outputs are merged in the order of `encoders`, so replay gives the same
 * EncodedSets every run (all but encodeMs, which is wall time). With no encoders the stage is a
 * plain synchronous map: no async hop, nothing changes for the engine.
 */
export function encodeStage(encoders: readonly Encoder[], options: EncodeStageOptions): OperatorFunction<FrameSet, EncodedSet> {
  if (encoders.length === 0) return map(emptyEncodedSet);
  const encodeSet = async (set: FrameSet): Promise<EncodedSet> => {
    const start = performance.now();
    const parts = await Promise.all(
      encoders.map(async (encoder) => {
        if (!holdsModality(set, encoder.modality)) return undefined;
        try {
          return await encoder.encode(set);
        } catch (err) {
          options.onDropped?.(set, 'encoder-error', { encoder: encoder.name, error: err instanceof Error ? err : new Error(String(err)) });
          return undefined;
        }
      }),
    );
    const encoded = emptyEncodedSet(set);
    for (const part of parts) {
      if (!part) continue;
      if (part.detections) encoded.detections.push(...part.detections);
      if (part.audio) encoded.audio.push(...part.audio);
      if (part.embeddings) for (const [key, value] of part.embeddings) encoded.embeddings.set(key, value);
    }
    encoded.encodeMs = performance.now() - start;
    return encoded;
  };
  return scheduleWork(encodeSet, options.mode, (set) => options.onDropped?.(set, 'stale', {}));
}

export function emptyEncodedSet(set: FrameSet): EncodedSet {
  return { set, detections: [], audio: [], embeddings: new Map(), encodeMs: 0 };
}

function holdsModality(set: FrameSet, modality: Modality): boolean {
  for (const frame of set.frames.values()) if (frame.modality === modality) return true;
  return false;
}
