import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool, SPOOL_FILE_NAME } from './disk-spool.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'percept-spool-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (i: number): { topic: string; payload: Uint8Array; qos: 1 } => ({ topic: `percept/t/${i % 3}`, payload: Buffer.from(`payload ${i}`.repeat(i % 5)), qos: 1 });

describe('DiskSpool', () => {
  it('gives messages back in order and truncates the file once empty', () => {
    const spool = DiskSpool.open(tempDir(), 1 << 20);
    for (let i = 0; i < 100; i++) expect(spool.append(message(i))).toBe(true);
    expect(spool.count).toBe(100);
    for (let i = 0; i < 60; i++) expect(spool.shift()).toEqual({ ...message(i), payload: Buffer.from(message(i).payload) });
    spool.append(message(100));
    for (let i = 60; i <= 100; i++) expect(spool.shift()?.payload.toString()).toBe(Buffer.from(message(i).payload).toString());
    expect(spool.shift()).toBeUndefined();
    expect(statSync(spool.path).size).toBe(16);
    spool.close();
  });

  it('refuses records beyond maxBytes', () => {
    const spool = DiskSpool.open(tempDir(), 2048);
    const big = { topic: 'a', payload: new Uint8Array(500), qos: 1 as const };
    expect([1, 2, 3, 4, 5].map(() => spool.append(big))).toEqual([true, true, true, true, false]);
    expect(spool.count).toBe(4);
    spool.close();
  });

  it('resumes after a restart where the last run stopped, and cuts a torn tail', () => {
    const dir = tempDir();
    const first = DiskSpool.open(dir, 1 << 20);
    for (let i = 0; i < 10; i++) first.append(message(i));
    first.shift();
    first.shift();
    first.close();
    appendFileSync(join(dir, SPOOL_FILE_NAME), Buffer.from([200, 0, 0, 0, 1, 3])); // half a record
    const second = DiskSpool.open(dir, 1 << 20);
    expect(second.recovered).toBe(8);
    expect(second.discardedBytes).toBe(6);
    const topics: string[] = [];
    for (let m = second.shift(); m; m = second.shift()) topics.push(m.topic);
    expect(topics).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((i) => message(i).topic));
    second.close();
  });
});
