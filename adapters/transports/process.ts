import { spawn } from 'node:child_process';
import { Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import { backoffSchema } from './backoff.js';
import { reconnectingSource } from './reconnecting-source.js';
import type { TransportDeps } from './tcp-client.js';
import { createTransportStats, describeError, type Transport, type TransportStats, type TransportStatus } from './transport.js';

export const processTransportSchema = z
  .object({
    type: z.literal('process'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Restart the program with backoff when it exits; false ends `data$` at exit. */
    restart: z.union([z.literal(false), backoffSchema]).default(false),
    /** stderr lines longer than this are cut (the rest of the line is skipped). */
    maxStderrLineChars: z.number().int().positive().default(1000),
    /** Grace between SIGTERM and SIGKILL when the subscription ends. */
    killTimeoutMs: z.number().int().positive().default(2000),
  })
  .strict();

export type ProcessTransportOptions = z.input<typeof processTransportSchema>;

export interface ProcessTransportStats extends TransportStats {
  stderrLines: number;
  /** The last few stderr lines, for the reason of an exit. */
  readonly lastStderr: string[];
}

export interface ProcessTransportDeps extends TransportDeps {
  /** Each stderr line of the child (ffmpeg and arecord report there). */
  onStderrLine?: (line: string) => void;
}

export interface ProcessTransport extends Transport {
  readonly stats: ProcessTransportStats;
}

const INSTALL_HINTS: Record<string, string> = {
  ffmpeg: 'install it (Debian: apt-get install ffmpeg)',
  ffprobe: 'install it (Debian: apt-get install ffmpeg)',
  arecord: 'install it (Debian: apt-get install alsa-utils)',
};

/** The message for a program that is not there, naming it and how to get it. */
export function missingProgramMessage(command: string): string {
  const name = command.split('/').pop() ?? command;
  const hint = INSTALL_HINTS[name.replace(/\.exe$/, '')] ?? 'install it or give its full path';
  return `${name} not found${command.includes('/') ? ` at ${command}` : ' on PATH'}: ${hint}`;
}

const KEEP_STDERR_LINES = 5;

/**
 * A child process whose stdout is the byte stream. stderr is split into counted lines. Exit is a
 * `disconnected` status, then a restart with backoff when asked. A missing program is a fatal
 * `error` status naming it (never a crash). Bounded by pausing the source: stdout is a pipe, so a
 * slow consumer blocks the child's writes. Unsubscribing sends SIGTERM, then SIGKILL.
 */
export function openProcess(options: ProcessTransportOptions, deps: ProcessTransportDeps = {}): ProcessTransport {
  const config = processTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats: ProcessTransportStats = { ...createTransportStats(), stderrLines: 0, lastStderr: [] };
  const program = config.command.split('/').pop() ?? config.command;

  const onLine = (line: string): void => {
    stats.stderrLines += 1;
    stats.lastStderr.push(line);
    if (stats.lastStderr.length > KEEP_STDERR_LINES) stats.lastStderr.shift();
    deps.onStderrLine?.(line);
  };

  const data$ = reconnectingSource(
    (h) => {
      const child = spawn(config.command, config.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let exited = false;
      let killTimer: NodeJS.Timeout | undefined;
      let partial = '';
      let skipping = false;
      child.stdout.on('data', (bytes: Buffer) => h.chunk(bytes, program));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) {
          if (!skipping) onLine(part.replace(/\r$/, '').slice(0, config.maxStderrLineChars));
          skipping = false;
        }
        if (partial.length > config.maxStderrLineChars) {
          if (!skipping) onLine(partial.slice(0, config.maxStderrLineChars));
          skipping = true;
          partial = '';
        }
      });
      child.once('spawn', () => h.connected(program));
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') h.failed(missingProgramMessage(config.command), true);
        else if (err.code === 'EACCES') h.failed(`${program} is not executable (${describeError(err)})`, true);
        else h.failed(`${program}: ${describeError(err)}`);
      });
      child.once('close', (code, signal) => {
        exited = true;
        if (killTimer) clearTimeout(killTimer);
        if (partial && !skipping) onLine(partial);
        partial = '';
        const last = stats.lastStderr.at(-1);
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        h.ended(`${program} ${how}${code !== 0 && last ? `: ${last}` : ''}`);
      });
      return () => {
        if (exited || child.exitCode !== null || child.pid === undefined) return;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), config.killTimeoutMs);
        killTimer.unref();
      };
    },
    { reconnect: config.restart, random: deps.random ?? Math.random, clock, status, stats },
  );
  return { data$, status$: status.asObservable(), stats };
}
