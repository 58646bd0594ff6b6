import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openFile } from './file.js';

const speech = fileURLToPath(new URL('../../test/fixtures/audio/speech.wav', import.meta.url));

describe('file transport', () => {
  it('reads a file in chunks of the given size, byte for byte, then completes', async () => {
    const transport = openFile({ type: 'file', path: speech, chunkBytes: 4096 });
    const chunks = await firstValueFrom(transport.data$.pipe(toArray()));
    const expected = readFileSync(speech);
    expect(chunks.slice(0, -1).every((c) => c.bytes.byteLength === 4096)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(expected)).toBe(true);
    expect(transport.stats.bytes).toBe(expected.byteLength);
  });

  it('follows a growing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percept-file-'));
    try {
      const path = join(dir, 'log.bin');
      writeFileSync(path, 'one,');
      const transport = openFile({ type: 'file', path, follow: true, pollMs: 5 });
      const got = firstValueFrom(transport.data$.pipe(take(2), toArray()));
      setTimeout(() => appendFileSync(path, 'two'), 30);
      const chunks = await got;
      expect(chunks.map((c) => Buffer.from(c.bytes).toString())).toEqual(['one,', 'two']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a clear message when the file does not exist', async () => {
    const transport = openFile({ type: 'file', path: '/nonexistent/percept.bin' });
    await expect(firstValueFrom(transport.data$)).rejects.toThrow('file not found: /nonexistent/percept.bin');
  });
});
