import { existsSync } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GnssFix } from '../../engine/core/frames.js';
import type { DecoderStats, OnDecodeIssue } from '../decoder.js';
import { createKittiOxtsDecoder, parseKittiTimestamp } from './kitti-oxts-decoder.js';

/** timestamps.txt of a 100-second drive at 10 Hz is 30 KB; far larger is not a KITTI folder. */
const MAX_TIMESTAMPS_FILE = 16 << 20;
/** Bytes read of one record file: past the decoder's limit, so that an oversized one is counted, not read whole. */
const MAX_RECORD_READ = 4097;
const RECORD_NAME = /^\d{10}\.txt$/;

export interface KittiOxtsFolderOptions {
  sensorId?: string;
  frameId?: string;
  onIssue?: OnDecodeIssue;
}

export interface KittiOxtsFolder {
  fixes: GnssFix[];
  stats: DecoderStats;
}

async function readHead(path: string, limit: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * A KITTI raw OXTS folder (the drive folder holding oxts/, or oxts/ itself) → its GnssFix frames,
 * stamped from oxts/timestamps.txt (line i for record i), in record order. Recorded data has no
 * host receive time, so receivedAt = stamp. Bad records and timestamp lines are counted in `stats`
 * ('bad-record', 'no-stamp'); a folder without data/ and timestamps.txt is not a KITTI folder and
 * throws.
 */
export async function readKittiOxtsFolder(dir: string, options: KittiOxtsFolderOptions = {}): Promise<KittiOxtsFolder> {
  const oxts = existsSync(join(dir, 'oxts', 'data')) ? join(dir, 'oxts') : dir;
  const dataDir = join(oxts, 'data');
  const stampsPath = join(oxts, 'timestamps.txt');
  if (!existsSync(dataDir) || !existsSync(stampsPath)) throw new Error(`${dir} holds no KITTI OXTS data/ and timestamps.txt`);
  if ((await stat(stampsPath)).size > MAX_TIMESTAMPS_FILE) throw new Error(`${stampsPath} is larger than ${MAX_TIMESTAMPS_FILE} bytes`);
  const stamps = (await readFile(stampsPath, 'latin1')).split('\n').filter((l) => l.trim() !== '').map(parseKittiTimestamp);
  const decoder = createKittiOxtsDecoder({ sensorId: options.sensorId ?? 'oxts', frameId: options.frameId, onIssue: options.onIssue, stamps });
  const names = (await readdir(dataDir)).filter((n) => RECORD_NAME.test(n)).sort();
  const fixes: GnssFix[] = [];
  for (const name of names) {
    for (const fix of decoder.push(await readHead(join(dataDir, name), MAX_RECORD_READ), 0n)) fixes.push({ ...fix, receivedAt: fix.stamp });
  }
  return { fixes, stats: decoder.stats };
}
