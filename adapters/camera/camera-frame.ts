import { z } from 'zod';
import type { CameraFrame, ImageEncoding } from '../../engine/core/frames.js';
import { millisToNanos, type Nanos } from '../../engine/core/time.js';
import type { FrameIdentity } from '../decoder.js';

/** Rig options every camera decoder takes. */
export const cameraIdentitySchema = z.object({
  sensorId: z.string().min(1),
  frameId: z.string().min(1).optional(),
  /**
   * Exposure-to-arrival delay. These byte formats carry no acquisition time, so
   * stamp = receivedAt − latencyMs (0: the arrival time stands for the exposure).
   */
  latencyMs: z.number().min(0).max(10_000).default(0),
});

export interface CameraIdentityOptions extends FrameIdentity {
  latencyMs?: number;
}

/** Numbers camera frames of one sensor from 0 and stamps them. */
export function createCameraFrameMaker(options: CameraIdentityOptions): (encoding: ImageEncoding, width: number, height: number, data: Uint8Array, receivedAt: Nanos) => CameraFrame {
  const sensorId = options.sensorId;
  const frameId = options.frameId ?? sensorId;
  const latency = millisToNanos(options.latencyMs ?? 0);
  let seq = 0;
  return (encoding, width, height, data, receivedAt) => ({
    modality: 'camera',
    sensorId,
    frameId,
    stamp: receivedAt - latency,
    receivedAt,
    seq: seq++,
    encoding,
    width,
    height,
    data,
  });
}

/** Parses decoder options, turning a zod failure into one message that names the option. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new RangeError(`${what} options: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
