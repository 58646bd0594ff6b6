import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SensorFrame } from '../engine/core/frames.js';
import { NS_PER_MS, type Nanos } from '../engine/core/time.js';
import type { DecodeIssue, DecoderStats } from './decoder.js';
import { decoderFormat } from './formats.js';
import { createCaptureReader } from './capture/capture-reader.js';
import { createUdpExtractCounts, udpDatagrams } from './capture/udp.js';
import { readKittiOxtsFolder } from './gnss/kitti-oxts-folder.js';
import { parseVelodyneCalibration } from './lidar/calibration.js';
import { CandumpReader } from './can/candump.js';
import { decodeCanFrame } from './can/signal.js';
import { loadDbcFile } from './can/load-dbc.js';

/** How `percept decode` reads each file format: which decoder, and how bytes reach it. */
const FILE_FORMATS = {
  nmea: { decoder: 'nmea', input: 'stream' },
  'gpsd-json': { decoder: 'gpsd-json', input: 'stream' },
  'kitti-oxts': { decoder: 'kitti-oxts', input: 'oxts-folder' },
  'velodyne-pcap': { decoder: 'velodyne', input: 'pcap', port: 2368 },
  'ouster-pcap': { decoder: 'ouster', input: 'pcap', port: 7502 },
  'kitti-bin': { decoder: 'kitti-bin', input: 'file' },
  'nuscenes-pcd-bin': { decoder: 'nuscenes-pcd-bin', input: 'file' },
  pcd: { decoder: 'pcd', input: 'file' },
  candump: { decoder: undefined, input: 'candump' },
  'ars408-candump': { decoder: 'ars408', input: 'stream' },
  'ti-mmwave': { decoder: 'ti-mmwave', input: 'stream' },
  'nuscenes-radar-pcd': { decoder: 'nuscenes-radar-pcd', input: 'file' },
  jpeg: { decoder: 'jpeg', input: 'file' },
  png: { decoder: 'png', input: 'file' },
  wav: { decoder: 'wav', input: 'file' },
} as const;

export type DecodeFileFormat = keyof typeof FILE_FORMATS;
export const DECODE_FILE_FORMATS = Object.keys(FILE_FORMATS) as DecodeFileFormat[];

export interface DecodeFileOptions {
  /** Velodyne calibration YAML (ROS driver format). */
  calibration?: string;
  /** Ouster sensor metadata JSON. */
  metadata?: string;
  /** DBC for candump. */
  dbc?: string;
  /** Velodyne model; inferred from the calibration's laser count when absent. */
  model?: string;
  /** UDP port to take from a capture (default: the sensor's standard port). */
  port?: number;
  sensorId?: string;
  onIssue?: (issue: DecodeIssue) => void;
}

/** A CAN frame decoded through a DBC, for `percept decode candump --dbc F`. */
export interface DecodedCanLine {
  type: 'can';
  stamp: Nanos;
  channel: string;
  id: number;
  message: string;
  signals: Record<string, number>;
}

export interface DecodeFileResult {
  items: AsyncGenerator<SensorFrame | DecodedCanLine>;
  /** Filled in as items are read; final once the generator is done. */
  stats: DecoderStats;
}

const CHUNK_BYTES = 64 * 1024;

async function* chunks(path: string): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      yield buffer.slice(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function inferVelodyneModel(calibrationText: string | undefined): string {
  if (!calibrationText) return 'VLP16';
  const lasers = parseVelodyneCalibration(calibrationText).lasers.length;
  return lasers === 16 ? 'VLP16' : lasers === 32 ? 'HDL32E' : 'HDL64E';
}

/**
 * Decodes a file of a given format into frames. Bad bytes are counted (and passed to onIssue);
 * only unusable options (a missing calibration file, an unknown format) throw.
 */
export async function decodeFile(format: DecodeFileFormat, path: string, options: DecodeFileOptions = {}): Promise<DecodeFileResult> {
  const spec = FILE_FORMATS[format];
  if (!spec) throw new Error(`unknown format "${format}" (known: ${DECODE_FILE_FORMATS.join(', ')})`);
  const sensorId = options.sensorId ?? format.replace(/-.*$/, '');
  // Files carry no arrival time: their modification time stands in, so dates resolve near it.
  const mtime = BigInt(Math.floor((await stat(path)).mtimeMs)) * NS_PER_MS;

  if (spec.input === 'oxts-folder') {
    const folder = await readKittiOxtsFolder(path, { sensorId, onIssue: options.onIssue });
    return { items: (async function* () { yield* folder.fixes; })(), stats: folder.stats };
  }
  if (spec.input === 'candump') {
    if (!options.dbc) throw new Error('candump needs --dbc FILE');
    return decodeCandump(path, loadDbcFile(options.dbc), options);
  }

  const decoderOptions: Record<string, unknown> = {};
  if (spec.decoder === 'velodyne') {
    const calibration = options.calibration ? await readFile(options.calibration, 'utf8') : undefined;
    decoderOptions.model = options.model ?? inferVelodyneModel(calibration);
    if (options.calibration) decoderOptions.calibrationFile = resolve(options.calibration);
  }
  if (spec.decoder === 'ouster') {
    if (!options.metadata) throw new Error('ouster-pcap needs --metadata FILE (the sensor metadata JSON)');
    decoderOptions.metadataFile = resolve(options.metadata);
  }
  if (spec.decoder === 'jpeg' || spec.decoder === 'png') decoderOptions.framing = 'file';
  const fmt = decoderFormat(spec.decoder)!;
  const ctx = { sensorId, onIssue: options.onIssue };
  const decoder = fmt.create(ctx, fmt.parse(decoderOptions, ctx));

  async function* items(): AsyncGenerator<SensorFrame> {
    if (spec.input === 'file') {
      yield* decoder.push(await readFile(path), mtime);
    } else if (spec.input === 'stream') {
      for await (const chunk of chunks(path)) yield* decoder.push(chunk, mtime);
    } else {
      const port = options.port ?? ('port' in spec ? spec.port : 0);
      const reader = createCaptureReader({ onIssue: options.onIssue });
      const counts = createUdpExtractCounts();
      for await (const chunk of chunks(path)) {
        for (const datagram of udpDatagrams(reader.push(chunk), counts)) {
          if (datagram.dstPort === port) yield* decoder.push(datagram.payload, datagram.tsNs);
        }
      }
      reader.end();
    }
    yield* decoder.flush();
  }
  return { items: items(), stats: decoder.stats };
}

function decodeCandump(path: string, db: ReturnType<typeof loadDbcFile>, options: DecodeFileOptions): DecodeFileResult {
  const reader = new CandumpReader({ onIssue: options.onIssue });
  const stats = reader.stats;
  async function* items(): AsyncGenerator<DecodedCanLine> {
    const emit = function* (frames: ReturnType<CandumpReader['push']>): Generator<DecodedCanLine> {
      for (const frame of frames) {
        const decoded = decodeCanFrame(db, frame.id, frame.data, frame.extended);
        if (!decoded) {
          stats.issue('unknown-id', `no message with id 0x${frame.id.toString(16)} in the DBC`);
          continue;
        }
        stats.frames++;
        yield { type: 'can', stamp: frame.time, channel: frame.channel, id: frame.id, message: decoded.message.name, signals: decoded.signals };
      }
    };
    for await (const chunk of chunks(path)) yield* emit(reader.push(chunk));
    yield* emit(reader.flush());
  }
  return { items: items(), stats };
}
