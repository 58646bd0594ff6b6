import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../engine/core/package-root.js';
import { readFileSync } from 'node:fs';
import { parseCapture } from '../adapters/capture/capture-reader.js';
import { udpDatagrams } from '../adapters/capture/udp.js';
import { createOusterDecoder } from '../adapters/lidar/ouster.js';
import { createVelodyneDecoder } from '../adapters/lidar/velodyne.js';
import type { FrameDecoder } from '../adapters/decoder.js';
import type { PointCloud } from '../engine/core/frames.js';
import { median, timeRuns, type Benchmark } from './benchmark.js';

// Resolved from the package root: this file also runs compiled, from dist/bench/.
const fixtures = pathToFileURL(join(packageRoot(), 'test', 'fixtures', 'lidar_pcap') + '/');

function payloads(file: string, port: number): Uint8Array[] {
  const bytes = new Uint8Array(readFileSync(new URL(file, fixtures)));
  return [...udpDatagrams(parseCapture(bytes).records)].filter((d) => d.dstPort === port).map((d) => d.payload);
}

/** Feeds the packets `rounds` times through one decoder; returns the points it emitted. */
function decodeRounds(decoder: FrameDecoder<PointCloud>, packets: Uint8Array[], rounds: number): number {
  let points = 0;
  let t = 0n;
  for (let r = 0; r < rounds; r++) {
    for (const p of packets) for (const c of decoder.push(p, (t += 553_000n))) points += c.count;
  }
  for (const c of decoder.flush()) points += c.count;
  return points;
}

async function throughput(make: () => FrameDecoder<PointCloud>, packets: Uint8Array[], rounds: number): Promise<{ mpts: number; mptsCpu: number; points: number }> {
  decodeRounds(make(), packets, Math.max(1, rounds >> 2)); // warm-up: let the JIT settle
  let points = 0;
  const cpuMs: number[] = [];
  const ms = await timeRuns(5, () => {
    const c0 = process.cpuUsage();
    points = decodeRounds(make(), packets, rounds);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  });
  return { mpts: points / (median(ms) / 1000) / 1e6, mptsCpu: points / (median(cpuMs) / 1000) / 1e6, points };
}

/** Point throughput of the LiDAR packet decoders on the sample captures, one core. */
export const lidarBench: Benchmark = {
  name: 'LiDAR packet decoding (Velodyne HDL-32E, Ouster OS-0-128)',
  async run() {
    const hdl32 = payloads('velodyne/velodyne_vlp32.pcap', 2368);
    const calibration = readFileSync(new URL('velodyne/32db.yaml', fixtures), 'utf8');
    const velodyne = await throughput(() => createVelodyneDecoder({ sensorId: 'lidar', model: 'HDL32E', calibration }), hdl32, 40);
    const ousterPackets = payloads('ouster/OS-0-128-U1_v2.3.0_1024x10.pcap', 7502);
    const metadata = readFileSync(new URL('ouster/OS-0-128-U1_v2.3.0_1024x10.json', fixtures), 'utf8');
    // One frame in the capture: rewrite each round's frame_id so that every round is a new frame.
    const rounds = 6;
    const framed: Uint8Array[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const p of ousterPackets) {
        const c = p.slice();
        new DataView(c.buffer).setUint16(2, (1491 + r) & 0xffff, true);
        framed.push(c);
      }
    }
    const ouster = await throughput(() => createOusterDecoder({ sensorId: 'os', metadata }), framed, 1);
    return [
      {
        key: 'decode.velodyne.mptsPerSec',
        value: velodyne.mpts,
        note: `M points/s, HDL-32E capture ×40 (${hdl32.length} packets, ${velodyne.points} points a run), median of 5`,
      },
      {
        key: 'decode.velodyne.mptsPerCpuSec',
        value: velodyne.mptsCpu,
        note: 'M points per second of process CPU time (steadier than wall time on a shared machine)',
      },
      {
        key: 'decode.ouster.mptsPerSec',
        value: ouster.mpts,
        note: `M points/s, OS-0-128 RNG15_RFL8_NIR8, ${rounds} frames of 64 packets (${ouster.points} points a run), median of 5`,
      },
      { key: 'decode.ouster.mptsPerCpuSec', value: ouster.mptsCpu, note: 'M points per second of process CPU time' },
    ];
  },
};
