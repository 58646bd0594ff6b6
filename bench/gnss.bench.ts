import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../engine/core/package-root.js';
import { readdirSync, readFileSync } from 'node:fs';
import { createNmeaDecoder } from '../adapters/gnss/nmea-decoder.js';
import { median, timeRuns, type Benchmark } from './benchmark.js';

const LOGS = pathToFileURL(join(packageRoot(), 'test', 'fixtures', 'gps_nmea') + '/');
/** Copies of the concatenated logs decoded per run: ~0.25 M sentences, long enough to time. */
const REPEAT = 80;
const CHUNK = 64 * 1024;

/** The 13 real gpsd receiver logs, concatenated, through the NMEA stream decoder on one core. */
export const gnssBench: Benchmark = {
  name: 'GNSS NMEA decode (13 real gpsd logs, concatenated)',
  async run() {
    const names = readdirSync(LOGS).filter((n) => n.endsWith('.log')).sort();
    const once = Buffer.concat(names.map((n) => readFileSync(new URL(n, LOGS))));
    const bytes = Buffer.concat(Array.from({ length: REPEAT }, () => once));
    const sentences = bytes.toString('latin1').split('\n').filter((l) => l.startsWith('$')).length;
    let fixes = 0;
    const decodeAll = (): void => {
      const d = createNmeaDecoder({ sensorId: 'gnss', assumeDate: '2020-01-01' });
      for (let i = 0; i < bytes.length; i += CHUNK) fixes = d.push(bytes.subarray(i, i + CHUNK), 0n).length;
      d.flush();
      fixes = d.stats.frames;
    };
    decodeAll(); // warm-up: JIT
    const ms = median(await timeRuns(5, decodeAll));
    return [
      { key: 'decode.nmea.sentencesPerSec', value: sentences / (ms / 1000), note: `sentences/s, median of 5 (${sentences} sentences, 64 KiB pushes)` },
      { key: 'decode.nmea.mbPerSec', value: bytes.length / 1e6 / (ms / 1000), note: 'MB/s of NMEA text' },
      { key: 'decode.nmea.fixesPerSec', value: fixes / (ms / 1000), note: 'GnssFix frames/s (one per epoch)' },
    ];
  },
};
