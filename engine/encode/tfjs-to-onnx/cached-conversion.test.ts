import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureConvertedModel, sidecarPath } from './cached-conversion.js';
import { op, placeholder, writeTinyModel } from './testing/tiny-model.js';
import { CONVERTER_VERSION } from './version.js';

const dir = mkdtempSync(join(tmpdir(), 'percept-tfjs-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a cached conversion', () => {
  const source = writeTinyModel(join(dir, 'model'), [placeholder('x', [2]), op('y', 'AddV2', ['x', 'one'])], [{ name: 'one', dtype: 'float32', shape: [], values: [1] }]);
  const target = join(dir, 'cache', 'models', 'tiny.onnx');

  it('is converted on first use, with a sidecar naming what it was built from (file names only)', () => {
    expect(ensureConvertedModel(source, target, { origin: 'test 1.0' })).toBe(target);
    const meta = JSON.parse(readFileSync(sidecarPath(target), 'utf8')) as { converter: number; origin: string; sources: { file: string }[]; onnxBytes: number };
    expect(meta.converter).toBe(CONVERTER_VERSION);
    expect(meta.origin).toBe('test 1.0');
    expect(meta.sources.map((s) => s.file)).toEqual(['model.json', 'weights.bin']);
    expect(meta.onnxBytes).toBe(statSync(target).size);
    expect(readdirSync(join(dir, 'cache', 'models')).sort()).toEqual(['tiny.onnx', 'tiny.source.json']);
  });

  it('is reused while its sources and the converter are unchanged', () => {
    // A stamp from long ago survives only if the file is not written again.
    utimesSync(target, new Date(1_000_000), new Date(1_000_000));
    ensureConvertedModel(source, target, { origin: 'test 1.0' });
    expect(statSync(target).mtimeMs).toBe(1_000_000);
  });

  it('is rebuilt when a source file changes, the converter version or origin differs, or the sidecar is damaged', () => {
    const stamp = (): number => {
      utimesSync(target, new Date(0), new Date(0));
      return 0;
    };
    const rebuilt = (): boolean => statSync(target).mtimeMs !== 0;

    stamp();
    const shard = join(dir, 'model', 'weights.bin');
    utimesSync(shard, new Date(), new Date(Date.now() + 5_000));
    ensureConvertedModel(source, target, { origin: 'test 1.0' });
    expect(rebuilt()).toBe(true);

    stamp();
    const meta = JSON.parse(readFileSync(sidecarPath(target), 'utf8')) as { converter: number };
    writeFileSync(sidecarPath(target), JSON.stringify({ ...meta, converter: CONVERTER_VERSION - 1 }));
    ensureConvertedModel(source, target, { origin: 'test 1.0' });
    expect(rebuilt()).toBe(true);

    stamp();
    ensureConvertedModel(source, target, { origin: 'test 2.0' });
    expect(rebuilt()).toBe(true);

    stamp();
    writeFileSync(sidecarPath(target), '{ not json');
    ensureConvertedModel(source, target, { origin: 'test 2.0' });
    expect(rebuilt()).toBe(true);

    stamp();
    writeFileSync(target, 'truncated');
    utimesSync(target, new Date(0), new Date(0));
    ensureConvertedModel(source, target, { origin: 'test 2.0' });
    expect(rebuilt()).toBe(true);
    expect(readdirSync(join(dir, 'cache', 'models')).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('leaves no file behind when the conversion fails', () => {
    const broken = writeTinyModel(join(dir, 'broken'), [placeholder('x', [2]), op('y', 'Einsum', ['x', 'x'])]);
    const out = join(dir, 'cache', 'broken.onnx');
    expect(() => ensureConvertedModel(broken, out)).toThrow(/unsupported TFJS op "Einsum"/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(sidecarPath(out))).toBe(false);
  });
});
