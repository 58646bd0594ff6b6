/** The part of a ws WebSocket the queue uses. */
export interface QueueSocket {
  readonly bufferedAmount: number;
  send(data: Buffer | Uint8Array | string, options: { binary?: boolean; fin?: boolean }, cb?: (err?: Error) => void): void;
}

export type QueueEntry =
  | { kind: 'binary'; header: Buffer; payload: Uint8Array; bytes: number }
  | { kind: 'text'; text: string; bytes: number };

/** The TCP socket under the WebSocket, corked while a batch is written so the batch leaves in one write. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export interface SendQueueOptions {
  /** ws.bufferedAmount plus our own queued bytes may not exceed this; the oldest are dropped. */
  maxQueueBytes: number;
  /** The warning sent (at most once per warnEveryMs) after drops; `dropped` is the client's total so far. */
  renderDropWarning: (dropped: number) => string;
  warnEveryMs?: number;
  /** Called for each message dropped. */
  onDrop?: (count: number) => void;
  onSent?: () => void;
  /** The raw socket (from the server's 'upgrade' event); without it every message is its own write. */
  transport?: Corkable;
}

/** Payloads up to this size are copied behind their header into one frame; larger ones go as two fragments. */
const COPY_LIMIT = 16 * 1024;
/** Hand messages to the socket only while it holds less than this, so that the rest stay droppable. */
const MAX_SOCKET_BYTES = 1024 * 1024;

/**
 * One client's bounded send queue. push() only queues (publishing never touches a socket); a
 * microtask then hands the batch to the socket in one corked write, as long as the socket's buffer
 * is small. Beyond that messages wait here, and when socket bytes plus waiting bytes exceed
 * maxQueueBytes the OLDEST waiting messages are dropped and counted. Nothing here ever waits on a
 * client, so one slow client neither blocks the others nor grows memory.
 */
export class ClientSendQueue {
  readonly #socket: QueueSocket;
  readonly #options: SendQueueOptions;
  readonly #highWater: number;
  readonly #warnEveryMs: number;
  // A ring of waiting entries: #entries[#head..] are live; compacted when half is dead.
  #entries: QueueEntry[] = [];
  #head = 0;
  #queuedBytes = 0;
  #dropped = 0;
  #sent = 0;
  #peakBytes = 0;
  #warningPending = false;
  #lastWarnAt = -Infinity;
  #warnTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #flushScheduled = false;
  readonly #scheduledFlush = (): void => {
    this.#flushScheduled = false;
    this.flush();
  };
  readonly #afterWrite = (): void => {
    if (this.#head < this.#entries.length || this.#warningPending) this.flush();
  };

  constructor(socket: QueueSocket, options: SendQueueOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#highWater = Math.max(1, Math.min(MAX_SOCKET_BYTES, Math.floor(options.maxQueueBytes / 2)));
    this.#warnEveryMs = options.warnEveryMs ?? 1000;
  }

  /** Messages waiting here (not yet handed to the socket). */
  get queuedMessages(): number {
    return this.#entries.length - this.#head;
  }

  /** Bytes waiting here plus bytes the socket still holds. */
  get pendingBytes(): number {
    return this.#queuedBytes + this.#socket.bufferedAmount;
  }

  /** The largest pendingBytes seen. */
  get peakBytes(): number {
    return this.#peakBytes;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get sent(): number {
    return this.#sent;
  }

  push(entry: QueueEntry): void {
    if (this.#closed) return;
    this.#entries.push(entry);
    this.#queuedBytes += entry.bytes;
    let dropped = 0;
    while (this.#head < this.#entries.length && this.#queuedBytes + this.#socket.bufferedAmount > this.#options.maxQueueBytes) {
      this.#queuedBytes -= this.#entries[this.#head].bytes;
      this.#entries[this.#head++] = undefined as unknown as QueueEntry;
      dropped++;
    }
    if (dropped > 0) {
      this.#dropped += dropped;
      this.#options.onDrop?.(dropped);
      this.#scheduleWarning();
    }
    this.#compact();
    this.#notePeak();
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#scheduledFlush);
    }
  }

  /** Hands waiting messages to the socket while its buffer is below the high-water mark. */
  flush(): void {
    if (this.#closed) return;
    const transport = this.#options.transport;
    transport?.cork();
    try {
      this.#flushCorked();
    } finally {
      transport?.uncork();
    }
  }

  #flushCorked(): void {
    if (this.#warningPending && this.#socket.bufferedAmount < this.#highWater) {
      this.#warningPending = false;
      this.#socket.send(this.#options.renderDropWarning(this.#dropped), { binary: false }, this.#afterWrite);
    }
    while (this.#head < this.#entries.length && this.#socket.bufferedAmount < this.#highWater) {
      const entry = this.#entries[this.#head];
      this.#entries[this.#head++] = undefined as unknown as QueueEntry;
      this.#queuedBytes -= entry.bytes;
      this.#write(entry);
      this.#notePeak();
    }
    this.#compact();
  }

  close(): void {
    this.#closed = true;
    this.#entries = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    if (this.#warnTimer) clearTimeout(this.#warnTimer);
    this.#warnTimer = undefined;
  }

  #write(entry: QueueEntry): void {
    this.#sent++;
    this.#options.onSent?.();
    if (entry.kind === 'text') {
      this.#socket.send(entry.text, { binary: false }, this.#afterWrite);
    } else if (entry.payload.length <= COPY_LIMIT) {
      this.#socket.send(Buffer.concat([entry.header, entry.payload]), { binary: true }, this.#afterWrite);
    } else {
      // Nothing else is sent between the two fragments: both go out in this same call.
      this.#socket.send(entry.header, { binary: true, fin: false });
      this.#socket.send(entry.payload, { binary: true, fin: true }, this.#afterWrite);
    }
  }

  #scheduleWarning(): void {
    if (this.#warnTimer) return;
    const now = performance.now();
    const wait = this.#lastWarnAt + this.#warnEveryMs - now;
    if (wait <= 0) {
      this.#lastWarnAt = now;
      this.#warningPending = true;
      this.flush();
      return;
    }
    // A trailing warning, so that the last drops of a burst are reported too.
    this.#warnTimer = setTimeout(() => {
      this.#warnTimer = undefined;
      this.#lastWarnAt = performance.now();
      this.#warningPending = true;
      this.flush();
    }, wait);
    this.#warnTimer.unref();
  }

  #compact(): void {
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #notePeak(): void {
    const pending = this.#queuedBytes + this.#socket.bufferedAmount;
    if (pending > this.#peakBytes) this.#peakBytes = pending;
  }
}
