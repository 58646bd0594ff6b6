import { z } from 'zod';
import type { AudioChunk } from '../../engine/core/frames.js';
import type { Nanos } from '../../engine/core/time.js';
import { DecoderStatsCounter, type FrameDecoder } from '../decoder.js';
import { audioChunkingSchema, chunkFrames, parseAudioOptions, type AudioChunkingOptions } from './audio-options.js';
import { PcmChunker } from './pcm-chunker.js';
import { parseWavHeader, type WavInfo } from './wav-header.js';

export const wavDecoderOptionsSchema = audioChunkingSchema
  .extend({
    /** 'file': each push is one whole WAV file; 'stream': a WAV arriving over a pipe (arecord -t wav). */
    framing: z.enum(['file', 'stream']).default('file'),
    maxFileBytes: z.number().int().positive().max(4 * 1024 * 1024 * 1024).default(512 * 1024 * 1024),
    maxHeaderBytes: z.number().int().positive().max(16 * 1024 * 1024).default(1024 * 1024),
  })
  .strict();

export interface WavDecoderOptions extends AudioChunkingOptions {
  framing?: 'file' | 'stream';
  maxFileBytes?: number;
  maxHeaderBytes?: number;
}

/**
 * WAV into fixed AudioChunks stamped exactly by sample count. In 'file' framing each file is its own
 * stream (the first starts at `start` when given) and ends with a shorter chunk for the remainder;
 * seq runs on across files. In 'stream' framing the header is read once, then samples flow.
 */
export function createWavDecoder(options: WavDecoderOptions): FrameDecoder<AudioChunk> {
  const { onIssue, ...rest } = options;
  const config = parseAudioOptions(wavDecoderOptionsSchema, rest, 'wav decoder');
  const stats = new DecoderStatsCounter(onIssue);
  const identity = { sensorId: config.sensorId, frameId: config.frameId ?? config.sensorId };
  const seq = { value: 0 };
  let firstStart: Nanos | undefined = config.start;
  const chunkerFor = (info: WavInfo): PcmChunker => {
    const chunker = new PcmChunker(info, chunkFrames(config, info.sampleRate), identity, firstStart, seq);
    firstStart = undefined;
    return chunker;
  };
  const count = (chunker: PcmChunker, chunks: AudioChunk[]): AudioChunk[] => {
    if (chunker.nonFiniteSamples > 0) stats.issue('non-finite-sample', `${chunker.nonFiniteSamples} NaN or infinite float samples replaced by 0`);
    chunker.nonFiniteSamples = 0;
    stats.frames += chunks.length;
    return chunks;
  };

  if (config.framing === 'file') {
    return {
      framing: 'file',
      stats,
      push(bytes: Uint8Array, receivedAt: Nanos): AudioChunk[] {
        if (bytes.byteLength > config.maxFileBytes) {
          stats.issue('too-large', `WAV of ${bytes.byteLength} bytes; at most ${config.maxFileBytes}`);
          return [];
        }
        const header = parseWavHeader(bytes, config.maxHeaderBytes);
        if (!header.ok) {
          stats.issue(header.code === 'need-more' ? 'truncated' : header.code, header.message, 'offset' in header ? header.offset : undefined);
          return [];
        }
        const { info } = header;
        const available = bytes.byteLength - info.dataOffset;
        let dataBytes = info.dataBytes ?? available;
        if (dataBytes > available) {
          stats.issue('truncated', `data chunk declares ${dataBytes} bytes; the file holds ${available}`);
          dataBytes = available;
        }
        if (dataBytes % info.blockAlign !== 0) stats.issue('partial-frame', `data of ${dataBytes} bytes is not whole ${info.blockAlign}-byte sample frames`);
        stats.accepted += 1;
        const chunker = chunkerFor(info);
        const data = bytes.subarray(info.dataOffset, info.dataOffset + dataBytes - (dataBytes % info.blockAlign));
        return count(chunker, [...chunker.push(data, receivedAt), ...chunker.flush(receivedAt)]);
      },
      flush: () => [],
    };
  }

  let header: Uint8Array = new Uint8Array(0);
  let chunker: PcmChunker | undefined;
  let remaining = Infinity;
  let failed = false;
  let lastReceivedAt: Nanos = 0n;
  return {
    framing: 'stream',
    stats,
    push(bytes: Uint8Array, receivedAt: Nanos): AudioChunk[] {
      lastReceivedAt = receivedAt;
      if (failed) return [];
      let data = bytes;
      if (!chunker) {
        const joined = new Uint8Array(header.byteLength + bytes.byteLength);
        joined.set(header);
        joined.set(bytes, header.byteLength);
        const parsed = parseWavHeader(joined, config.maxHeaderBytes);
        if (!parsed.ok && parsed.code === 'need-more' && joined.byteLength <= config.maxHeaderBytes) {
          header = joined;
          return [];
        }
        header = new Uint8Array(0);
        if (!parsed.ok) {
          failed = true;
          stats.issue(parsed.code === 'need-more' ? 'header-too-long' : parsed.code, `${parsed.message}; the rest of the stream is ignored`);
          return [];
        }
        chunker = chunkerFor(parsed.info);
        remaining = parsed.info.dataBytes ?? Infinity;
        data = joined.subarray(parsed.info.dataOffset);
      }
      // Chunks after the data chunk (LIST, id3) are not samples.
      if (data.byteLength > remaining) data = data.subarray(0, remaining);
      remaining -= data.byteLength;
      stats.accepted += 1;
      return count(chunker, chunker.push(data, receivedAt));
    },
    flush(): AudioChunk[] {
      if (!chunker) {
        if (header.byteLength > 0) stats.issue('truncated', 'stream ended inside the WAV header');
        return [];
      }
      if (chunker.carriedBytes > 0) stats.issue('partial-frame', `stream ended inside a sample frame (${chunker.carriedBytes} bytes)`);
      return count(chunker, chunker.flush(lastReceivedAt));
    },
  };
}
