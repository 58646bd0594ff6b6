import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SensorFrame } from '../engine/core/frames.js';
import type { Rig } from '../engine/config/rig-schema.js';
import { ConfigError } from '../engine/config/load-rig.js';
import { decodeFrame } from './frame-codec.js';
import { openScenario, ScenarioReadError, type Scenario, type ScenarioMessage } from './scenario-reader.js';
import { sensorTopic } from './topics.js';
import { SAMPLE_T0, sampleRigInput, writeSampleScenario } from '../test/fixtures/mcap/sample-scenario.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/mcap/', import.meta.url));

let dir: string;
let samplePath: string;
let written: SensorFrame[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'percept-reader-'));
  samplePath = join(dir, 'sample.mcap');
  // Small chunks so a cut leaves whole chunks before it.
  ({ frames: written } = await writeSampleScenario(samplePath, { chunkSize: 2048 }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(scenario: Scenario, options?: Parameters<Scenario['readMessages']>[0]): Promise<ScenarioMessage[]> {
  const out: ScenarioMessage[] = [];
  for await (const m of scenario.readMessages(options)) out.push(m);
  return out;
}

function framesOf(messages: readonly ScenarioMessage[], rig: Rig): SensorFrame[] {
  const byTopic = new Map(rig.sensors.map((s) => [sensorTopic(s), s]));
  return messages.flatMap((m) => {
    const sensor = byTopic.get(m.topic);
    if (!sensor) return [];
    return [decodeFrame(m.data, { sensorId: sensor.id, modality: sensor.modality as never, logTime: m.logTime, publishTime: m.publishTime, sequence: m.sequence })];
  });
}

async function readUntilError(scenario: Scenario): Promise<{ messages: ScenarioMessage[]; error: unknown }> {
  const messages: ScenarioMessage[] = [];
  try {
    for await (const m of scenario.readMessages()) messages.push(m);
  } catch (error) {
    return { messages, error };
  }
  return { messages, error: undefined };
}

describe('openScenario on a scenario written by ScenarioWriter', () => {
  it('reads the rig, info, times and topics from the summary', async () => {
    const scenario = await openScenario(samplePath);
    try {
      expect(scenario.mode).toBe('indexed');
      expect(scenario.damage).toBeUndefined();
      expect(scenario.rig?.name).toBe('sample-rig');
      expect(scenario.rig?.sensors.map((s) => s.id)).toEqual(['cam', 'lidar', 'radar', 'gnss', 'mic']);
      expect(scenario.rigInput).toEqual(JSON.parse(JSON.stringify(sampleRigInput())));
      expect(scenario.info.get('preset')).toBe('sample');
      expect(scenario.startTime).toBe(SAMPLE_T0);
      expect(scenario.endTime).toBe(written[written.length - 1].stamp);
      expect(scenario.compression).toEqual(['zstd']);
      const counts = Object.fromEntries(scenario.topics.map((t) => [t.topic, t.messageCount]));
      expect(counts).toEqual({
        '/tf_static': 5, '/cam/camera_info': 1, '/ground_truth': 11,
        '/cam/image': 11, '/lidar/points': 11, '/radar/scan': 21, '/gnss/fix': 11, '/mic/audio': 11,
      });
      expect(scenario.topics.find((t) => t.topic === '/lidar/points')?.schemaName).toBe('foxglove.PointCloud');
      expect(scenario.messageCount).toBe(82);
    } finally {
      await scenario.close();
    }
  });

  it('round-trips every modality: frames read back equal the frames written', async () => {
    const scenario = await openScenario(samplePath);
    try {
      const messages = await collect(scenario);
      expect(messages).toHaveLength(82);
      const logTimes = messages.map((m) => m.logTime);
      expect([...logTimes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(logTimes);
      const frames = framesOf(messages, scenario.rig!);
      expect(frames).toHaveLength(written.length);
      expect(new Set(frames.map((f) => f.modality))).toEqual(new Set(['camera', 'lidar', 'radar', 'gnss', 'audio']));
      // Same sensor, same order: the writer got the frames sorted by stamp.
      const bySensor = (list: SensorFrame[], id: string) => list.filter((f) => f.sensorId === id);
      for (const id of ['cam', 'lidar', 'radar', 'gnss', 'mic']) expect(bySensor(frames, id)).toEqual(bySensor(written, id));
    } finally {
      await scenario.close();
    }
  });

  it('bounds reading by time and topic', async () => {
    const scenario = await openScenario(samplePath);
    try {
      const ms = 1_000_000n;
      const cam = await collect(scenario, { topics: ['/cam/image'], startTime: SAMPLE_T0 + 250n * ms, endTime: SAMPLE_T0 + 600n * ms });
      expect(cam.map((m) => m.logTime)).toEqual([300n, 400n, 500n, 600n].map((t) => SAMPLE_T0 + t * ms));
      expect(cam.every((m) => m.topic === '/cam/image' && m.schemaName === 'foxglove.CompressedImage')).toBe(true);
      expect(cam.map((m) => m.sequence)).toEqual([3, 4, 5, 6]);
    } finally {
      await scenario.close();
    }
  });

  it('reports per-topic first and last times from the message indexes', async () => {
    const scenario = await openScenario(samplePath);
    try {
      const times = await scenario.topicTimes();
      expect(times.get('/radar/scan')).toEqual({ messageCount: 21, firstTime: SAMPLE_T0 + 5_000_000n, lastTime: SAMPLE_T0 + 1_005_000_000n });
    } finally {
      await scenario.close();
    }
  });
});

describe('openScenario on damaged and foreign files', () => {
  it('delivers the messages before a cut, then names the file and the offset', async () => {
    const whole = readFileSync(samplePath);
    const cutPath = join(dir, 'cut.mcap');
    writeFileSync(cutPath, whole.subarray(0, whole.length >> 1));
    const intact = await openScenario(samplePath);
    const all = await collect(intact);
    await intact.close();

    const scenario = await openScenario(cutPath);
    try {
      expect(scenario.mode).toBe('stream');
      expect(scenario.damage).toBeDefined();
      expect(scenario.rig?.name).toBe('sample-rig');
      const { messages, error } = await readUntilError(scenario);
      expect(messages.length).toBeGreaterThan(10);
      expect(messages.length).toBeLessThan(all.length);
      expect(scenario.messageCount).toBe(messages.length);
      // What comes through is exactly the beginning of the intact file.
      expect(messages.map((m) => [m.topic, m.logTime, m.sequence])).toEqual(all.slice(0, messages.length).map((m) => [m.topic, m.logTime, m.sequence]));
      expect(messages.map((m) => Buffer.from(m.data).toString('hex'))).toEqual(all.slice(0, messages.length).map((m) => Buffer.from(m.data).toString('hex')));
      expect(error).toBeInstanceOf(ScenarioReadError);
      const readError = error as ScenarioReadError;
      expect(readError.message).toContain(cutPath);
      expect(readError.message).toMatch(/truncated/);
      expect(readError.offset).toBeGreaterThan(8);
      expect(readError.offset).toBeLessThanOrEqual(whole.length >> 1);
      expect(readError.message).toContain(`byte ${readError.offset}`);
    } finally {
      await scenario.close();
    }
  });

  it('stops at a corrupt chunk of an intact indexed file, after the messages before it', async () => {
    const whole = Buffer.from(readFileSync(samplePath));
    const intact = await openScenario(samplePath);
    const all = await collect(intact);
    await intact.close();
    // Flip bytes in the middle of the data section: some chunk's zstd data or CRC no longer fits.
    const at = Math.floor(whole.length * 0.4);
    for (let i = at; i < at + 64; i++) whole[i] ^= 0x5a;
    const path = join(dir, 'flipped.mcap');
    writeFileSync(path, whole);
    const scenario = await openScenario(path);
    try {
      expect(scenario.mode).toBe('indexed');
      const { messages, error } = await readUntilError(scenario);
      expect(error).toBeInstanceOf(ScenarioReadError);
      expect((error as Error).message).toContain(path);
      expect((error as ScenarioReadError).offset).toBeGreaterThan(0);
      expect((error as ScenarioReadError).offset).toBeLessThan(at + 64);
      expect(messages.length).toBeLessThan(all.length);
      expect(messages.map((m) => m.logTime)).toEqual(all.slice(0, messages.length).map((m) => m.logTime));
    } finally {
      await scenario.close();
    }
  });

  it('refuses a record that claims more than the size limit without buffering towards it', async () => {
    const whole = readFileSync(samplePath);
    // Keep magic + header, then a Message record (opcode 0x05) claiming 1 TiB.
    const headerLength = Number(whole.readBigUInt64LE(9));
    const keep = 8 + 9 + headerLength;
    const bogus = Buffer.alloc(9 + 64);
    bogus[0] = 0x05;
    bogus.writeBigUInt64LE(1n << 40n, 1);
    const path = join(dir, 'huge-record.mcap');
    writeFileSync(path, Buffer.concat([whole.subarray(0, keep), bogus]));
    const scenario = await openScenario(path);
    try {
      const { messages, error } = await readUntilError(scenario);
      expect(messages).toHaveLength(0);
      expect(error).toBeInstanceOf(ScenarioReadError);
      expect((error as ScenarioReadError).offset).toBe(keep);
      expect((error as Error).message).toMatch(/claims 1099511627776 bytes, over the 1073741824-byte limit/);
    } finally {
      await scenario.close();
    }
  });

  it('honours a smaller record limit on an intact file', async () => {
    const scenario = await openScenario(samplePath, { maxRecordBytes: 512 });
    try {
      const { error } = await readUntilError(scenario);
      expect(error).toBeInstanceOf(ScenarioReadError);
      expect((error as Error).message).toMatch(/over the 512-byte limit/);
    } finally {
      await scenario.close();
    }
  });

  it('says a file that is not MCAP is not MCAP', async () => {
    const path = join(dir, 'garbage.mcap');
    writeFileSync(path, Buffer.from('this is a text file and certainly not an MCAP recording\n'.repeat(20)));
    await expect(openScenario(path)).rejects.toThrow(ScenarioReadError);
    await expect(openScenario(path)).rejects.toThrow(/garbage\.mcap: not an MCAP file/);
    const empty = join(dir, 'empty.mcap');
    writeFileSync(empty, '');
    await expect(openScenario(empty)).rejects.toThrow(/empty\.mcap: the file is empty/);
  });

  it('reports MCAP magic followed by garbage as damage at byte 8', async () => {
    const path = join(dir, 'magic-then-garbage.mcap');
    writeFileSync(path, Buffer.concat([readFileSync(samplePath).subarray(0, 8), Buffer.alloc(4096, 0xab)]));
    const scenario = await openScenario(path);
    try {
      expect(scenario.topics).toHaveLength(0);
      const { messages, error } = await readUntilError(scenario);
      expect(messages).toHaveLength(0);
      expect(error).toBeInstanceOf(ScenarioReadError);
      expect((error as ScenarioReadError).offset).toBe(8);
    } finally {
      await scenario.close();
    }
  });

  it('names a missing file and its error code', async () => {
    const path = join(dir, 'no-such-scenario.mcap');
    const error = await openScenario(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioReadError);
    expect((error as ScenarioReadError).code).toBe('ENOENT');
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toContain('ENOENT');
  });

  it('rejects a stored rig that does not validate, unless asked not to check it', async () => {
    const { McapWriter } = await import('@mcap/core');
    const { FileHandleWritable } = await import('@mcap/nodejs');
    const { open } = await import('node:fs/promises');
    const path = join(dir, 'bad-rig.mcap');
    const handle = await open(path, 'w');
    const writer = new McapWriter({ writable: new FileHandleWritable(handle) });
    await writer.start({ profile: '', library: 'test' });
    await writer.addMetadata({ name: 'percept.rig', metadata: new Map([['rig', JSON.stringify({ name: 'x', sensors: [] })]]) });
    await writer.end();
    await handle.close();
    await expect(openScenario(path)).rejects.toThrow(ConfigError);
    await expect(openScenario(path)).rejects.toThrow(/sensors/);
    const lenient = await openScenario(path, { validateRig: false });
    expect(lenient.rig).toBeUndefined();
    expect(lenient.rigInput).toEqual({ name: 'x', sensors: [] });
    await lenient.close();
  });
});

describe('openScenario on ROS 2 bags (rosbag2 test resources)', () => {
  it('reads talker.mcap (zstd chunk): 20 messages on /topic and /rosout', async () => {
    const scenario = await openScenario(join(fixtures, 'talker.mcap'));
    try {
      expect(scenario.rig).toBeUndefined();
      expect(scenario.compression).toEqual(['zstd']);
      const messages = await collect(scenario);
      expect(messages).toHaveLength(20);
      expect(messages.filter((m) => m.topic === '/topic')).toHaveLength(10);
      expect(messages.filter((m) => m.topic === '/rosout')).toHaveLength(10);
      expect(messages[0].logTime).toBe(1585866235112411371n);
      expect(scenario.endTime - scenario.startTime).toBe(4531096768n);
    } finally {
      await scenario.close();
    }
  });
});
