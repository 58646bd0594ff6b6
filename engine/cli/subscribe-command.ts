import { subscribePercept } from '../publish/websocket/percept-subscriber.js';
import { parseTopic } from '../publish/websocket/percept-protocol.js';
import { UsageError } from './cli-error.js';

export interface SubscribeCommandOptions {
  topic?: string;
  json?: boolean;
  token?: string;
}

/**
 * `percept subscribe URL`: one JSON line (proto3 JSON) per message on stdout; server status lines
 * on stderr. Ends on Ctrl-C or when the server closes the connection.
 */
export async function runSubscribeCommand(url: string, opts: SubscribeCommandOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`not a URL: "${url}" (expected ws://HOST:PORT or wss://HOST:PORT)`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new UsageError(`expected a ws:// or wss:// URL, got "${url}"`);
  const topic = opts.topic ?? 'events';
  if (!parseTopic(topic)) throw new UsageError(`unknown topic "${topic}" (known: events, objects, audio, status, sensor/<sensorId>)`);

  const sub = subscribePercept({
    url,
    topic,
    encoding: opts.json ? 'json' : 'protobuf',
    token: opts.token,
    onData: (message) => {
      process.stdout.write(JSON.stringify(message) + '\n');
    },
    onControl: (msg) => {
      if (msg.op === 'status') process.stderr.write(`${msg.level}: ${msg.message}\n`);
    },
  });
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    sub.close();
    // A server that never answers the close frame must not keep the command alive.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await sub.subscribed;
    const { code, reason } = await sub.closed;
    if (!interrupted && code !== 1000) process.stderr.write(`connection closed by the server (${code}${reason ? `: ${reason}` : ''})\n`);
  } catch (err) {
    sub.close();
    throw new Error(`${url}: ${(err as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
