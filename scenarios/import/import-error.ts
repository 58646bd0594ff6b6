/** Input that an importer cannot turn into a scenario; the message names the file (and line) at fault. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${problem}`);
    this.name = 'ImportError';
  }
}

/** Receives one line per recoverable problem (a skipped label, an unknown category). */
export type ImportWarningHandler = (message: string) => void;
