import { z } from 'zod';
import type { FrameIdentity, OnDecodeIssue } from '../decoder.js';

export const audioChunkingSchema = z.object({
  sensorId: z.string().min(1),
  frameId: z.string().min(1).optional(),
  /** Chunk length; chunkSamples (sample frames per chunk) wins when given. 32 ms at 16 kHz is 512. */
  chunkMs: z.number().positive().max(10_000).default(32),
  chunkSamples: z.number().int().positive().max(1 << 20).optional(),
  /**
   * Time of the first sample, Unix ns, when a source states it. Otherwise the first push's
   * receivedAt minus the duration of the samples in it (they were recorded before they arrived).
   */
  start: z.bigint().optional(),
});

export interface AudioChunkingOptions extends FrameIdentity {
  chunkMs?: number;
  chunkSamples?: number;
  start?: bigint;
  onIssue?: OnDecodeIssue;
}

/** Sample frames per chunk; throws (an options error) when chunkMs gives less than one sample. */
export function chunkFrames(options: { chunkMs: number; chunkSamples?: number }, sampleRate: number): number {
  if (options.chunkSamples !== undefined) return options.chunkSamples;
  const frames = Math.round((options.chunkMs * sampleRate) / 1000);
  if (frames < 1) throw new RangeError(`chunkMs: ${options.chunkMs} ms at ${sampleRate} Hz is less than one sample`);
  return frames;
}

export function parseAudioOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RangeError(`${what} options: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
