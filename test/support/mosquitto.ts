import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian puts it; /usr/sbin is not on every user's PATH. */
const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto'];

/** The mosquitto binary, or undefined when it is not installed. */
export function findMosquitto(): string | undefined {
  const fromPath = (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => join(dir, 'mosquitto'));
  for (const candidate of [...fromPath, ...CANDIDATES]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

export const MOSQUITTO_MISSING = 'mosquitto is not installed (Debian: apt-get install mosquitto; .ci/run installs it)';

export interface MosquittoOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keep sessions and queued QoS-1 messages across a restart (saved after every change). */
  persistence?: boolean;
  /** More mosquitto.conf lines. */
  extraConfig?: string[];
}

/**
 * A real mosquitto on 127.0.0.1 in a temporary folder (config, log, persistence file), started and
 * stopped by its own pid. restart() brings it back on the same port with the same folder, so a
 * persistent broker finds its sessions again.
 */
export class Mosquitto {
  readonly port: number;
  readonly dir: string;
  readonly #binary: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(binary: string, dir: string, port: number) {
    this.#binary = binary;
    this.dir = dir;
    this.port = port;
  }

  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const binary = findMosquitto();
    if (!binary) throw new Error(MOSQUITTO_MISSING);
    const port = options.port || (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'percept-mosquitto-'));
    // Run as root, mosquitto drops to the mosquitto user, which must still write log and database here.
    chmodSync(dir, 0o777);
    const config = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      ...(options.persistence
        ? ['persistence true', `persistence_location ${dir}/`, 'autosave_on_changes true', 'autosave_interval 1']
        : ['persistence false']),
      ...(options.extraConfig ?? []),
    ];
    writeFileSync(join(dir, 'mosquitto.conf'), config.join('\n') + '\n');
    const broker = new Mosquitto(binary, dir, port);
    try {
      await broker.#spawn();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL: no clean shutdown, no last save of the database. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.#signal('SIGKILL');
    await this.#spawn();
  }

  /** Stops it (SIGTERM, then SIGKILL after 2 s) and removes its folder. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'mosquitto.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await this.#exited;
  }

  async #spawn(): Promise<void> {
    const child = spawn(this.#binary, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (spawned) throw new Error(`mosquitto did not start: ${spawned.message}`);
    const deadline = Date.now() + 5000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on 127.0.0.1:${this.port}: ${stderr.trim()} ${this.log().trim()}`.trim());
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
