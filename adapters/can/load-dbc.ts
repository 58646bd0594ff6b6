import { readFileSync, statSync } from 'node:fs';
import { DBC_MAX_LENGTH, parseDbc, type DbcDatabase } from './dbc.js';

/**
 * Reads and parses a DBC file (configuration, read once at start-up: a missing or bad file throws
 * with the path). DBC files are usually Latin-1 (Vector's tools write cp1252); ASCII is common.
 */
export function loadDbcFile(path: string, maxBytes = DBC_MAX_LENGTH): DbcDatabase {
  const size = statSync(path).size;
  if (size > maxBytes) throw new RangeError(`${path}: DBC of ${size} bytes; at most ${maxBytes} are accepted`);
  return parseDbc(readFileSync(path).toString('latin1'), { source: path, maxLength: maxBytes });
}
