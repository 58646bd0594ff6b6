import { writeFileSync } from 'node:fs';
import type { Benchmark, Figure } from './benchmark.js';
import { e2eReplayBench } from './e2e-replay.bench.js';
import { mcapReadBench } from './mcap-read.bench.js';
import { nativeTransformBench } from './native-transform.bench.js';

const BENCHMARKS: Benchmark[] = [mcapReadBench, e2eReplayBench, nativeTransformBench];

function parseOut(argv: string[]): string {
  const i = argv.indexOf('--out');
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  return 'bench-results.json';
}

async function main(): Promise<void> {
  const out = parseOut(process.argv.slice(2));
  const figures: Figure[] = [];
  for (const bench of BENCHMARKS) {
    process.stderr.write(`running ${bench.name} …\n`);
    figures.push(...(await bench.run()));
  }
  const width = Math.max(...figures.map((f) => f.key.length));
  process.stdout.write(`${'figure'.padEnd(width)}  ${'value'.padStart(12)}  what\n`);
  for (const f of figures) process.stdout.write(`${f.key.padEnd(width)}  ${f.value.toFixed(3).padStart(12)}  ${f.note}\n`);
  writeFileSync(out, JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, f.value])), null, 2) + '\n');
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
