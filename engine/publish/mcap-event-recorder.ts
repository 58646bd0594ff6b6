import { open, type FileHandle } from 'node:fs/promises';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import * as zstd from '@foxglove/wasm-zstd';
import { loadProtos } from '../core/proto.js';
import { EVENTS_TOPIC, EVENT_SCHEMA, RIG_METADATA } from '../../scenarios/topics.js';
import { eventToProtoObject, type PerceptionEvent } from '../events/perception-event.js';


/**
 * Records PerceptionEvents (protobuf) into an MCAP file. McapWriter calls must not overlap, so
 * writes are chained; close() waits for the chain and writes the summary and footer.
 */
export class McapEventRecorder {
  readonly #handle: FileHandle;
  readonly #writer: McapWriter;
  readonly #channelId: number;
  #chain: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  #written = 0;

  private constructor(handle: FileHandle, writer: McapWriter, channelId: number) {
    this.#handle = handle;
    this.#writer = writer;
    this.#channelId = channelId;
  }

  static async create(path: string, rigJson: string): Promise<McapEventRecorder> {
    await zstd.isLoaded;
    const handle = await open(path, 'w');
    const writer = new McapWriter({
      writable: new FileHandleWritable(handle),
      useChunks: true,
      compressChunk: (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, 3) }),
    });
    await writer.start({ profile: '', library: 'percept' });
    await writer.addMetadata({ name: RIG_METADATA, metadata: new Map([['rig', rigJson]]) });
    const schemaId = await writer.registerSchema({ name: EVENT_SCHEMA, encoding: 'protobuf', data: loadProtos().descriptorSet(EVENT_SCHEMA) });
    const channelId = await writer.registerChannel({ topic: EVENTS_TOPIC, schemaId, messageEncoding: 'protobuf', metadata: new Map() });
    return new McapEventRecorder(handle, writer, channelId);
  }

  get written(): number {
    return this.#written;
  }

  write(event: PerceptionEvent, publishTime: bigint): void {
    const type = loadProtos().type(EVENT_SCHEMA);
    const data = type.encode(type.fromObject(eventToProtoObject(event))).finish();
    this.#chain = this.#chain.then(async () => {
      if (this.#failure) return;
      try {
        await this.#writer.addMessage({ channelId: this.#channelId, sequence: event.seq, logTime: event.stamp, publishTime, data });
        this.#written++;
      } catch (err) {
        this.#failure = err as Error;
      }
    });
  }

  async close(): Promise<void> {
    await this.#chain;
    try {
      if (!this.#failure) await this.#writer.end();
    } finally {
      await this.#handle.close();
    }
    if (this.#failure) throw this.#failure;
  }
}
