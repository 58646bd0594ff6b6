import { describe, expect, it } from 'vitest';
import { ClientSendQueue, type QueueEntry, type QueueSocket } from './send-queue.js';

/** A socket whose buffer only empties when the test says so, as under a client that stopped reading. */
class StalledSocket implements QueueSocket {
  bufferedAmount = 0;
  /** The first payload byte of each binary message (its marker), or the text. */
  readonly sent: (string | number)[] = [];
  send(data: Buffer | Uint8Array | string): void {
    this.sent.push(typeof data === 'string' ? data : data[13]);
    this.bufferedAmount += data.length;
  }
}

function entry(marker: number, size: number): QueueEntry {
  return { kind: 'binary', header: Buffer.alloc(13), payload: new Uint8Array(size).fill(marker), bytes: 13 + size };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ClientSendQueue', () => {
  it('keeps a stalled client bounded by dropping the oldest, and reports the total dropped', async () => {
    const socket = new StalledSocket();
    let dropCallbacks = 0;
    const queue = new ClientSendQueue(socket, { maxQueueBytes: 10_000, warnEveryMs: 5, renderDropWarning: (n) => `dropped ${n}`, onDrop: (n) => (dropCallbacks += n) });
    for (let i = 1; i <= 40; i++) {
      queue.push(entry(i, 987));
      if (i % 5 === 0) await tick();
    }
    expect(queue.peakBytes).toBeLessThanOrEqual(10_000 + 1000);
    expect(queue.dropped).toBeGreaterThan(0);
    expect(dropCallbacks).toBe(queue.dropped);
    // The client reads again: what was kept arrives in order, newest last, with a warning counting the rest.
    await tick(10);
    for (let i = 0; i < 10 && (queue.queuedMessages > 0 || i < 2); i++) {
      socket.bufferedAmount = 0;
      queue.flush();
      await tick(10);
    }
    const data = socket.sent.filter((m): m is number => typeof m === 'number');
    const warnings = socket.sent.filter((m): m is string => typeof m === 'string');
    expect(data).toEqual([...data].sort((a, b) => a - b));
    expect(data.at(-1)).toBe(40);
    expect(data.length + queue.dropped).toBe(40);
    expect(warnings.at(-1)).toBe(`dropped ${queue.dropped}`);
    queue.close();
  });

  it('sends everything, batched after the synchronous pushes, while the socket keeps up', async () => {
    const socket = new StalledSocket();
    const queue = new ClientSendQueue(socket, { maxQueueBytes: 100_000, renderDropWarning: String });
    for (let i = 0; i < 50; i++) queue.push(entry(i, 100));
    expect(socket.sent).toHaveLength(0);
    await Promise.resolve();
    expect(socket.sent).toHaveLength(50);
    expect(queue.sent).toBe(50);
    expect(queue.dropped).toBe(0);
    expect(queue.queuedMessages).toBe(0);
  });
});
