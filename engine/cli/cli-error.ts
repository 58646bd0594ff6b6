/** An error the user can fix (bad argument, missing file, invalid rig): one line, exit code 2, no stack. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
