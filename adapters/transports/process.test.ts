import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { missingProgramMessage, openProcess } from './process.js';
import type { TransportStatus } from './transport.js';

const node = process.execPath;

describe('process transport', () => {
  it('streams a child’s stdout as bytes, counts its stderr lines, and reports the exit as a disconnect', async () => {
    const lines: string[] = [];
    const transport = openProcess(
      { type: 'process', command: node, args: ['-e', 'process.stderr.write("starting\\nwarn: x\\n"); process.stdout.write(Buffer.from([1,2,3,255])); process.exitCode = 3'] },
      { onStderrLine: (l) => lines.push(l) },
    );
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const chunks = await firstValueFrom(transport.data$.pipe(toArray()));
    expect([...Buffer.concat(chunks.map((c) => c.bytes))]).toEqual([1, 2, 3, 255]);
    expect(chunks[0].source).toBe(node.split('/').pop());
    expect(lines).toEqual(['starting', 'warn: x']);
    expect(transport.stats.stderrLines).toBe(2);
    expect(status.map((s) => s.type)).toEqual(['connected', 'disconnected']);
    const last = status.at(-1);
    expect(last?.type === 'disconnected' && last.reason).toMatch(/exited with code 3: warn: x$/);
  });

  it('restarts the program with backoff after it exits', async () => {
    const transport = openProcess({ type: 'process', command: node, args: ['-e', 'process.stdout.write("run")'], restart: { initialDelayMs: 10, jitter: 0 } });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    const chunks = await firstValueFrom(transport.data$.pipe(take(3), toArray()));
    expect(chunks.map((c) => Buffer.from(c.bytes).toString())).toEqual(['run', 'run', 'run']);
    expect(status.filter((s) => s.type === 'reconnecting').length).toBeGreaterThanOrEqual(2);
  });

  it('names a missing program and how to install it, as an error status and a TransportError, not a crash', async () => {
    const transport = openProcess({ type: 'process', command: 'ffmpeg-percept-test-missing', restart: { initialDelayMs: 10 } });
    const status: TransportStatus[] = [];
    transport.status$.subscribe((s) => status.push(s));
    await expect(firstValueFrom(transport.data$)).rejects.toThrow('ffmpeg-percept-test-missing not found on PATH: install it or give its full path');
    expect(status).toHaveLength(1);
    expect(status[0].type).toBe('error');
    expect(missingProgramMessage('ffmpeg')).toBe('ffmpeg not found on PATH: install it (Debian: apt-get install ffmpeg)');
    expect(missingProgramMessage('/opt/bin/arecord')).toBe('arecord not found at /opt/bin/arecord: install it (Debian: apt-get install alsa-utils)');
  });

  it('kills the child when the subscription ends', async () => {
    const transport = openProcess({ type: 'process', command: node, args: ['-e', 'process.stdout.write(String(process.pid)); setInterval(() => {}, 1000)'] });
    const first = await firstValueFrom(transport.data$);
    const pid = Number(Buffer.from(first.bytes).toString());
    expect(pid).toBeGreaterThan(0);
    let alive = true;
    for (let i = 0; i < 200 && alive; i++) {
      await new Promise((r) => setTimeout(r, 10));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});
