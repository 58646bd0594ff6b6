import { writeFileSync } from 'node:fs';
import type { Benchmark, Figure } from './benchmark.js';
import { cameraAudioBench } from './camera-audio.bench.js';
import { e2eLatencyBench } from './e2e-latency.bench.js';
import { e2eReplayBench } from './e2e-replay.bench.js';
import { encodeBench } from './encode.bench.js';
import { encodeCenternetBench } from './encode-centernet.bench.js';
import { encodePostprocessBench } from './encode-postprocess.bench.js';
import { fuseBench } from './fuse.bench.js';
import { gnssBench } from './gnss.bench.js';
import { lidarBench } from './lidar.bench.js';
import { mcapReadBench } from './mcap-read.bench.js';
import { nativeFrameBench } from './native-frame.bench.js';
import { nativeProjectBench } from './native-project.bench.js';
import { nativeTransformBench } from './native-transform.bench.js';
import { publishMqttBench } from './publish-mqtt.bench.js';
import { publishWsBench } from './publish-ws.bench.js';
import { radarBench } from './radar.bench.js';
import { syncBench } from './sync.bench.js';
import { trackerBench } from './tracker.bench.js';

const BENCHMARKS: Benchmark[] = [
  mcapReadBench, e2eReplayBench, e2eLatencyBench, nativeTransformBench, nativeProjectBench, nativeFrameBench, syncBench, gnssBench, lidarBench, radarBench, cameraAudioBench,
  publishWsBench, publishMqttBench, encodeBench, encodePostprocessBench, encodeCenternetBench, trackerBench, fuseBench,
];

/** `--only sync,lidar` runs the benchmarks whose name contains one of the words. */
function parseOnly(argv: string[]): string[] | undefined {
  const i = argv.indexOf('--only');
  return i >= 0 && argv[i + 1] ? argv[i + 1].split(',') : undefined;
}

function parseOut(argv: string[]): string {
  const i = argv.indexOf('--out');
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  return 'bench-results.json';
}

async function main(): Promise<void> {
  const out = parseOut(process.argv.slice(2));
  const only = parseOnly(process.argv.slice(2));
  const figures: Figure[] = [];
  for (const bench of BENCHMARKS) {
    if (only && !only.some((word) => bench.name.toLowerCase().includes(word.toLowerCase()))) continue;
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
