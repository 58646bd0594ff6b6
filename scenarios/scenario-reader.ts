import { open, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, McapStreamReader, hasMcapPrefix, type McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { ConfigError, validateRig } from '../engine/config/load-rig.js';
import type { Rig } from '../engine/config/rig-schema.js';
import type { Nanos } from '../engine/core/time.js';
import { RIG_METADATA, SCENARIO_METADATA } from './topics.js';

/**
 * Opens a scenario (an MCAP file) for reading. An intact indexed file is read through its summary
 * (McapIndexedReader: messages in log-time order, seeks by time through the chunk index). A file
 * without a valid footer or summary (cut short by a crash, a full disk, a partial copy) is read
 * front to back (McapStreamReader): every message before the damage is delivered, then a
 * ScenarioReadError names the file and the byte offset where reading stopped.
 */

/** A record claiming more than this is corruption, not data: nothing percept writes comes near it. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024 * 1024;
/** The stream fallback reads the file in blocks of this size, so its buffer holds one record plus one block. */
const STREAM_BLOCK_BYTES = 1024 * 1024;
const MCAP_MAGIC_BYTES = 8;
/** Opcode (1 byte) and record length (8 bytes) in front of every MCAP record. */
const RECORD_HEADER_BYTES = 9;
const MESSAGE_INDEX_OPCODE = 0x07;

export class ScenarioReadError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    /** Byte offset in the file where reading stopped, when reading got that far. */
    readonly offset?: number,
    /** The system error code (ENOENT, EACCES, ...) when the file could not be opened. */
    readonly code?: string,
  ) {
    super(offset === undefined ? `${path}: ${reason}` : `${path}: ${reason} (reading stopped at byte ${offset})`);
    this.name = 'ScenarioReadError';
  }
}

export interface OpenScenarioOptions {
  /** Records (and decompressed chunks) larger than this are refused as corrupt. */
  maxRecordBytes?: number;
  /** Validate the percept.rig metadata (default true); scenario-info turns it off to describe any file. */
  validateRig?: boolean;
}

export interface ScenarioTopic {
  readonly topic: string;
  readonly schemaName: string;
  readonly messageEncoding: string;
  readonly messageCount: number;
}

/** One raw MCAP message with the names its channel gives it. */
export interface ScenarioMessage {
  readonly topic: string;
  readonly schemaName: string;
  readonly sequence: number;
  readonly logTime: Nanos;
  readonly publishTime: Nanos;
  readonly data: Uint8Array;
}

export interface ReadMessagesOptions {
  /** Inclusive bounds on log time, as in MCAP. */
  startTime?: Nanos;
  endTime?: Nanos;
  topics?: readonly string[];
}

export interface TopicTimes {
  readonly messageCount: number;
  readonly firstTime: Nanos;
  readonly lastTime: Nanos;
}

/** Where and why a damaged file stops being readable. */
export interface ScenarioDamage {
  readonly offset: number;
  readonly reason: string;
}

export interface Scenario {
  readonly path: string;
  readonly bytes: number;
  /** The rig stored in the file, validated; undefined when the file has none (the caller must provide one). */
  readonly rig: Rig | undefined;
  /** The rig object as stored, before validation. */
  readonly rigInput: unknown;
  /** percept.scenario metadata: how the scenario was made. */
  readonly info: ReadonlyMap<string, string>;
  /** Every metadata record by name. */
  readonly metadata: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly startTime: Nanos;
  readonly endTime: Nanos;
  readonly messageCount: number;
  readonly topics: readonly ScenarioTopic[];
  /** Chunk compression kinds used in the file ('none' for uncompressed chunks). */
  readonly compression: readonly string[];
  /** 'indexed' reads through the summary; 'stream' reads front to back (no usable index). */
  readonly mode: 'indexed' | 'stream';
  /** Set when the file is damaged: readMessages delivers what precedes it, then throws. */
  readonly damage: ScenarioDamage | undefined;
  /**
   * Messages in log-time order (indexed mode) or file order (stream mode; percept's writer writes
   * in log-time order). In a damaged file the iteration throws ScenarioReadError after the last
   * readable message.
   */
  readMessages(options?: ReadMessagesOptions): AsyncIterable<ScenarioMessage>;
  /** Per-topic message count and first/last log time, from the message indexes where there are any. */
  topicTimes(): Promise<ReadonlyMap<string, TopicTimes>>;
  close(): Promise<void>;
}

export async function openScenario(path: string, options: OpenScenarioOptions = {}): Promise<Scenario> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScenarioReadError(path, `cannot open the file: ${code ?? (err as Error).message}`, undefined, code);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ScenarioReadError(path, 'not a regular file');
    const bytes = stat.size;
    const head = new Uint8Array(MCAP_MAGIC_BYTES);
    const { bytesRead } = await handle.read(head, 0, MCAP_MAGIC_BYTES, 0);
    if (bytesRead < MCAP_MAGIC_BYTES || !hasMcapPrefix(new DataView(head.buffer))) {
      throw new ScenarioReadError(path, bytes === 0 ? 'the file is empty, not an MCAP file' : 'not an MCAP file (no MCAP magic at byte 0)', 0);
    }
    const handlers = boundedDecompressHandlers(await loadDecompressHandlers(), maxRecordBytes);
    const readable = new BoundedReadable(handle, maxRecordBytes);
    let indexed: McapIndexedReader | undefined;
    try {
      indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
    } catch {
      indexed = undefined; // no valid footer or summary: read the file front to back instead
    }
    const body = indexed && (indexed.chunkIndexes.length > 0 || !hasMessages(indexed))
      ? await indexedBody(path, indexed, readable)
      : await streamBody(path, handle, bytes, maxRecordBytes, handlers);
    return buildScenario(path, bytes, handle, body, options.validateRig ?? true);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** What each reading mode provides; the Scenario object is the same for both. */
interface ScenarioBody {
  mode: 'indexed' | 'stream';
  metadata: Map<string, Map<string, string>>;
  startTime: Nanos;
  endTime: Nanos;
  messageCount: number;
  topics: ScenarioTopic[];
  compression: string[];
  damage: ScenarioDamage | undefined;
  readMessages(options: ReadMessagesOptions): AsyncGenerator<ScenarioMessage>;
  topicTimes(): Promise<Map<string, TopicTimes>>;
}

function buildScenario(path: string, bytes: number, handle: FileHandle, body: ScenarioBody, checkRig: boolean): Scenario {
  const rigRecord = body.metadata.get(RIG_METADATA);
  let rigInput: unknown;
  let rig: Rig | undefined;
  if (rigRecord) {
    const source = `${path} (${RIG_METADATA} metadata)`;
    const text = rigRecord.get('rig');
    try {
      rigInput = text === undefined ? undefined : JSON.parse(text);
    } catch (err) {
      if (checkRig) throw new ConfigError(source, [`not valid JSON: ${(err as Error).message}`]);
    }
    if (checkRig) {
      if (rigInput === undefined) throw new ConfigError(source, ['the metadata record has no "rig" entry']);
      rig = validateRig(rigInput, source);
    }
  }
  let closed = false;
  return {
    path,
    bytes,
    rig,
    rigInput,
    info: body.metadata.get(SCENARIO_METADATA) ?? new Map(),
    metadata: body.metadata,
    startTime: body.startTime,
    endTime: body.endTime,
    messageCount: body.messageCount,
    topics: body.topics,
    compression: body.compression,
    mode: body.mode,
    damage: body.damage,
    readMessages: (options = {}) => {
      if (closed) throw new ScenarioReadError(path, 'the scenario is closed');
      return body.readMessages(options);
    },
    topicTimes: () => body.topicTimes(),
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

function hasMessages(reader: McapIndexedReader): boolean {
  return reader.statistics === undefined || reader.statistics.messageCount > 0n;
}

// ---------------------------------------------------------------------------------------------
// Indexed mode

async function indexedBody(path: string, reader: McapIndexedReader, readable: BoundedReadable): Promise<ScenarioBody> {
  const metadata = new Map<string, Map<string, string>>();
  try {
    for await (const record of reader.readMetadata()) metadata.set(record.name, record.metadata);
  } catch (err) {
    throw new ScenarioReadError(path, `bad metadata record: ${(err as Error).message}`, readable.lastReadOffset);
  }
  const compression = [...new Set(reader.chunkIndexes.map((c) => c.compression || 'none'))];
  let timesPromise: Promise<Map<string, TopicTimes>> | undefined;
  const topicTimes = (): Promise<Map<string, TopicTimes>> => (timesPromise ??= indexedTopicTimes(path, reader, readable));

  const stats = reader.statistics;
  let startTime: Nanos;
  let endTime: Nanos;
  let counts: Map<number, number>;
  if (stats) {
    startTime = stats.messageStartTime;
    endTime = stats.messageEndTime;
    counts = new Map([...stats.channelMessageCounts].map(([id, n]) => [id, Number(n)]));
  } else {
    // A summary without statistics: count through the message indexes instead.
    const times = await topicTimes();
    const all = [...times.values()];
    startTime = all.length ? all.reduce((t, x) => (x.firstTime < t ? x.firstTime : t), all[0].firstTime) : 0n;
    endTime = all.length ? all.reduce((t, x) => (x.lastTime > t ? x.lastTime : t), all[0].lastTime) : 0n;
    counts = new Map();
    for (const channel of reader.channelsById.values()) counts.set(channel.id, times.get(channel.topic)?.messageCount ?? 0);
  }
  const topics = describeTopics(reader.channelsById, reader.schemasById, counts);

  async function* readMessages(options: ReadMessagesOptions): AsyncGenerator<ScenarioMessage> {
    const messages = reader.readMessages({ startTime: options.startTime, endTime: options.endTime, topics: options.topics });
    for (;;) {
      let next: IteratorResult<McapTypes.Message>;
      try {
        next = await messages.next();
      } catch (err) {
        throw new ScenarioReadError(path, `cannot read messages: ${(err as Error).message}`, readable.lastReadOffset);
      }
      if (next.done) return;
      const channel = reader.channelsById.get(next.value.channelId)!;
      yield toScenarioMessage(next.value, channel, reader.schemasById);
    }
  }

  return {
    mode: 'indexed',
    metadata,
    startTime,
    endTime,
    messageCount: topics.reduce((n, t) => n + t.messageCount, 0),
    topics,
    compression,
    damage: undefined,
    readMessages,
    topicTimes,
  };
}

/** Reads each chunk's message index records (small, never compressed) instead of the messages. */
async function indexedTopicTimes(path: string, reader: McapIndexedReader, readable: BoundedReadable): Promise<Map<string, TopicTimes>> {
  const byChannel = new Map<number, { messageCount: number; firstTime: Nanos; lastTime: Nanos }>();
  for (const chunk of reader.chunkIndexes) {
    if (chunk.messageIndexOffsets.size === 0 || chunk.messageIndexLength === 0n) continue;
    const start = [...chunk.messageIndexOffsets.values()].reduce((a, b) => (b < a ? b : a));
    let bytes: Uint8Array;
    try {
      bytes = await readable.read(start, chunk.messageIndexLength);
    } catch (err) {
      throw new ScenarioReadError(path, `cannot read a message index: ${(err as Error).message}`, Number(start));
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + RECORD_HEADER_BYTES <= view.byteLength) {
      const opcode = view.getUint8(at);
      const length = Number(view.getBigUint64(at + 1, true));
      const body = at + RECORD_HEADER_BYTES;
      if (body + length > view.byteLength) throw new ScenarioReadError(path, 'a message index record runs past its region', Number(start) + at);
      if (opcode === MESSAGE_INDEX_OPCODE && length >= 6) {
        const channelId = view.getUint16(body, true);
        const arrayBytes = view.getUint32(body + 2, true);
        if (6 + arrayBytes > length || arrayBytes % 16 !== 0) throw new ScenarioReadError(path, 'malformed message index record', Number(start) + at);
        const entry = byChannel.get(channelId) ?? { messageCount: 0, firstTime: 0n, lastTime: 0n };
        for (let e = body + 6; e < body + 6 + arrayBytes; e += 16) {
          const logTime = view.getBigUint64(e, true);
          if (entry.messageCount === 0 || logTime < entry.firstTime) entry.firstTime = logTime;
          if (entry.messageCount === 0 || logTime > entry.lastTime) entry.lastTime = logTime;
          entry.messageCount++;
        }
        byChannel.set(channelId, entry);
      }
      at = body + length;
    }
  }
  return timesByTopic(byChannel, reader.channelsById);
}

// ---------------------------------------------------------------------------------------------
// Stream mode

interface StreamEnd {
  damage: ScenarioDamage | undefined;
}

/**
 * Every record of the file, front to back, through a buffer bounded by one record plus one block.
 * Returns (never throws) where and why reading stopped when the file does not end with a footer.
 */
async function* streamRecords(
  handle: FileHandle, size: number, maxRecordBytes: number, handlers: McapTypes.DecompressHandlers,
): AsyncGenerator<McapTypes.TypedMcapRecord, StreamEnd> {
  const reader = new McapStreamReader({ includeChunks: true, decompressHandlers: handlers, validateCrcs: true });
  let fed = 0;
  // Start of the last top-level record, so an error inside a chunk's contents points at the chunk.
  let recordStart = 0;
  let insideChunk = false;
  let checkedPending = -1;
  const block = new Uint8Array(STREAM_BLOCK_BYTES);
  for (;;) {
    const before = fed - reader.bytesRemaining();
    let record: McapTypes.TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch (err) {
      const after = fed - reader.bytesRemaining();
      // The magic was checked on open, so a failure in the first call is in the first record.
      const offset = Math.max(MCAP_MAGIC_BYTES, after === before && insideChunk ? recordStart : before);
      return { damage: { offset, reason: (err as Error).message } };
    }
    if (record) {
      if (fed - reader.bytesRemaining() !== before) {
        recordStart = before;
        insideChunk = record.type === 'Chunk';
      }
      yield record;
      continue;
    }
    if (reader.done()) return { damage: undefined };
    const pending = fed - reader.bytesRemaining();
    // Refuse an absurd record length before buffering towards it.
    if (pending >= MCAP_MAGIC_BYTES && pending !== checkedPending && reader.bytesRemaining() >= RECORD_HEADER_BYTES) {
      checkedPending = pending;
      const header = new Uint8Array(RECORD_HEADER_BYTES);
      await handle.read(header, 0, RECORD_HEADER_BYTES, pending);
      const length = new DataView(header.buffer).getBigUint64(1, true);
      if (length > BigInt(maxRecordBytes)) {
        return { damage: { offset: pending, reason: `record (opcode 0x${header[0].toString(16).padStart(2, '0')}) claims ${length} bytes, over the ${maxRecordBytes}-byte limit` } };
      }
    }
    if (fed >= size) {
      const reason = reader.bytesRemaining() > 0
        ? `the file ends inside a record (${reader.bytesRemaining()} bytes of it present): it is truncated`
        : 'the file ends before the MCAP footer: it is truncated';
      return { damage: { offset: pending, reason } };
    }
    const { bytesRead } = await handle.read(block, 0, Math.min(STREAM_BLOCK_BYTES, size - fed), fed);
    if (bytesRead === 0) return { damage: { offset: pending, reason: 'the file shrank while it was read' } };
    reader.append(block.subarray(0, bytesRead));
    fed += bytesRead;
  }
}

async function streamBody(
  path: string, handle: FileHandle, size: number, maxRecordBytes: number, handlers: McapTypes.DecompressHandlers,
): Promise<ScenarioBody> {
  // One pass up front learns what the summary would have said: channels, counts, times, metadata.
  const metadata = new Map<string, Map<string, string>>();
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const byChannel = new Map<number, { messageCount: number; firstTime: Nanos; lastTime: Nanos }>();
  const compression = new Set<string>();
  const records = streamRecords(handle, size, maxRecordBytes, handlers);
  let end: StreamEnd;
  for (;;) {
    const next = await records.next();
    if (next.done) {
      end = next.value;
      break;
    }
    const record = next.value;
    switch (record.type) {
      case 'Schema': schemas.set(record.id, record); break;
      case 'Channel': channels.set(record.id, record); break;
      case 'Metadata': metadata.set(record.name, record.metadata); break;
      case 'Chunk': compression.add(record.compression || 'none'); break;
      case 'Message': {
        const entry = byChannel.get(record.channelId);
        if (!entry) byChannel.set(record.channelId, { messageCount: 1, firstTime: record.logTime, lastTime: record.logTime });
        else {
          entry.messageCount++;
          if (record.logTime < entry.firstTime) entry.firstTime = record.logTime;
          if (record.logTime > entry.lastTime) entry.lastTime = record.logTime;
        }
        break;
      }
      default: break;
    }
  }
  const counts = new Map([...byChannel].map(([id, t]) => [id, t.messageCount]));
  const topics = describeTopics(channels, schemas, counts);
  const all = [...byChannel.values()];
  const startTime = all.length ? all.reduce((t, x) => (x.firstTime < t ? x.firstTime : t), all[0].firstTime) : 0n;
  const endTime = all.length ? all.reduce((t, x) => (x.lastTime > t ? x.lastTime : t), all[0].lastTime) : 0n;
  const times = timesByTopic(byChannel, channels);
  const damage = end.damage;

  async function* readMessages(options: ReadMessagesOptions): AsyncGenerator<ScenarioMessage> {
    const wanted = options.topics ? new Set(options.topics) : undefined;
    const from = options.startTime ?? 0n;
    const to = options.endTime;
    const seen = new Map<number, McapTypes.Channel>();
    const seenSchemas = new Map<number, McapTypes.Schema>();
    const again = streamRecords(handle, size, maxRecordBytes, handlers);
    try {
      for (;;) {
        const next = await again.next();
        if (next.done) {
          if (next.value.damage) throw new ScenarioReadError(path, next.value.damage.reason, next.value.damage.offset);
          return;
        }
        const record = next.value;
        if (record.type === 'Schema') seenSchemas.set(record.id, record);
        else if (record.type === 'Channel') seen.set(record.id, record);
        else if (record.type === 'Message') {
          const channel = seen.get(record.channelId)!;
          if (wanted && !wanted.has(channel.topic)) continue;
          if (record.logTime < from || (to !== undefined && record.logTime > to)) continue;
          yield toScenarioMessage(record, channel, seenSchemas);
        }
      }
    } finally {
      await again.return({ damage: undefined });
    }
  }

  return {
    mode: 'stream',
    metadata,
    startTime,
    endTime,
    messageCount: topics.reduce((n, t) => n + t.messageCount, 0),
    topics,
    compression: [...compression],
    damage,
    readMessages,
    topicTimes: async () => times,
  };
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

function describeTopics(
  channels: ReadonlyMap<number, McapTypes.Channel>, schemas: ReadonlyMap<number, McapTypes.Schema>, counts: ReadonlyMap<number, number>,
): ScenarioTopic[] {
  // Channels are per connection; a topic recorded through two channels is one topic.
  const byTopic = new Map<string, { topic: string; schemaName: string; messageEncoding: string; messageCount: number }>();
  for (const channel of channels.values()) {
    const existing = byTopic.get(channel.topic);
    const count = counts.get(channel.id) ?? 0;
    if (existing) existing.messageCount += count;
    else {
      byTopic.set(channel.topic, {
        topic: channel.topic,
        schemaName: schemas.get(channel.schemaId)?.name ?? '',
        messageEncoding: channel.messageEncoding,
        messageCount: count,
      });
    }
  }
  return [...byTopic.values()];
}

function timesByTopic(
  byChannel: ReadonlyMap<number, { messageCount: number; firstTime: Nanos; lastTime: Nanos }>, channels: ReadonlyMap<number, McapTypes.Channel>,
): Map<string, TopicTimes> {
  const out = new Map<string, TopicTimes>();
  for (const [id, t] of byChannel) {
    const topic = channels.get(id)?.topic;
    if (topic === undefined) continue;
    const prev = out.get(topic);
    out.set(topic, prev
      ? {
        messageCount: prev.messageCount + t.messageCount,
        firstTime: t.firstTime < prev.firstTime ? t.firstTime : prev.firstTime,
        lastTime: t.lastTime > prev.lastTime ? t.lastTime : prev.lastTime,
      }
      : { ...t });
  }
  return out;
}

function toScenarioMessage(message: McapTypes.Message, channel: McapTypes.Channel, schemas: ReadonlyMap<number, McapTypes.Schema>): ScenarioMessage {
  return {
    topic: channel.topic,
    schemaName: schemas.get(channel.schemaId)?.name ?? '',
    sequence: message.sequence,
    logTime: message.logTime,
    publishTime: message.publishTime,
    data: message.data,
  };
}

function boundedDecompressHandlers(handlers: McapTypes.DecompressHandlers, maxBytes: number): McapTypes.DecompressHandlers {
  const out: McapTypes.DecompressHandlers = {};
  for (const [kind, decompress] of Object.entries(handlers)) {
    out[kind] = (buffer, size) => {
      if (size > BigInt(maxBytes)) throw new Error(`a ${kind} chunk claims ${size} uncompressed bytes, over the ${maxBytes}-byte limit`);
      return decompress(buffer, size);
    };
  }
  return out;
}

/**
 * FileHandleReadable with a size limit on each read and a private copy of each result: the
 * underlying readable reuses one buffer, which two concurrent readMessages iterations would share.
 */
class BoundedReadable implements McapTypes.IReadable {
  readonly #inner: FileHandleReadable;
  readonly #maxBytes: bigint;
  /** Where the last read began, to say where a failure happened. */
  lastReadOffset = 0;

  constructor(handle: FileHandle, maxBytes: number) {
    this.#inner = new FileHandleReadable(handle);
    this.#maxBytes = BigInt(maxBytes);
  }

  size(): Promise<bigint> {
    return this.#inner.size();
  }

  async read(offset: bigint, length: bigint): Promise<Uint8Array> {
    this.lastReadOffset = Number(offset);
    if (length > this.#maxBytes) throw new Error(`a read of ${length} bytes at offset ${offset} is over the ${this.#maxBytes}-byte limit`);
    return (await this.#inner.read(offset, length)).slice();
  }
}
