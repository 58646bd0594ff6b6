import { closeSync, ftruncateSync, fstatSync, mkdirSync, openSync, readSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface SpooledMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
}

const MAGIC = Buffer.from('PMQSPOOL', 'ascii');
/** Magic, then the read offset as a u64, so that a restart resumes where the last run stopped. */
const HEADER_BYTES = 16;
/** Record: u32 length of what follows, u8 qos, u16 topic length, topic, payload. */
const RECORD_HEAD_BYTES = 7;
export const SPOOL_FILE_NAME = 'percept-mqtt.spool';

/**
 * An append-only FIFO of MQTT messages in one file, for QoS-1 messages that overflow memory while
 * the broker is away. Synchronous on purpose: it is touched only on overflow, from code that must
 * not yield between deciding where a message goes and putting it there (order is the point).
 * The file is bounded by maxBytes; once drained it is truncated. Whatever is left when the
 * process stops is replayed by the next run (at least once: a message sent just before a crash
 * may be sent again).
 */
export class DiskSpool {
  readonly path: string;
  readonly #fd: number;
  readonly #maxBytes: number;
  #readOffset: number;
  #writeOffset: number;
  #count: number;
  /** Records found in the file at open, left by an earlier run. */
  readonly recovered: number;
  /** Bytes of a torn or corrupt tail cut off at open. */
  readonly discardedBytes: number;

  private constructor(path: string, fd: number, maxBytes: number, readOffset: number, writeOffset: number, count: number, discarded: number) {
    this.path = path;
    this.#fd = fd;
    this.#maxBytes = maxBytes;
    this.#readOffset = readOffset;
    this.#writeOffset = writeOffset;
    this.#count = count;
    this.recovered = count;
    this.discardedBytes = discarded;
  }

  static open(dir: string, maxBytes: number): DiskSpool {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, SPOOL_FILE_NAME);
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    try {
      const size = fstatSync(fd).size;
      const header = Buffer.alloc(HEADER_BYTES);
      let readOffset = HEADER_BYTES;
      if (size >= HEADER_BYTES && readSync(fd, header, 0, HEADER_BYTES, 0) === HEADER_BYTES && header.subarray(0, 8).equals(MAGIC)) {
        readOffset = Number(header.readBigUInt64LE(8));
      }
      if (readOffset < HEADER_BYTES || readOffset > size) readOffset = HEADER_BYTES;
      // Walk the records to count them and to find where a torn last write begins.
      let offset = readOffset;
      let count = 0;
      const head = Buffer.alloc(RECORD_HEAD_BYTES);
      while (offset + RECORD_HEAD_BYTES <= size) {
        readSync(fd, head, 0, RECORD_HEAD_BYTES, offset);
        const length = head.readUInt32LE(0);
        const topicLength = head.readUInt16LE(5);
        if (length < 3 + topicLength || head[4] > 1 || offset + 4 + length > size) break;
        offset += 4 + length;
        count++;
      }
      const discarded = size > HEADER_BYTES ? size - offset : 0;
      const spool = new DiskSpool(path, fd, maxBytes, readOffset, offset, count, Math.max(0, discarded));
      if (count === 0) spool.#reset();
      else if (discarded > 0) ftruncateSync(fd, offset);
      return spool;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get count(): number {
    return this.#count;
  }

  /** Bytes of the file, consumed records included until the spool empties. */
  get fileBytes(): number {
    return this.#writeOffset;
  }

  /** False, and nothing written, when the record would take the file past maxBytes. */
  append(message: SpooledMessage): boolean {
    const topic = Buffer.from(message.topic, 'utf8');
    const length = 3 + topic.length + message.payload.length;
    if (this.#writeOffset + 4 + length > this.#maxBytes) return false;
    const record = Buffer.allocUnsafe(4 + length);
    record.writeUInt32LE(length, 0);
    record[4] = message.qos;
    record.writeUInt16LE(topic.length, 5);
    topic.copy(record, RECORD_HEAD_BYTES);
    record.set(message.payload, RECORD_HEAD_BYTES + topic.length);
    writeSync(this.#fd, record, 0, record.length, this.#writeOffset);
    this.#writeOffset += record.length;
    this.#count++;
    return true;
  }

  /** The oldest message, removed; undefined when empty. */
  shift(): SpooledMessage | undefined {
    if (this.#count === 0) return undefined;
    const head = Buffer.alloc(RECORD_HEAD_BYTES);
    readSync(this.#fd, head, 0, RECORD_HEAD_BYTES, this.#readOffset);
    const length = head.readUInt32LE(0);
    const topicLength = head.readUInt16LE(5);
    const body = Buffer.allocUnsafe(length - 3);
    readSync(this.#fd, body, 0, body.length, this.#readOffset + RECORD_HEAD_BYTES);
    this.#readOffset += 4 + length;
    this.#count--;
    if (this.#count === 0) this.#reset();
    else this.#writeReadOffset();
    return { qos: head[4] as 0 | 1, topic: body.toString('utf8', 0, topicLength), payload: body.subarray(topicLength) };
  }

  close(): void {
    closeSync(this.#fd);
  }

  #reset(): void {
    ftruncateSync(this.#fd, 0);
    this.#readOffset = HEADER_BYTES;
    this.#writeOffset = HEADER_BYTES;
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeBigUInt64LE(BigInt(HEADER_BYTES), 8);
    writeSync(this.#fd, header, 0, HEADER_BYTES, 0);
  }

  #writeReadOffset(): void {
    const offset = Buffer.alloc(8);
    offset.writeBigUInt64LE(BigInt(this.#readOffset));
    writeSync(this.#fd, offset, 0, 8, 8);
  }
}
