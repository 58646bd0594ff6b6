import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../engine/core/package-root.js';
import { secondsToNanos } from '../engine/core/time.js';
import { decodeCanFrame } from '../adapters/can/signal.js';
import { CanRadarAssembler } from '../adapters/radar/can-radar.js';
import { TOYOTA_RADAR_CONFIG, loadToyotaAdasDbc } from '../adapters/radar/toyota-radar.js';
import { npyBytesAt, npyFloat64, npyInt64AsNumbers, parseNpy } from '../scenarios/import/npy.js';
import { median, timeRuns, type Benchmark } from './benchmark.js';

/** CAN frames of the real comma2k19 radar bus (19,200 TRACK_A frames) through the DBC decoder. */
export const radarBench: Benchmark = {
  name: 'CAN radar decode (comma2k19 Toyota radar frames through toyota_adas.dbc)',
  async run() {
    const dir = join(packageRoot(), 'test', 'fixtures', 'comma2k19', 'processed_log', 'CAN', 'raw_can');
    const load = (name: string) => parseNpy(readFileSync(join(dir, name)), name);
    const t = npyFloat64(load('t'), 't');
    const address = npyInt64AsNumbers(load('address'), 'address');
    const data = load('data');
    const payloads = Array.from({ length: t.length }, (_, i) => npyBytesAt(data, i));
    const times = Array.from(t, (s) => secondsToNanos(s));
    const db = loadToyotaAdasDbc();
    const n = payloads.length;
    const reps = 10;

    const decode = await timeRuns(5, () => {
      let signals = 0;
      for (let r = 0; r < reps; r++) for (let i = 0; i < n; i++) signals += decodeCanFrame(db, address[i], payloads[i])!.missing.length;
      return signals;
    });
    const assemble = await timeRuns(5, () => {
      let scans = 0;
      for (let r = 0; r < reps; r++) {
        const a = new CanRadarAssembler(db, TOYOTA_RADAR_CONFIG);
        for (let i = 0; i < n; i++) scans += a.pushFrame({ time: times[i], id: address[i], extended: false, data: payloads[i] }).length;
      }
      return scans;
    });
    const frames = n * reps;
    return [
      { key: 'decode.can.framesPerSec', value: frames / (median(decode) / 1000), note: `frames/s, decodeCanFrame (7 signals each), median of 5 × ${frames} frames` },
      { key: 'decode.canRadar.framesPerSec', value: frames / (median(assemble) / 1000), note: 'frames/s, DBC decode + Toyota scan assembly, median of 5' },
    ];
  },
};
