import { dirname, resolve } from 'node:path';
import { liveInput, type LiveInput, type LiveInputOptions, type LiveSensorStats } from '../../adapters/live-input.js';
import type { TransportStatus } from '../../adapters/transports/transport.js';
import { ConfigError, loadRigFile } from '../config/load-rig.js';
import type { Rig } from '../config/rig-schema.js';
import { UsageError } from './cli-error.js';

/** What `percept run` and `percept record` share: the rig and its live input, signals, the status line. */

/** Past this after SIGINT/SIGTERM the process exits even if an output is still closing. */
export const SHUTDOWN_DEADLINE_MS = 2000;
/** How often the live status line is redrawn. */
export const STATUS_LINE_MS = 250;

export function durationOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--duration must be a positive number of seconds, got "${value}"`);
  return n;
}

/** Loads a rig for a live session; an invalid rig or one without live sensors is the user's to fix. */
export function loadLiveRig(path: string): { rig: Rig; baseDir: string } {
  let rig: Rig;
  try {
    rig = loadRigFile(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (!rig.sensors.some((s) => s.source.type === 'live')) {
    throw new UsageError(`${path}: no sensor has a live source (source: { type: live, format, transport }); replay a scenario with percept replay`);
  }
  return { rig, baseDir: dirname(resolve(path)) };
}

/** liveInput, with a decoder that cannot be made (an unreadable calibration file) as a usage error. */
export function openLiveInput(rig: Rig, options: LiveInputOptions): LiveInput {
  try {
    return liveInput(rig, options);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Sensors of the rig that get no frames in a live session. */
export function scenarioOnlySensors(rig: Rig): string[] {
  return rig.sensors.filter((s) => s.source.type !== 'live').map((s) => s.id);
}

/**
 * One line on stderr that redraws in place when stderr is a terminal; silent otherwise. Other
 * lines printed through `log` clear it first so that they do not mix.
 */
export interface StatusLine {
  update(text: string): void;
  log(line: string): void;
  clear(): void;
}

export function createStatusLine(enabled: boolean): StatusLine {
  const tty = enabled && process.stderr.isTTY === true;
  let shown = false;
  const clear = (): void => {
    if (!shown) return;
    process.stderr.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(text) {
      if (!tty) return;
      const width = process.stderr.columns ?? 120;
      process.stderr.write(`\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 2) + '…' : text}`);
      shown = true;
    },
    log(line) {
      clear();
      process.stderr.write(line + '\n');
    },
    clear,
  };
}

/** "lidar_top 120 listening · gnss 31 connected" */
export function formatSensorStates(sensors: readonly LiveSensorStats[]): string {
  return sensors.map((s) => `${s.sensorId} ${s.frames} ${s.state}`).join(' · ');
}

export function describeStatus(sensorId: string, status: TransportStatus): string {
  switch (status.type) {
    case 'listening':
      return `${sensorId}: listening on ${status.address}:${status.port}`;
    case 'connected':
      return `${sensorId}: connected${status.source ? ` to ${status.source}` : ''}`;
    case 'disconnected':
      return `${sensorId}: disconnected: ${status.reason}`;
    case 'reconnecting':
      return `${sensorId}: reconnecting in ${status.delayMs} ms (attempt ${status.attempt})`;
    case 'error':
      return `${sensorId}: error: ${status.message}`;
  }
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM and exits the process if stopping takes longer than
 * SHUTDOWN_DEADLINE_MS. Returns the function that removes the handlers.
 */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => void, quiet: boolean): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    if (!quiet) process.stderr.write(`\n${signal}: stopping\n`);
    stop(signal);
    setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
