/**
 * A converted model kept on disk beside a JSON sidecar that records what it was built from: the
 * converter version and the size and modification time of model.json and each shard. When any of
 * them changes the model is converted again. Both files are written under temporary names and
 * renamed, so a reader never sees a half-written model, and two processes converting at once
 * both end with a whole one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { convertTfjsGraphModel, tfjsModelFiles, type ConvertOptions } from './convert.js';
import { CONVERTER_VERSION } from './version.js';

export interface CachedConversionOptions extends ConvertOptions {
  /** Recorded in the sidecar (e.g. the npm package and version the model came from). */
  origin?: string;
}

interface Sidecar {
  converter: number;
  origin: string;
  outputs: readonly string[] | null;
  sources: { file: string; bytes: number; mtimeMs: number }[];
  onnxBytes: number;
}

/** The sidecar's path for a converted model. */
export function sidecarPath(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/, '') + '.source.json';
}

/**
 * The ONNX file at `onnxPath`, converted from the TFJS model at `modelJsonPath` unless the copy
 * there was built from the same files by the same converter version. Returns `onnxPath`.
 */
export function ensureConvertedModel(modelJsonPath: string, onnxPath: string, options: CachedConversionOptions = {}): string {
  const wanted = {
    converter: CONVERTER_VERSION,
    origin: options.origin ?? '',
    outputs: options.outputs ?? null,
    sources: tfjsModelFiles(modelJsonPath).map((file) => {
      const stat = statSync(file);
      return { file: basename(file), bytes: stat.size, mtimeMs: stat.mtimeMs };
    }),
  };
  if (isCurrent(onnxPath, wanted)) return onnxPath;
  const bytes = convertTfjsGraphModel(modelJsonPath, { outputs: options.outputs });
  mkdirSync(dirname(onnxPath), { recursive: true });
  writeAtomically(onnxPath, bytes);
  writeAtomically(sidecarPath(onnxPath), JSON.stringify({ ...wanted, onnxBytes: bytes.byteLength } satisfies Sidecar, null, 2) + '\n');
  return onnxPath;
}

function isCurrent(onnxPath: string, wanted: Omit<Sidecar, 'onnxBytes'>): boolean {
  const meta = sidecarPath(onnxPath);
  if (!existsSync(onnxPath) || !existsSync(meta)) return false;
  let recorded: Sidecar;
  try {
    recorded = JSON.parse(readFileSync(meta, 'utf8')) as Sidecar;
  } catch {
    return false;
  }
  const { onnxBytes, ...built } = recorded;
  return onnxBytes === statSync(onnxPath).size && JSON.stringify(built) === JSON.stringify(wanted);
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
  try {
    writeFileSync(partial, data);
    renameSync(partial, path);
  } catch (err) {
    if (existsSync(partial)) unlinkSync(partial);
    throw err;
  }
}
