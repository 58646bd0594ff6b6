import { z } from 'zod';
import { loadProtos } from '../../core/proto.js';
import { CALIBRATION_SCHEMA } from '../../../scenarios/topics.js';
import { dataHeader } from './binary-frame.js';
import type { ClientSession, SessionShared } from './client-session.js';
import type { ChannelEntry } from './foxglove-channels.js';
import type { EventPayloads, FramePayloads } from './payloads.js';
import { calibrationTransforms } from './scene-update.js';
import type { ClientSendQueue } from './send-queue.js';

/** Foxglove's StatusLevel (INFO is 0). */
const WARNING = 1;
const ERROR = 2;

const id = z.number().int().min(0).max(0xffffffff);
const clientMessageSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('subscribe'), subscriptions: z.array(z.object({ id, channelId: id })).max(1024) }),
  z.object({ op: z.literal('unsubscribe'), subscriptionIds: z.array(id).max(1024) }),
]);

export interface FoxgloveServerInfo {
  name: string;
  metadata: Record<string, string>;
  sessionId: string;
}

/**
 * The Foxglove WebSocket protocol v1, server side, with no capabilities: serverInfo and advertise on
 * connect, subscribe/unsubscribe, MESSAGE_DATA frames. /tf_static subscribers get the rig's
 * calibration at once.
 */
export class FoxgloveSession implements ClientSession {
  readonly protocol = 'foxglove' as const;
  readonly queue: ClientSendQueue;
  readonly #shared: SessionShared;
  readonly #info: FoxgloveServerInfo;
  readonly #channels: ReadonlyMap<number, ChannelEntry>;
  /** subscription id → channel id, and channel id → subscription ids. */
  readonly #subs = new Map<number, number>();
  readonly #byChannel = new Map<number, Set<number>>();
  readonly #sensorChannel: ReadonlyMap<string, number>;
  readonly #sceneChannel: number;
  readonly #eventsChannel: number;

  constructor(queue: ClientSendQueue, shared: SessionShared, info: FoxgloveServerInfo, channels: readonly ChannelEntry[]) {
    this.queue = queue;
    this.#shared = shared;
    this.#info = info;
    this.#channels = new Map(channels.map((c) => [c.channel.id, c]));
    this.#sensorChannel = new Map(channels.flatMap((c) => (c.source.kind === 'sensor' ? [[c.source.sensorId, c.channel.id] as const] : [])));
    this.#sceneChannel = channels.find((c) => c.source.kind === 'scene')!.channel.id;
    this.#eventsChannel = channels.find((c) => c.source.kind === 'events')!.channel.id;
  }

  get subscriptionCount(): number {
    return this.#subs.size;
  }

  open(): void {
    this.#json({
      op: 'serverInfo', name: this.#info.name, capabilities: [], supportedEncodings: ['protobuf'],
      metadata: this.#info.metadata, sessionId: this.#info.sessionId,
    });
    this.#json({ op: 'advertise', channels: [...this.#channels.values()].map((c) => c.channel) });
  }

  handleMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#status(ERROR, 'client publishing is not supported by this server');
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch {
      this.#status(ERROR, 'not JSON');
      return;
    }
    const parsed = clientMessageSchema.safeParse(value);
    if (!parsed.success) {
      const op = typeof value === 'object' && value !== null && 'op' in value ? String((value as { op: unknown }).op) : '(none)';
      this.#status(ERROR, `unsupported or malformed op "${op}": ${parsed.error.issues[0].message}`);
      return;
    }
    const msg = parsed.data;
    if (msg.op === 'unsubscribe') {
      for (const subId of msg.subscriptionIds) {
        const channelId = this.#subs.get(subId);
        if (channelId === undefined) continue;
        this.#subs.delete(subId);
        this.#byChannel.get(channelId)?.delete(subId);
      }
      return;
    }
    for (const { id: subId, channelId } of msg.subscriptions) {
      const entry = this.#channels.get(channelId);
      if (!entry) {
        this.#status(ERROR, `no channel ${channelId}`);
        continue;
      }
      if (this.#subs.has(subId)) {
        this.#status(ERROR, `subscription id ${subId} is already in use`);
        continue;
      }
      this.#subs.set(subId, channelId);
      let set = this.#byChannel.get(channelId);
      if (!set) this.#byChannel.set(channelId, (set = new Set()));
      set.add(subId);
      if (entry.source.kind === 'calibration') this.#sendCalibration(subId);
    }
  }

  wantsSensor(sensorId: string): boolean {
    const channelId = this.#sensorChannel.get(sensorId);
    return channelId !== undefined && (this.#byChannel.get(channelId)?.size ?? 0) > 0;
  }

  onEvent(p: EventPayloads): void {
    this.#toChannel(this.#sceneChannel, p.event.stamp, () => p.sceneUpdate());
    this.#toChannel(this.#eventsChannel, p.event.stamp, () => p.whole('protobuf'));
  }

  onStatus(): void {
    // Health travels inside /percept/events for Foxglove clients.
  }

  onFrame(p: FramePayloads): void {
    const channelId = this.#sensorChannel.get(p.frame.sensorId);
    if (channelId !== undefined) this.#toChannel(channelId, p.frame.stamp, () => p.encoded('protobuf'));
  }

  close(): void {
    this.#subs.clear();
    this.#byChannel.clear();
    this.queue.close();
  }

  #toChannel(channelId: number, stamp: bigint, payload: () => Uint8Array | undefined): void {
    const subs = this.#byChannel.get(channelId);
    if (!subs || subs.size === 0) return;
    const bytes = payload();
    if (!bytes) return;
    for (const subId of subs) this.#data(subId, stamp, bytes);
  }

  #sendCalibration(subId: number): void {
    const type = loadProtos().type(CALIBRATION_SCHEMA);
    const stamp = this.#shared.calibrationStamp();
    for (const tf of calibrationTransforms(this.#shared.rig, stamp)) this.#data(subId, stamp, type.encode(type.fromObject(tf)).finish());
  }

  #data(subId: number, stamp: bigint, payload: Uint8Array): void {
    const header = dataHeader(subId, stamp);
    this.queue.push({ kind: 'binary', header, payload, bytes: header.length + payload.length });
  }

  #status(level: number, message: string): void {
    this.#json({ op: 'status', level, message });
  }

  #json(msg: Record<string, unknown>): void {
    const text = JSON.stringify(msg);
    this.queue.push({ kind: 'text', text, bytes: Buffer.byteLength(text) });
  }
}

export function foxgloveDropWarning(dropped: number): string {
  return JSON.stringify({
    op: 'status', level: WARNING, id: 'percept.dropped',
    message: `this client reads too slowly: ${dropped} messages dropped so far (oldest first)`,
  });
}
