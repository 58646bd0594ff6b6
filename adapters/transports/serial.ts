import { existsSync } from 'node:fs';
import { Subject } from 'rxjs';
import { z } from 'zod';
import { createClock } from '../../engine/core/time.js';
import { backoffSchema, DEFAULT_BACKOFF } from './backoff.js';
import { reconnectingSource } from './reconnecting-source.js';
import type { TransportDeps } from './tcp-client.js';
import { createTransportStats, describeError, type Transport, type TransportStatus } from './transport.js';

export const serialTransportSchema = z
  .object({
    type: z.literal('serial'),
    path: z.string().min(1),
    baudRate: z.number().int().positive().max(16_000_000),
    dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    rtscts: z.boolean().default(false),
    /** Reopen after the device goes away (a USB adapter unplugged); false ends `data$`. */
    reconnect: z.union([z.literal(false), backoffSchema]).default(() => ({ ...DEFAULT_BACKOFF })),
  })
  .strict();

export type SerialTransportOptions = z.input<typeof serialTransportSchema>;

/**
 * A serial port through the `serialport` package (loaded on first open, so that its native binding
 * is needed only by those who use it). A path that does not exist at the first open is a fatal
 * configuration error; once the port has been open, losing it is a disconnect and it is reopened
 * with backoff. Bounded by pausing the source: bytes are handed on as read; the UART's own buffer
 * overflows on the device side when the host stalls.
 */
export function openSerial(options: SerialTransportOptions, deps: TransportDeps = {}): Transport {
  const config = serialTransportSchema.parse(options);
  const clock = deps.clock ?? createClock();
  const status = new Subject<TransportStatus>();
  const stats = createTransportStats();
  let everOpened = false;
  const data$ = reconnectingSource(
    (h) => {
      let closed = false;
      let port: import('serialport').SerialPort | undefined;
      if (!existsSync(config.path)) {
        const message = `serial port ${config.path} does not exist${everOpened ? '' : ' (is the device plugged in and the path right?)'}`;
        setImmediate(() => h.failed(message, !everOpened));
        return () => undefined;
      }
      import('serialport')
        .then(({ SerialPort }) => {
          if (closed) return;
          const opened = new SerialPort({
            path: config.path,
            baudRate: config.baudRate,
            dataBits: config.dataBits,
            stopBits: config.stopBits,
            parity: config.parity,
            rtscts: config.rtscts,
            autoOpen: false,
          });
          port = opened;
          opened.on('data', (bytes: Buffer) => h.chunk(bytes, config.path));
          opened.on('error', (err) => h.failed(`serial port ${config.path}: ${describeError(err)}`));
          opened.on('close', () => h.ended(`serial port ${config.path} closed`));
          opened.open((err) => {
            if (err) {
              h.failed(`cannot open serial port ${config.path}: ${describeError(err)}`, !everOpened);
              return;
            }
            everOpened = true;
            h.connected(config.path);
          });
        })
        .catch((err: unknown) => h.failed(`the serialport package could not be loaded: ${describeError(err)}`, true));
      return () => {
        closed = true;
        if (port?.isOpen) port.close(() => undefined);
      };
    },
    { reconnect: config.reconnect, random: deps.random ?? Math.random, clock, status, stats },
  );
  return { data$, status$: status.asObservable(), stats };
}
