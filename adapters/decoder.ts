import type { SensorFrame } from '../engine/core/frames.js';
import type { Nanos } from '../engine/core/time.js';

/** Who the decoded frames belong to. */
export interface FrameIdentity {
  sensorId: string;
  /** Coordinate frame of the data; defaults to sensorId. */
  frameId?: string;
}

/** A problem with input bytes: counted by code, reported with a short message, never thrown. */
export interface DecodeIssue {
  code: string;
  message: string;
  /** Byte offset in the input, where known. */
  offset?: number;
}

export interface DecoderStats {
  /** Units of input accepted (packets, sentences, lines, files). */
  accepted: number;
  frames: number;
  /** Errors by code. */
  errors: Record<string, number>;
}

/**
 * A stateful decoder from a device's bytes to SensorFrames. Decoders are pure with respect to I/O:
 * transports feed them, tests feed them fixture bytes. `push` never throws on bad input: it counts
 * the problem, calls onIssue, and goes on.
 */
export interface FrameDecoder<F extends SensorFrame = SensorFrame> {
  /**
   * 'datagram': each push is one whole packet (UDP, a pcap record's payload, a CAN frame line).
   * 'stream': pushes are arbitrary slices of a byte stream (serial, TCP, a pipe); the decoder frames them.
   * 'file': one push holds a whole file.
   */
  readonly framing: 'datagram' | 'stream' | 'file';
  push(bytes: Uint8Array, receivedAt: Nanos): F[];
  /** End of input: whatever is complete enough to emit (the last epoch, a partial sweep if allowed). */
  flush(): F[];
  readonly stats: DecoderStats;
}

export type OnDecodeIssue = (issue: DecodeIssue) => void;

/** Shared bookkeeping for decoders: counts and forwards issues. */
export class DecoderStatsCounter implements DecoderStats {
  accepted = 0;
  frames = 0;
  readonly errors: Record<string, number> = {};
  readonly #onIssue: OnDecodeIssue | undefined;

  constructor(onIssue?: OnDecodeIssue) {
    this.#onIssue = onIssue;
  }

  issue(code: string, message: string, offset?: number): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.#onIssue?.({ code, message, offset });
  }

  get errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }
}
