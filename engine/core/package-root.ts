import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds percept's package.json. Sources run from the repository (vitest, tsx)
 * and from dist/ (compiled), so the depth varies: walk up until package.json names percept.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto', 'percept.proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('percept package root not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
