import type { MqttClient } from 'mqtt';
import type { DiskSpool, SpooledMessage } from './disk-spool.js';

export interface OutboxOptions {
  /** QoS-1 messages held in memory, in flight or waiting; beyond it they go to the spool or are dropped. */
  maxQueued: number;
  /** QoS-1 messages handed to mqtt.js and not yet acknowledged. */
  maxInflight: number;
  /** QoS-0 messages are dropped while this many bytes wait in the socket. */
  maxSocketBufferBytes: number;
  spool?: DiskSpool;
}

export type OutboxDropReason = 'offline' | 'backpressure' | 'queue-full' | 'spool-full' | 'error' | 'stopped';

/**
 * What percept hands to the broker, and what it holds while the broker is away.
 *
 * mqtt.js alone would keep every QoS-1 message (its outgoing store, unbounded) and resend after a
 * reconnect, but one at a time, each waiting for its PUBACK, and without the DUP flag. So this
 * outbox gives mqtt.js at most maxInflight messages; the rest wait here in publish order (memory
 * up to maxQueued, then the disk spool, then counted drops) and go out, pipelined, once mqtt.js
 * reports `connect` — which it does only after resending its own unacknowledged ones, so the order
 * on the wire stays the publish order. QoS 0 is never queued: sent when online, dropped (counted)
 * when not or when the socket is backed up.
 */
export class MqttOutbox {
  readonly #client: MqttClient;
  readonly #options: OutboxOptions;
  #online = false;
  #stopped = false;
  /** FIFO as an array and a head index: shift() on a long array is O(n). */
  #waiting: SpooledMessage[] = [];
  #head = 0;
  #inflight = 0;
  #sent = 0;
  #spooledTotal = 0;
  #resent = 0;
  readonly #dropped: Partial<Record<OutboxDropReason, number>> = {};
  #drainWaiters: Array<() => void> = [];

  constructor(client: MqttClient, options: OutboxOptions) {
    this.#client = client;
    this.#options = options;
  }

  get online(): boolean {
    return this.#online;
  }

  /** Called on mqtt.js `connect` (its own resends are done) and on `close`. */
  setOnline(online: boolean): void {
    // mqtt.js sends these again after the reconnect: the broker may have them already (duplicates).
    if (this.#online && !online) this.#resent += this.#inflight;
    this.#online = online;
    if (online) this.#pump();
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1): void {
    if (this.#stopped) return this.#drop('stopped');
    if (qos === 0) return this.#publishQos0(topic, payload);
    const spool = this.#options.spool;
    // Once anything is on disk, newer messages queue behind it there, or order would break.
    if ((spool && spool.count > 0) || this.#waitingCount() + this.#inflight >= this.#options.maxQueued) {
      if (!spool) return this.#drop('queue-full');
      if (!spool.append({ topic, payload, qos })) return this.#drop('spool-full');
      this.#spooledTotal++;
      return;
    }
    this.#waiting.push({ topic, payload, qos });
    this.#pump();
  }

  /** For state that is re-sent on every connect (status): sent when online, skipped otherwise. */
  publishLatest(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): void {
    if (!this.#online || this.#stopped) return;
    this.#client.publish(topic, Buffer.from(payload), { qos, retain }, () => undefined);
  }

  stats(): { sent: number; inflight: number; waiting: number; spooled: number; spooledTotal: number; resent: number; dropped: Record<string, number> } {
    return {
      resent: this.#resent,
      sent: this.#sent,
      inflight: this.#inflight,
      waiting: this.#waitingCount(),
      spooled: this.#options.spool?.count ?? 0,
      spooledTotal: this.#spooledTotal,
      dropped: { ...this.#dropped } as Record<string, number>,
    };
  }

  /** Resolves true once nothing is in flight, waiting or spooled, false after timeoutMs. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.#isEmpty()) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.#drainWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return done;
  }

  /** No more sending; what is still in memory counts as dropped ('stopped'); the spool keeps its part for the next run. */
  stop(): void {
    this.#stopped = true;
    const lost = this.#waitingCount() + this.#inflight;
    if (lost > 0) this.#dropped.stopped = (this.#dropped.stopped ?? 0) + lost;
    this.#waiting = [];
    this.#head = 0;
    this.#inflight = 0;
  }

  #publishQos0(topic: string, payload: Uint8Array): void {
    if (!this.#online) return this.#drop('offline');
    if ((this.#client.stream?.writableLength ?? 0) > this.#options.maxSocketBufferBytes) return this.#drop('backpressure');
    this.#client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 0 });
    this.#sent++;
  }

  #pump(): void {
    while (this.#online && !this.#stopped && this.#inflight < this.#options.maxInflight) {
      const message = this.#nextWaiting() ?? this.#options.spool?.shift();
      if (!message) break;
      this.#inflight++;
      const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
      this.#client.publish(message.topic, payload, { qos: 1 }, (err) => this.#onAck(err));
    }
  }

  #onAck(err: Error | undefined): void {
    if (this.#stopped) return;
    this.#inflight--;
    if (err) this.#drop('error');
    else this.#sent++;
    this.#pump();
    if (this.#isEmpty()) for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  #nextWaiting(): SpooledMessage | undefined {
    if (this.#head === this.#waiting.length) return undefined;
    const message = this.#waiting[this.#head];
    this.#waiting[this.#head++] = undefined as unknown as SpooledMessage;
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return message;
  }

  #waitingCount(): number {
    return this.#waiting.length - this.#head;
  }

  #isEmpty(): boolean {
    return this.#inflight === 0 && this.#waitingCount() === 0 && (this.#options.spool?.count ?? 0) === 0;
  }

  #drop(reason: OutboxDropReason): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + 1;
  }
}
