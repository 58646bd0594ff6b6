import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../engine/core/package-root.js';
import { readFileSync } from 'node:fs';
import { parseCapture } from '../adapters/capture/capture-reader.js';
import { udpDatagrams } from '../adapters/capture/udp.js';
import { createOusterDecoder } from '../adapters/lidar/ouster.js';
import { parseVelodyneCalibration } from '../adapters/lidar/calibration.js';
import { createVelodyneDecoder } from '../adapters/lidar/velodyne.js';
import { velodyneKernelAvailability } from '../native/velodyne.js';
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

interface Throughput {
  mpts: number;
  mptsCpu: number;
  points: number;
}

/**
 * Decoders from each of `makes` timed over the same packets, their runs interleaved (a, b, a, b, …)
 * so that on a shared machine a busy spell or the other's garbage falls on both alike.
 */
async function throughputs(makes: (() => FrameDecoder<PointCloud>)[], packets: Uint8Array[], rounds: number): Promise<Throughput[]> {
  for (const make of makes) decodeRounds(make(), packets, Math.max(1, rounds >> 2)); // warm-up: let the JIT settle
  const points = makes.map(() => 0);
  const ms = makes.map((): number[] => []);
  const cpuMs = makes.map((): number[] => []);
  for (let run = 0; run < 5; run++) {
    for (let i = 0; i < makes.length; i++) {
      const [wall] = await timeRuns(1, () => {
        const c0 = process.cpuUsage();
        points[i] = decodeRounds(makes[i](), packets, rounds);
        const c = process.cpuUsage(c0);
        cpuMs[i].push((c.user + c.system) / 1000);
      });
      ms[i].push(wall);
    }
  }
  return makes.map((_, i) => ({
    mpts: points[i] / (median(ms[i]) / 1000) / 1e6,
    mptsCpu: points[i] / (median(cpuMs[i]) / 1000) / 1e6,
    points: points[i],
  }));
}

async function throughput(make: () => FrameDecoder<PointCloud>, packets: Uint8Array[], rounds: number): Promise<Throughput> {
  return (await throughputs([make], packets, rounds))[0];
}

/** Point throughput of the LiDAR packet decoders on the sample captures, one core. */
export const lidarBench: Benchmark = {
  name: 'LiDAR packet decoding (Velodyne HDL-32E, Ouster OS-0-128)',
  async run() {
    const hdl32 = payloads('velodyne/velodyne_vlp32.pcap', 2368);
    // Parsed once: reading the YAML (about 4 ms) is setup, not packet decoding.
    const calibration = parseVelodyneCalibration(readFileSync(new URL('velodyne/32db.yaml', fixtures), 'utf8'));
    // Both block loops in the same run; the headline figure is the one the decoder uses by default.
    const velodyneWith = (backend: 'ts' | 'cpu') => () => createVelodyneDecoder({ sensorId: 'lidar', model: 'HDL32E', calibration, backend });
    const kernel = velodyneKernelAvailability();
    const [velodyneTs, velodyneNative] = await throughputs(kernel.available ? [velodyneWith('ts'), velodyneWith('cpu')] : [velodyneWith('ts')], hdl32, 40);
    const defaultBackend = createVelodyneDecoder({ sensorId: 'lidar', model: 'HDL32E', calibration }).backend;
    const velodyne = defaultBackend === 'cpu' && velodyneNative ? velodyneNative : velodyneTs;
    const velodyneSideBySide = [
      ...(velodyneNative
        ? [
            { key: 'decode.velodyne.nativeMptsPerSec', value: velodyneNative.mpts, note: 'M points/s, native (C++) block loop, same capture, its runs interleaved with the TypeScript ones' },
            { key: 'decode.velodyne.nativeMptsPerCpuSec', value: velodyneNative.mptsCpu, note: 'M points per second of process CPU time, native block loop' },
          ]
        : []),
      { key: 'decode.velodyne.tsMptsPerSec', value: velodyneTs.mpts, note: 'M points/s, TypeScript reference block loop, same capture and run' },
      { key: 'decode.velodyne.tsMptsPerCpuSec', value: velodyneTs.mptsCpu, note: 'M points per second of process CPU time, TypeScript block loop' },
    ];
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
        note: `M points/s, HDL-32E capture ×40 (${hdl32.length} packets, ${velodyne.points} points a run), median of 5, default block loop: ${defaultBackend === 'cpu' ? 'native' : `TypeScript${kernel.available ? '' : ` (${kernel.reason})`}`}`,
      },
      {
        key: 'decode.velodyne.mptsPerCpuSec',
        value: velodyne.mptsCpu,
        note: 'M points per second of process CPU time (steadier than wall time on a shared machine)',
      },
      ...velodyneSideBySide,
      {
        key: 'decode.ouster.mptsPerSec',
        value: ouster.mpts,
        note: `M points/s, OS-0-128 RNG15_RFL8_NIR8, ${rounds} frames of 64 packets (${ouster.points} points a run), median of 5`,
      },
      { key: 'decode.ouster.mptsPerCpuSec', value: ouster.mptsCpu, note: 'M points per second of process CPU time' },
    ];
  },
};
