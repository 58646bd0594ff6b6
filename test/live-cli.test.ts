import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { arecordCommand } from '../adapters/audio/arecord-command.js';
import { ffmpegCommand } from '../adapters/camera/ffmpeg-command.js';
import { liveInput } from '../adapters/live-input.js';
import { checkRigFile } from '../engine/config/check-rig.js';
import { openScenario } from '../scenarios/scenario-reader.js';

/* `percept run`, `percept record` and the example hardware rig, through the real command line. */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HARDWARE_RIG = fileURLToPath(new URL('./fixtures/rigs/hardware-example.yaml', import.meta.url));
const NMEA_LOG = fileURLToPath(new URL('./fixtures/gps_nmea/bu353s4.log', import.meta.url));
const SENTENCES = readFileSync(NMEA_LOG, 'latin1').split('\n').filter((l) => l.startsWith('$'));

const tmp = mkdtempSync(join(tmpdir(), 'percept-live-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Cli {
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; at: number }>;
  kill: (signal: NodeJS.Signals) => number;
}

function percept(...args: string[]): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  return {
    stdout: () => stdout, stderr: () => stderr, exit,
    kill: (signal) => {
      child.kill(signal);
      return Date.now();
    },
  };
}

function waitFor<T>(get: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const value = get();
      if (value !== undefined) resolve(value);
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

const gpsSensor = (transport: string): string => `
  - id: gps
    modality: gnss
    rateHz: 1
    extrinsic: { translation: [0, 0, 0], rotation: { rpy: [0, 0, 0] } }
    source: { type: live, format: nmea, transport: ${transport} }`;

function writeRig(name: string, sensors: string): string {
  const path = join(tmp, name);
  writeFileSync(path, `name: cli-test\nsensors:${sensors}\nsync: { policy: nearest, reference: gps }\n`);
  return path;
}

describe('the example hardware rig', () => {
  it('passes percept config check, and its ffmpeg and arecord arguments are what percept builds', () => {
    const check = checkRigFile(HARDWARE_RIG);
    if (!check.ok) throw new Error(check.problems.join('\n'));
    const { rig } = check;
    expect(rig.sensors.map((s) => [s.id, s.source.type === 'live' && s.source.format])).toEqual([
      ['lidar_top', 'velodyne'], ['gnss', 'nmea'], ['cam_front', 'mjpeg'], ['radar_front', 'ars408'], ['mic', 'pcm'],
    ]);
    const transport = (id: string) => {
      const source = rig.sensors.find((s) => s.id === id)!.source;
      return source.type === 'live' ? source.transport : undefined;
    };
    const ffmpeg = ffmpegCommand({ source: { kind: 'rtsp', url: 'rtsp://192.168.1.64:554/stream1' }, output: { format: 'mjpeg', fps: 15 } });
    expect(transport('cam_front')).toMatchObject({ type: 'process', command: ffmpeg.command, args: ffmpeg.args });
    const arecord = arecordCommand({ device: 'plughw:1,0', sampleRate: 16000, channels: 1, format: 's16le' });
    expect(transport('mic')).toMatchObject({ type: 'process', command: arecord.command, args: arecord.args });
    // Every decoder can be made from the rig (nothing is opened until someone subscribes).
    expect(liveInput(rig).sensorIds).toHaveLength(5);
  });
});

describe('percept run and percept record', () => {
  it('run: takes NMEA over UDP on an OS-chosen port, stops within 2 s of SIGINT, writes the summary', async () => {
    const rig = writeRig('udp.yaml', gpsSensor('{ type: udp, host: 127.0.0.1, port: 0 }'));
    const summaryPath = join(tmp, 'run-summary.json');
    const cli = percept('run', '--config', rig, '--summary', summaryPath);
    const port = await waitFor(() => /gps: listening on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1], 'the listening line');
    const sender = dgram.createSocket('udp4');
    for (const line of SENTENCES) await new Promise<void>((resolve) => sender.send(`${line}\n`, Number(port), '127.0.0.1', () => resolve()));
    sender.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = cli.kill('SIGINT');
    const { code, at } = await cli.exit;
    expect(at - signalled).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(cli.stderr()).toContain('SIGINT: stopping');
    expect(cli.stdout()).toMatch(/frames gps\s+25 {2}\(nmea over udp, ended/);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    expect(Object.keys(summary).slice(0, 7)).toEqual(['frames', 'framesByModality', 'events', 'drops', 'decodeErrors', 'latencyMs', 'wallS']);
    expect(summary).toMatchObject({ frames: { gps: 25 }, events: 25, interrupted: true, sensors: { gps: { format: 'nmea', transport: 'udp', chunks: SENTENCES.length } } });
  });

  it('record: a file source relative to the rig, to a scenario whose rig replays it', async () => {
    copyFileSync(NMEA_LOG, join(tmp, 'gps.log'));
    const rig = writeRig('file.yaml', gpsSensor('{ type: file, path: gps.log }'));
    const out = join(tmp, 'recorded.mcap');
    const cli = percept('record', '--config', rig, '--out', out, '--duration', '20', '--quiet');
    const { code } = await cli.exit;
    expect(cli.stderr()).toBe('');
    expect(code).toBe(0);
    expect(cli.stdout()).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: gps 25 frames in `));
    const scenario = await openScenario(out);
    try {
      expect(scenario.rig?.sensors[0].source).toEqual({ type: 'scenario' });
      expect(scenario.topics.find((t) => t.topic === '/gps/fix')).toMatchObject({ messageCount: 25 });
    } finally {
      await scenario.close();
    }
  });

  it('a missing rig, or one without live sensors, is exit 2 with one line', async () => {
    const missing = percept('run', '--config', join(tmp, 'nope.yaml'));
    const noLive = percept('record', '--config', writeRig('scenario.yaml', `
  - id: gps
    modality: gnss
    rateHz: 1
    extrinsic: { translation: [0, 0, 0], rotation: { rpy: [0, 0, 0] } }`), '--out', join(tmp, 'x.mcap'));
    const [a, b] = await Promise.all([missing.exit, noLive.exit]);
    expect(a.code).toBe(2);
    expect(missing.stderr()).toMatch(/^percept: .*nope\.yaml: invalid rig: cannot read the file: no such file \(ENOENT\)\n$/);
    expect(b.code).toBe(2);
    expect(noLive.stderr()).toMatch(/^percept: .*scenario\.yaml: no sensor has a live source .*\n$/);
  });
});
