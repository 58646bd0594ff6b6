import { readFile, stat } from 'node:fs/promises';
import { ImportError } from './import-error.js';

export const MIB = 1024 * 1024;

/** Reads a whole input file after checking that it exists, is a file, and is at most maxBytes long. */
export async function readInputFile(path: string, maxBytes: number, what: string): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ImportError(path, `${what} is not a regular file`);
    size = info.size;
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportError(path, code === 'ENOENT' ? `${what} not found` : `cannot read ${what}: ${code ?? (err as Error).message}`);
  }
  if (size > maxBytes) throw new ImportError(path, `${what} is ${size} bytes; at most ${maxBytes} are accepted`);
  const bytes = await readFile(path);
  // The file may have grown between stat and read.
  if (bytes.length > maxBytes) throw new ImportError(path, `${what} is ${bytes.length} bytes; at most ${maxBytes} are accepted`);
  return bytes;
}

export async function readInputText(path: string, maxBytes: number, what: string): Promise<string> {
  return (await readInputFile(path, maxBytes, what)).toString('utf8');
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function directoryExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
