import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateScenario } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-gen-det-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('generateScenario determinism', () => {
  it('writes byte-identical files for the same seed, and a different file for another seed', async () => {
    const run = (seed: number, name: string) => generateScenario({ preset: 'nuscenes-like', durationS: 1, seed, out: join(dir, name) });
    const [a, b] = [await run(5, 'a.mcap'), await run(5, 'b.mcap')];
    expect(a.frames).toEqual(b.frames);
    expect(sha256(a.path)).toBe(sha256(b.path));
    const c = await run(6, 'c.mcap');
    expect(sha256(c.path)).not.toBe(sha256(a.path));
  });

  it('refuses bad options', async () => {
    const out = join(dir, 'x.mcap');
    await expect(generateScenario({ preset: 'nuscenes-like', durationS: 0, seed: 1, out })).rejects.toThrow(/durationS/);
    await expect(generateScenario({ preset: 'nuscenes-like', durationS: 1, seed: 1.5, out })).rejects.toThrow(/seed/);
    await expect(generateScenario({ preset: 'kitti-like' as 'nuscenes-like', durationS: 1, seed: 1, out })).rejects.toThrow(/unknown preset/);
  });
});
