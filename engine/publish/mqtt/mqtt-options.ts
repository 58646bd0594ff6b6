import { z } from 'zod';

const qosSchema = z.union([z.literal(0), z.literal(1)]);

/** A topic level prefix: no wildcards, no empty levels, no leading or trailing slash. */
const topicPrefixSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^#+/\u0000]+(\/[^#+/\u0000]+)*$/, 'topic levels without wildcards (+ #), empty levels or a leading/trailing /');

const tlsSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict();

/**
 * The rig's `outputs.mqtt`. Without `url` percept starts an embedded broker (aedes) on loopback and
 * publishes to it; with `url` it publishes to that broker (mqtt://, mqtts://, ws://, wss://).
 */
export const mqttOutputSchema = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'mqtt://, mqtts://, ws:// or wss:// URL')
      .optional(),
    /** Embedded broker's port when there is no url; 0 picks a free one. */
    port: z.number().int().min(0).max(65535).default(1883),
    host: z.string().min(1).default('127.0.0.1'),
    /** When the embedded broker's port is taken, listen on a free port instead (and say so) rather than fail. */
    fallbackToFreePort: z.boolean().default(true),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: tlsSchema.optional(),
    clientId: z.string().min(1).max(128).optional(),
    /** Defaults to `percept/<rig name>`. */
    topicPrefix: topicPrefixSchema.optional(),
    qos: z
      .object({ events: qosSchema.default(1), objects: qosSchema.default(0), audio: qosSchema.default(1), status: qosSchema.default(1) })
      .strict()
      .default({ events: 1, objects: 0, audio: 1, status: 1 }),
    /** protobuf: percept.PerceptionEvent bytes; json: its proto3 JSON (field names as in the .proto). */
    encoding: z.enum(['protobuf', 'json']).default('protobuf'),
    /** QoS-1 messages held in memory (unacknowledged or waiting for the broker) before overflow goes to the spool or is dropped. */
    maxQueued: z.number().int().min(1).max(10_000_000).default(10_000),
    /** QoS-1 messages sent but not yet acknowledged; bounds what mqtt.js resends one by one after a reconnect. */
    maxInflight: z.number().int().min(1).max(65_000).default(256),
    /** Folder of the on-disk overflow queue (file percept-mqtt.spool); without it overflow is dropped and counted. */
    spoolDir: z.string().min(1).optional(),
    maxSpoolBytes: z.number().int().min(1024).default(256 * 1024 * 1024),
    /** Reconnect delay: starts at reconnectMinMs, doubles per failed attempt up to reconnectMaxMs, with ±25 % jitter. */
    reconnectMinMs: z.number().int().min(10).default(250),
    reconnectMaxMs: z.number().int().min(10).default(10_000),
    /** Period of the retained online status message. */
    statusIntervalMs: z.number().int().min(100).default(5000),
    /** QoS-0 messages are dropped (counted) while this many bytes wait in the socket. */
    maxSocketBufferBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
    /** How long stop() waits for queued QoS-1 messages to be acknowledged. */
    stopFlushMs: z.number().int().min(0).default(2000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.reconnectMaxMs < o.reconnectMinMs) {
      ctx.addIssue({ code: 'custom', path: ['reconnectMaxMs'], message: 'must be at least reconnectMinMs' });
    }
    if (o.password !== undefined && o.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password needs a username' });
    }
    if (o.tls && o.url && !/^(mqtts|wss):/.test(o.url)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls needs an mqtts:// or wss:// url' });
    }
    if (o.tls && !o.url) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'the embedded broker speaks plain MQTT on loopback; tls needs a url' });
    }
  });

/** `outputs.mqtt` as written. */
export type MqttOutputInput = z.input<typeof mqttOutputSchema>;
/** `outputs.mqtt` with defaults filled in. */
export type MqttOutputOptions = z.output<typeof mqttOutputSchema>;
