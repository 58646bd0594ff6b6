import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { PerceptionEvent, SensorHealth } from '../../events/perception-event.js';
import type { Publisher, PublisherContext, PublisherStats } from '../publisher.js';
import { DiskSpool } from './disk-spool.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import { encodeEventPayloads, statusPayload } from './event-payloads.js';
import { mqttOutputSchema, type MqttOutputInput } from './mqtt-options.js';
import { MqttOutbox } from './outbox.js';
import { reconnectDelayMs } from './reconnect-backoff.js';

export { mqttOutputSchema, type MqttOutputInput, type MqttOutputOptions } from './mqtt-options.js';

export interface MqttPublisherStats extends PublisherStats {
  /** QoS-1 messages handed to the broker and not yet acknowledged. */
  inflight: number;
  /** Messages in the disk spool now, and how many went through it in all. */
  spooled: number;
  spooledTotal: number;
  /** QoS-1 messages unacknowledged when a connection was lost, which mqtt.js sent again (the broker may have had them). */
  resent: number;
  /** Connections re-established after a loss. */
  reconnects: number;
}

export interface MqttPublisher extends Publisher {
  /** The broker percept publishes to (the embedded one's once started), without credentials. */
  readonly brokerUrl: string;
  /** The topics, `<prefix>/events|objects|audio|status`. */
  readonly topics: { events: string; objects: string; audio: string; status: string };
  stats(): MqttPublisherStats;
}

/** TLS files are small; anything bigger is a wrong path, not a certificate. */
const MAX_TLS_FILE_BYTES = 1 << 20;
/** How long start() waits for the first connection before going on with messages queued. */
const FIRST_CONNECT_WAIT_MS = 3000;

/**
 * Publishes events to an MQTT broker: the rig's `outputs.mqtt.url`, or an embedded aedes broker on
 * loopback when there is none. Topics under `<prefix>` (default `percept/<rig name>`):
 *   events   percept.PerceptionEvent per event (protobuf bytes, or proto3 JSON)
 *   objects  percept.PerceptionEvent with only seq, stamp_ns and objects
 *   audio    percept.PerceptionEvent with only seq, stamp_ns and audio, when the event has audio events
 *   status   retained JSON: {"state":"online",...} on connect and every statusIntervalMs; the last
 *            will (retained) {"state":"offline","reason":"will"} when the connection dies, and
 *            {"state":"offline","reason":"stopped"} on a clean stop.
 * QoS-1 messages survive broker loss (see MqttOutbox); delivery is at least once, so subscribers
 * that must not see an event twice drop repeated `seq`s.
 */
export function createMqttPublisher(input: MqttOutputInput, context: PublisherContext): MqttPublisher {
  const options = mqttOutputSchema.parse(input);
  const prefix = options.topicPrefix ?? `percept/${context.rig.name}`;
  const topics = { events: `${prefix}/events`, objects: `${prefix}/objects`, audio: `${prefix}/audio`, status: `${prefix}/status` };
  const clientId = options.clientId ?? `percept-${randomBytes(4).toString('hex')}`;
  const log = (line: string): void => context.log?.(`mqtt: ${line}`);

  let broker: EmbeddedBroker | undefined;
  let client: MqttClient | undefined;
  let outbox: MqttOutbox | undefined;
  let spool: DiskSpool | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let brokerUrl = options.url ? withoutCredentials(options.url) : '';
  let startedAt = 0n;
  let events = 0;
  let lastSeq: number | null = null;
  let lastHealth: SensorHealth[] = [];
  let encodeErrors = 0;
  let reconnects = 0;
  let attempt = 0;
  let everConnected = false;
  let outage = false;

  const publishStatus = (): void => {
    if (!outbox) return;
    const s = stats();
    outbox.publishLatest(
      topics.status,
      statusPayload({
        state: 'online', rig: context.rig.name, stampNs: context.clock().toString(), uptimeS: Number(context.clock() - startedAt) / 1e9,
        events, lastSeq, sent: s.sent, queued: s.queued, dropped: s.dropped, reconnects, sensors: lastHealth,
      }),
      options.qos.status,
      true,
    );
  };

  const stats = (): MqttPublisherStats => {
    const o = outbox?.stats();
    const dropped = { ...(o?.dropped ?? {}) };
    if (encodeErrors > 0) dropped['encode-error'] = encodeErrors;
    return {
      sent: o?.sent ?? 0,
      dropped,
      clients: outbox?.online ? 1 : 0,
      queued: o ? o.inflight + o.waiting + o.spooled : 0,
      inflight: o?.inflight ?? 0,
      spooled: o?.spooled ?? 0,
      spooledTotal: o?.spooledTotal ?? 0,
      resent: o?.resent ?? 0,
      reconnects,
    };
  };

  return {
    name: 'mqtt',
    topics,
    get brokerUrl() {
      return brokerUrl;
    },

    async start() {
      startedAt = context.clock();
      const tls = options.tls ? await readTlsFiles(options.tls) : {};
      let url = options.url;
      if (!url) {
        broker = await startEmbeddedBroker({ host: options.host, port: options.port, fallbackToFreePort: options.fallbackToFreePort, log });
        url = broker.url;
        log(`embedded broker on ${url}`);
      }
      if (options.spoolDir) {
        try {
          spool = DiskSpool.open(options.spoolDir, options.maxSpoolBytes);
        } catch (err) {
          await broker?.close();
          broker = undefined;
          throw new Error(`mqtt spool in ${options.spoolDir}: ${(err as Error).message}`);
        }
        if (spool.recovered > 0) log(`${spool.recovered} messages left in ${spool.path} by an earlier run will be sent first`);
        if (spool.discardedBytes > 0) log(`cut ${spool.discardedBytes} bytes of a torn record from ${spool.path}`);
      }
      brokerUrl = withoutCredentials(url);
      const clientOptions: IClientOptions = {
        clientId,
        clean: true,
        protocolVersion: 4,
        keepalive: 10,
        connectTimeout: 5000,
        reconnectPeriod: options.reconnectMinMs,
        queueQoSZero: false,
        username: options.username,
        password: options.password,
        ...tls,
        will: { topic: topics.status, payload: statusPayload({ state: 'offline', rig: context.rig.name, reason: 'will' }), qos: options.qos.status, retain: true },
      };
      const c = connect(url, clientOptions);
      client = c;
      outbox = new MqttOutbox(c, { maxQueued: options.maxQueued, maxInflight: options.maxInflight, maxSocketBufferBytes: options.maxSocketBufferBytes, spool });
      const box = outbox;

      // mqtt.js reads reconnectPeriod each time a connection closes; set it first, with backoff.
      c.prependListener('close', () => {
        c.options.reconnectPeriod = reconnectDelayMs(attempt++, options.reconnectMinMs, options.reconnectMaxMs, Math.random);
      });
      c.on('close', () => {
        box.setOnline(false);
        if (everConnected && !outage) {
          outage = true;
          const s = stats();
          log(`lost the broker at ${brokerUrl}; reconnecting, QoS-1 messages queue (${s.queued} now)`);
        }
      });
      c.on('connect', () => {
        attempt = 0;
        if (outage) {
          reconnects++;
          log(`reconnected to ${brokerUrl}`);
        }
        everConnected = true;
        outage = false;
        box.setOnline(true);
        publishStatus();
      });
      // mqtt.js throws an 'error' event nobody listens to; every error also closes or retries.
      c.on('error', (err) => {
        if (!outage) log(`${brokerUrl}: ${err.message}`);
      });

      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), FIRST_CONNECT_WAIT_MS);
        c.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!connected) {
        outage = true;
        everConnected = true;
        log(`${brokerUrl} is not reachable yet; QoS-1 messages queue until it is`);
      }
      statusTimer = setInterval(publishStatus, options.statusIntervalMs);
      statusTimer.unref();
    },

    publishEvent(event: PerceptionEvent) {
      if (!outbox) return;
      events++;
      lastSeq = event.seq;
      lastHealth = event.health;
      let payloads;
      try {
        payloads = encodeEventPayloads(event, options.encoding);
      } catch (err) {
        if (encodeErrors++ === 0) log(`event ${event.seq} cannot be encoded: ${(err as Error).message}`);
        return;
      }
      outbox.publish(topics.events, payloads.events, options.qos.events);
      outbox.publish(topics.objects, payloads.objects, options.qos.objects);
      if (payloads.audio) outbox.publish(topics.audio, payloads.audio, options.qos.audio);
    },

    async stop() {
      if (statusTimer) clearInterval(statusTimer);
      statusTimer = undefined;
      const box = outbox;
      const c = client;
      if (box && c) {
        const drained = box.online ? await box.drained(options.stopFlushMs) : false;
        const left = stats();
        box.stop();
        if (!drained && left.queued > 0) {
          log(`stopping with ${left.queued - left.spooled} QoS-1 messages unacknowledged (dropped)${left.spooled ? `, ${left.spooled} kept in ${spool?.path}` : ''}`);
        }
        if (box.online) {
          // A clean DISCONNECT suppresses the will, so say "offline" ourselves.
          c.publish(topics.status, statusPayload({ state: 'offline', rig: context.rig.name, reason: 'stopped' }), { qos: options.qos.status, retain: true });
          await endWithin(c, 1000);
        } else {
          await c.endAsync(true);
        }
      }
      spool?.close();
      spool = undefined;
      if (broker) await broker.close();
      broker = undefined;
    },

    stats,
  };
}

/** A clean disconnect waits for outstanding acknowledgements; a broker that never sends them gets a forced close. */
async function endWithin(client: MqttClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const clean = await Promise.race([
    client.endAsync(false).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!clean) await client.endAsync(true);
}

async function readTlsFiles(tls: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized: boolean }): Promise<Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>> {
  const read = async (path: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (!path) return undefined;
    const size = (await stat(path)).size;
    if (size > MAX_TLS_FILE_BYTES) throw new Error(`mqtt tls ${what} ${path} is ${size} bytes; a PEM file is far smaller`);
    return readFile(path);
  };
  return {
    ca: await read(tls.caFile, 'caFile'),
    cert: await read(tls.certFile, 'certFile'),
    key: await read(tls.keyFile, 'keyFile'),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/, '$1');
}
