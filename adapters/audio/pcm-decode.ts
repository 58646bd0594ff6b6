import { z } from 'zod';
import type { AudioChunk } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder } from '../decoder.js';
import { audioChunkingSchema, chunkFrames, parseAudioOptions, type AudioChunkingOptions } from './audio-options.js';
import { PcmChunker, type PcmSampleFormat } from './pcm-chunker.js';
import { MAX_WAV_CHANNELS, MAX_WAV_SAMPLE_RATE } from './wav-header.js';

export const pcmDecoderOptionsSchema = audioChunkingSchema
  .extend({
    sampleRate: z.number().int().min(1).max(MAX_WAV_SAMPLE_RATE),
    channels: z.number().int().min(1).max(MAX_WAV_CHANNELS).default(1),
    format: z.enum(['s16le', 'f32le']).default('s16le'),
    /** 'stream': TCP or a pipe (arecord), cut anywhere; 'datagram': UDP, each packet whole sample frames. */
    framing: z.enum(['stream', 'datagram']).default('stream'),
  })
  .strict();

export interface PcmDecoderOptions extends AudioChunkingOptions {
  sampleRate: number;
  channels?: number;
  format?: PcmSampleFormat;
  framing?: 'stream' | 'datagram';
}

/**
 * Headerless interleaved PCM (s16le or f32le) into fixed AudioChunks stamped exactly by sample
 * count from the stream start (see audioChunkingSchema.start). A lost datagram cannot be seen in
 * raw PCM, so after a loss the stamps run early by the lost duration.
 */
export function createPcmDecoder(options: PcmDecoderOptions): FrameDecoder<AudioChunk> {
  const { onIssue, ...rest } = options;
  const config = parseAudioOptions(pcmDecoderOptionsSchema, rest, 'pcm decoder');
  const stats = new DecoderStatsCounter(onIssue);
  const format = { sampleRate: config.sampleRate, channels: config.channels, format: config.format };
  const chunker = new PcmChunker(format, chunkFrames(config, config.sampleRate), { sensorId: config.sensorId, frameId: config.frameId ?? config.sensorId }, config.start);
  let lastReceivedAt: Nanos = 0n;
  let nonFinite = 0;
  return {
    framing: config.framing,
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): AudioChunk[] {
      lastReceivedAt = receivedAt;
      let input = bytes;
      if (config.framing === 'datagram') {
        const extra = bytes.byteLength % chunker.frameBytes;
        if (extra !== 0) {
          stats.issue('partial-frame', `datagram of ${bytes.byteLength} bytes is not whole ${chunker.frameBytes}-byte sample frames; ${extra} bytes dropped`);
          input = bytes.subarray(0, bytes.byteLength - extra);
        }
      }
      stats.accepted += 1;
      const chunks = chunker.push(input, receivedAt);
      if (chunker.nonFiniteSamples !== nonFinite) {
        stats.issue('non-finite-sample', `${chunker.nonFiniteSamples - nonFinite} NaN or infinite float samples replaced by 0`);
        nonFinite = chunker.nonFiniteSamples;
      }
      stats.frames += chunks.length;
      return chunks;
    },
    flush(): AudioChunk[] {
      if (chunker.carriedBytes > 0) stats.issue('partial-frame', `stream ended inside a sample frame (${chunker.carriedBytes} bytes)`);
      const chunks = chunker.flush(lastReceivedAt);
      stats.frames += chunks.length;
      return chunks;
    },
  };
}
