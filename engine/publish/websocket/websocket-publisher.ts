import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SensorFrame } from '../../core/frames.js';
import { packageRoot } from '../../core/package-root.js';
import type { PerceptionEvent } from '../../events/perception-event.js';
import type { Publisher, PublisherContext, PublisherStats } from '../publisher.js';
import { isAuthorized } from './auth.js';
import type { ClientSession, SessionShared } from './client-session.js';
import { foxgloveChannels } from './foxglove-channels.js';
import { FoxgloveSession, foxgloveDropWarning } from './foxglove-session.js';
import { websocketOutputSchema, type WebSocketOutputInput, type WebSocketOutputOptions } from './options.js';
import { EventPayloads, FramePayloads } from './payloads.js';
import { FOXGLOVE_SUBPROTOCOL, PERCEPT_SUBPROTOCOL } from './percept-protocol.js';
import { PerceptSession, perceptDropWarning } from './percept-session.js';
import { ClientSendQueue } from './send-queue.js';

export interface WebSocketClientStats {
  id: number;
  protocol: 'percept' | 'foxglove';
  subscriptions: number;
  /** Bytes waiting for this client now: our queue plus what the socket holds. */
  pendingBytes: number;
  /** The most pendingBytes ever reached for this client. */
  peakPendingBytes: number;
  sent: number;
  dropped: number;
}

export interface WebSocketPublisherStats extends PublisherStats {
  /** Bytes waiting, summed over clients. */
  queuedBytes: number;
  /** Upgrades refused for a wrong or missing token. */
  unauthorized: number;
  /** Clients closed for a protocol error (an oversized message, say). */
  clientErrors: number;
}

export interface WebSocketPublisher extends Publisher {
  /** The port listened on (known after start()). */
  readonly port: number;
  readonly url: string;
  publishFrame(frame: SensorFrame): void;
  stats(): WebSocketPublisherStats;
  clientStats(): WebSocketClientStats[];
}

/** Clients get this long to answer a close frame on stop() before they are cut. */
const CLOSE_GRACE_MS = 1000;
/** The status topic repeats the latest health at least this often. */
const STATUS_EVERY_MS = 1000;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function healthKey(event: PerceptionEvent): string {
  return event.health.map((h) => `${h.sensorId}:${h.state}`).join(',');
}

interface Client {
  id: number;
  ws: WebSocket;
  session: ClientSession;
  alive: boolean;
}

/**
 * Serves events and raw frames over WebSocket on one port: percept's own protocol
 * (docs/websocket-protocol.md) and the Foxglove WebSocket protocol v1, picked per client by its
 * subprotocol. Each client has a bounded queue (see ClientSendQueue); publishing never waits.
 */
export function createWebSocketPublisher(input: WebSocketOutputInput, context: PublisherContext): WebSocketPublisher {
  const options: WebSocketOutputOptions = websocketOutputSchema.parse(input);
  const { rig } = context;
  const log = context.log ?? (() => undefined);
  const clients = new Set<Client>();
  const channels = foxgloveChannels(rig);
  const serverInfo = { name: 'percept', metadata: { rig: rig.name, version: packageVersion() }, sessionId: randomUUID() };
  let server: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  let port = 0;
  let nextClientId = 1;
  let sent = 0;
  let droppedSlow = 0;
  let encodeErrors = 0;
  let unauthorized = 0;
  let clientErrors = 0;
  let firstStamp: bigint | undefined;
  let latest: EventPayloads | undefined;
  let lastHealthKey: string | undefined;
  let lastStatusAt = -Infinity;
  let pingTimer: NodeJS.Timeout | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const encodeErrorSensors = new Set<string>();

  const shared: SessionShared = {
    rig,
    sensorIds: new Set(rig.sensors.map((s) => s.id)),
    latestEvent: () => latest,
    calibrationStamp: () => firstStamp ?? context.clock(),
  };

  const onConnection = (ws: WebSocket, transport: Socket): void => {
    const isFoxglove = ws.protocol === FOXGLOVE_SUBPROTOCOL;
    const queue = new ClientSendQueue(ws, {
      maxQueueBytes: options.maxQueueBytes,
      renderDropWarning: isFoxglove ? foxgloveDropWarning : perceptDropWarning,
      onDrop: (n) => (droppedSlow += n),
      onSent: () => sent++,
      transport,
    });
    const session: ClientSession = isFoxglove ? new FoxgloveSession(queue, shared, serverInfo, channels) : new PerceptSession(queue, shared);
    const client: Client = { id: nextClientId++, ws, session, alive: true };
    clients.add(client);
    ws.on('message', (data, isBinary) => {
      client.alive = true;
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      try {
        session.handleMessage(bytes, isBinary);
      } catch (err) {
        // A bug answering one client must not take the server down.
        log(`websocket: client ${client.id}: ${(err as Error).message}`);
      }
    });
    ws.on('pong', () => (client.alive = true));
    // ws closes the connection itself (1009 for an oversized message, 1002 for a protocol error).
    ws.on('error', () => clientErrors++);
    ws.on('close', () => {
      clients.delete(client);
      session.close();
    });
    session.open();
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => undefined);
    if (!isAuthorized(req, options.token)) {
      unauthorized++;
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss!.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
  };

  const broadcastStatus = (p: EventPayloads): void => {
    lastStatusAt = performance.now();
    for (const c of clients) c.session.onStatus(p);
  };

  const listen = (s: HttpServer, p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        s.off('listening', onListening);
        reject(err);
      };
      const onListening = (): void => {
        s.off('error', onError);
        resolve();
      };
      s.once('error', onError);
      s.once('listening', onListening);
      s.listen(p, options.host);
    });

  const url = (): string => {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return `${options.tls ? 'wss' : 'ws'}://${host}:${port}`;
  };

  const publisher: WebSocketPublisher = {
    name: 'websocket',
    get port() {
      return port;
    },
    get url() {
      return url();
    },

    async start() {
      if (server) return;
      const plain = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => {
        res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
        res.end('percept serves WebSocket here (subprotocols percept.v1, foxglove.websocket.v1)\n');
      };
      if (options.tls) {
        const [cert, key] = await Promise.all([readFile(options.tls.certFile), readFile(options.tls.keyFile)]);
        server = createHttpsServer({ cert, key }, plain);
      } else {
        server = createHttpServer(plain);
      }
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: options.maxClientMessageBytes,
        perMessageDeflate: false,
        handleProtocols: (offered) => (offered.has(FOXGLOVE_SUBPROTOCOL) ? FOXGLOVE_SUBPROTOCOL : offered.has(PERCEPT_SUBPROTOCOL) ? PERCEPT_SUBPROTOCOL : false),
      });
      server.on('upgrade', onUpgrade);
      try {
        await listen(server, options.port);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !options.fallbackToFreePort || options.port === 0) {
          server = undefined;
          throw new Error(`websocket: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`);
        }
        await listen(server, 0);
        port = (server.address() as AddressInfo).port;
        log(`websocket: port ${options.port} is in use; listening on ${port} instead`);
      }
      port = (server.address() as AddressInfo).port;
      log(`websocket: listening on ${url()}`);
      pingTimer = setInterval(() => {
        for (const c of clients) {
          if (!c.alive) {
            c.ws.terminate();
            continue;
          }
          c.alive = false;
          c.ws.ping();
        }
      }, options.pingIntervalMs);
      pingTimer.unref();
      statusTimer = setInterval(() => {
        if (latest && performance.now() - lastStatusAt >= STATUS_EVERY_MS * 0.9) broadcastStatus(latest);
      }, STATUS_EVERY_MS);
      statusTimer.unref();
    },

    publishEvent(event) {
      if (!server || stopping) return;
      if (firstStamp === undefined) firstStamp = event.stamp;
      const payloads = new EventPayloads(event);
      latest = payloads;
      try {
        for (const c of clients) c.session.onEvent(payloads);
        const key = healthKey(event);
        if (key !== lastHealthKey) {
          lastHealthKey = key;
          broadcastStatus(payloads);
        }
      } catch (err) {
        encodeErrors++;
        log(`websocket: event ${event.seq} could not be encoded: ${(err as Error).message}`);
      }
    },

    publishFrame(frame: SensorFrame) {
      if (!server || stopping) return;
      if (firstStamp === undefined) firstStamp = frame.stamp;
      let wanted = false;
      for (const c of clients) if (c.session.wantsSensor(frame.sensorId)) wanted = true;
      if (!wanted) return;
      const payloads = new FramePayloads(frame);
      for (const c of clients) c.session.onFrame(payloads);
      if (payloads.error !== undefined) {
        encodeErrors++;
        if (!encodeErrorSensors.has(frame.sensorId)) {
          encodeErrorSensors.add(frame.sensorId);
          log(`websocket: frames of ${frame.sensorId} cannot be sent: ${payloads.error}`);
        }
      }
    },

    stop() {
      stopping ??= (async () => {
        if (pingTimer) clearInterval(pingTimer);
        if (statusTimer) clearInterval(statusTimer);
        if (!server) return;
        const closed = [...clients].map((c) => new Promise<void>((resolve) => {
          if (c.ws.readyState === c.ws.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.close(1001, 'server stopping');
        }));
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
        clearTimeout(grace);
        for (const c of clients) c.ws.terminate();
        wss?.close();
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      })();
      return stopping;
    },

    stats() {
      let queued = 0;
      let queuedBytes = 0;
      for (const c of clients) {
        queued += c.session.queue.queuedMessages;
        queuedBytes += c.session.queue.pendingBytes;
      }
      return {
        sent,
        dropped: { 'slow-client': droppedSlow, 'encode-error': encodeErrors },
        clients: clients.size,
        queued,
        queuedBytes,
        unauthorized,
        clientErrors,
      };
    },

    clientStats() {
      return [...clients].map((c) => ({
        id: c.id,
        protocol: c.session.protocol,
        subscriptions: c.session.subscriptionCount,
        pendingBytes: c.session.queue.pendingBytes,
        peakPendingBytes: c.session.queue.peakBytes,
        sent: c.session.queue.sent,
        dropped: c.session.queue.dropped,
      }));
    },
  };
  return publisher;
}
