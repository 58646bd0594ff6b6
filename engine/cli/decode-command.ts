import { existsSync } from 'node:fs';
import { DECODE_FILE_FORMATS, decodeFile, type DecodeFileFormat } from '../../adapters/decode-file.js';
import { frameToJson } from '../../adapters/frame-json.js';
import { UsageError } from './cli-error.js';

export interface DecodeCommandOptions {
  calibration?: string;
  metadata?: string;
  dbc?: string;
  model?: string;
  port?: string;
  full?: boolean;
}

/** Errors print one line each up to this many; the rest are only counted. */
const MAX_ERROR_LINES = 20;

function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

export async function runDecodeCommand(format: string, file: string, opts: DecodeCommandOptions): Promise<void> {
  if (!DECODE_FILE_FORMATS.includes(format as DecodeFileFormat)) {
    throw new UsageError(`unknown format "${format}" (known: ${DECODE_FILE_FORMATS.join(', ')})`);
  }
  for (const [flag, path] of [['file', file], ['calibration', opts.calibration], ['metadata', opts.metadata], ['dbc', opts.dbc]] as const) {
    if (path !== undefined && !existsSync(path)) throw new UsageError(`${flag === 'file' ? 'input' : `--${flag}`} not found: ${path}`);
  }
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be a UDP port, got "${opts.port}"`);
  let printed = 0;
  const { items, stats } = await decodeFile(format as DecodeFileFormat, file, {
    calibration: opts.calibration, metadata: opts.metadata, dbc: opts.dbc, model: opts.model, port,
    onIssue: (issue) => {
      if (printed++ < MAX_ERROR_LINES) process.stderr.write(`error: ${issue.code}: ${issue.message}${issue.offset !== undefined ? ` (byte ${issue.offset})` : ''}\n`);
    },
  }).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  let frames = 0;
  for await (const item of items) {
    frames++;
    const line = 'modality' in item ? frameToJson(item, opts.full) : { ...item, stamp: item.stamp.toString() };
    // Respect back-pressure so a large capture piped to `head` or a slow consumer does not fill memory.
    if (!process.stdout.write(jsonLine(line) + '\n')) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  const errors = Object.entries(stats.errors);
  const total = errors.reduce((n, [, c]) => n + c, 0);
  process.stderr.write(`${frames} frames, ${total} errors${total ? ` (${errors.map(([code, n]) => `${code} ${n}`).join(', ')})` : ''}\n`);
}
