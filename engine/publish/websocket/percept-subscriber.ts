import { WebSocket } from 'ws';
import { loadProtos } from '../../core/proto.js';
import { parseDataMessage } from './binary-frame.js';
import { messageToJson } from './payloads.js';
import { PERCEPT_SUBPROTOCOL, type ObjectFilter, type PayloadEncoding, type PerceptServerMessage } from './percept-protocol.js';

export interface PerceptSubscriberOptions {
  /** ws:// or wss:// URL of a percept server. */
  url: string;
  /** events, objects, audio, status or sensor/<sensorId>. */
  topic: string;
  /** What to ask the server for; either way onData gets proto3 JSON. */
  encoding?: PayloadEncoding;
  filter?: ObjectFilter;
  token?: string;
  /** Largest message accepted from the server. */
  maxMessageBytes?: number;
  /** For wss:// with a self-signed certificate. */
  ca?: Buffer | string;
  onData: (message: Record<string, unknown>, stamp: bigint) => void;
  /** hello, subscribed and status messages. */
  onControl?: (message: PerceptServerMessage) => void;
}

export interface PerceptSubscription {
  /** Settles once the server confirmed the subscription; rejects when the connection failed. */
  readonly subscribed: Promise<void>;
  /** Settles when the connection is closed, with the close code. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const SUBSCRIPTION_ID = 1;

/**
 * A client of percept's protocol: connects, subscribes to one topic and hands every message over as
 * proto3 JSON (decoding protobuf payloads itself with the schema the server names).
 */
export function subscribePercept(options: PerceptSubscriberOptions): PerceptSubscription {
  const encoding = options.encoding ?? 'protobuf';
  const ws = new WebSocket(options.url, [PERCEPT_SUBPROTOCOL], {
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    maxPayload: options.maxMessageBytes ?? 256 * 1024 * 1024,
    ca: options.ca,
    perMessageDeflate: false,
  });
  let schema: string | undefined;
  let resolveSubscribed!: () => void;
  let rejectSubscribed!: (err: Error) => void;
  const subscribed = new Promise<void>((resolve, reject) => {
    resolveSubscribed = resolve;
    rejectSubscribed = reject;
  });
  subscribed.catch(() => undefined);
  let failure: Error | undefined;

  ws.on('unexpected-response', (_req, res) => {
    failure = new Error(res.statusCode === 401
      ? 'the server refused the connection: HTTP 401 (wrong or missing token)'
      : `the server refused the connection: HTTP ${res.statusCode}`);
    rejectSubscribed(failure);
    ws.terminate();
  });
  ws.on('error', (err) => {
    failure ??= err;
    rejectSubscribed(err);
  });
  ws.on('open', () => {
    ws.send(JSON.stringify({ op: 'subscribe', id: SUBSCRIPTION_ID, topic: options.topic, encoding, ...(options.filter ? { filter: options.filter } : {}) }));
  });
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary) {
      let msg: PerceptServerMessage;
      try {
        msg = JSON.parse(bytes.toString('utf8')) as PerceptServerMessage;
      } catch {
        return;
      }
      if (msg.op === 'subscribed' && msg.id === SUBSCRIPTION_ID) {
        schema = msg.schema;
        resolveSubscribed();
      } else if (msg.op === 'status' && msg.level === 'error' && schema === undefined) {
        rejectSubscribed(new Error(`the server refused the subscription: ${msg.message}`));
      }
      options.onControl?.(msg);
      return;
    }
    const data_ = parseDataMessage(bytes);
    if (!data_ || data_.subscriptionId !== SUBSCRIPTION_ID || schema === undefined) return;
    if (encoding === 'json') {
      options.onData(JSON.parse(Buffer.from(data_.payload.buffer, data_.payload.byteOffset, data_.payload.byteLength).toString('utf8')) as Record<string, unknown>, data_.stamp);
    } else {
      const type = loadProtos().type(schema);
      options.onData(messageToJson(type, type.decode(data_.payload)), data_.stamp);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      rejectSubscribed(failure ?? new Error(`connection closed (${code}) before the subscription was confirmed`));
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
  return {
    subscribed,
    closed,
    close: () => ws.close(1000),
  };
}
