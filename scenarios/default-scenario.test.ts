import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../engine/core/package-root.js';
import { defaultScenarioPath, ensureDefaultScenario } from './default-scenario.js';
import { GENERATOR_VERSION } from './generator/version.js';

const saved = process.env.PERCEPT_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.PERCEPT_CACHE_DIR;
  else process.env.PERCEPT_CACHE_DIR = saved;
});

describe('default scenario cache', () => {
  it('lives under .cache/scenarios of the package, named by preset, duration, seed and generator version', () => {
    delete process.env.PERCEPT_CACHE_DIR;
    const path = defaultScenarioPath();
    expect(dirname(path)).toBe(join(packageRoot(), '.cache', 'scenarios'));
    expect(basename(path)).toBe(`nuscenes-like-20s-seed1-v${GENERATOR_VERSION}.mcap`);
  });

  it('honours PERCEPT_CACHE_DIR and returns a cached file without generating', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'percept-cache-'));
    try {
      process.env.PERCEPT_CACHE_DIR = dir;
      const path = defaultScenarioPath();
      expect(dirname(path)).toBe(dir);
      writeFileSync(path, 'cached');
      const began = performance.now();
      expect(await ensureDefaultScenario()).toBe(path);
      expect(performance.now() - began).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
