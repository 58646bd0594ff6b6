import { open } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { openScenario } from '../scenarios/scenario-reader.js';
import { ensureDefaultScenario } from '../scenarios/default-scenario.js';
import { median, timeRuns, type Benchmark } from './benchmark.js';

/** Reading every message of the default scenario: percept's reader beside @mcap/core's indexed reader alone. */
export const mcapReadBench: Benchmark = {
  name: 'MCAP read (default scenario, all messages)',
  async run() {
    const path = await ensureDefaultScenario();
    const mb = statSync(path).size / 1e6;
    const decompressHandlers = await loadDecompressHandlers();
    const ours = await timeRuns(3, async () => {
      const scenario = await openScenario(path);
      let n = 0;
      for await (const m of scenario.readMessages()) n += m.data.length > 0 ? 1 : 0;
      await scenario.close();
      return n;
    });
    const raw = await timeRuns(3, async () => {
      const handle = await open(path);
      const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
      let n = 0;
      for await (const m of reader.readMessages()) n += m.data.length > 0 ? 1 : 0;
      await handle.close();
      return n;
    });
    const oursMbps = mb / (median(ours) / 1000);
    const rawMbps = mb / (median(raw) / 1000);
    return [
      { key: 'mcap.read.mbPerSec', value: oursMbps, note: `MB/s of file, median of 3 (${mb.toFixed(0)} MB)` },
      { key: 'mcap.read.rawLibraryMbPerSec', value: rawMbps, note: 'MB/s, @mcap/core McapIndexedReader alone' },
      { key: 'mcap.read.oursVsRaw', value: oursMbps / rawMbps, note: '× (ours ÷ raw library)' },
    ];
  },
};
