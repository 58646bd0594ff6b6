import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { formatScenarioInfo, scenarioInfo } from './scenario-info.js';
import { ScenarioReadError } from './scenario-reader.js';
import { SAMPLE_T0, writeSampleScenario } from '../test/fixtures/mcap/sample-scenario.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/mcap/', import.meta.url));

/** Expected figures from the rosbag2 metadata.yaml written beside each bag (two layouts exist). */
function expectedFromMetadata(file: string): { messageCount: number; durationNs: bigint; startNs: bigint; topics: Record<string, { count: number; type: string }> } {
  const info = (parseYaml(readFileSync(join(fixtures, file), 'utf8'), { intAsBigInt: true }) as { rosbag2_bagfile_information: Record<string, any> }).rosbag2_bagfile_information;
  const topics: Record<string, { count: number; type: string }> = {};
  for (const t of info.topics_with_message_count) topics[t.topic_metadata.name] = { count: Number(t.message_count), type: t.topic_metadata.type };
  return {
    messageCount: Number(info.message_count),
    durationNs: BigInt(info.duration.nanoseconds),
    startNs: BigInt(info.starting_time.nanoseconds_since_epoch),
    topics,
  };
}

let dir: string;
let samplePath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'percept-info-'));
  samplePath = join(dir, 'sample.mcap');
  await writeSampleScenario(samplePath, { chunkSize: 4096 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scenarioInfo on ROS 2 bags', () => {
  for (const [bag, metadata, compression] of [
    ['talker.mcap', 'talker.metadata.yaml', 'zstd'],
    ['cdr_test_0.mcap', 'cdr_test.metadata.yaml', 'none'],
  ] as const) {
    it(`reports the topics and counts rosbag2 recorded for ${bag}`, async () => {
      const expected = expectedFromMetadata(metadata);
      const info = await scenarioInfo(join(fixtures, bag));
      expect(info.bytes).toBe(statSync(join(fixtures, bag)).size);
      expect(info.messageCount).toBe(expected.messageCount);
      expect(info.startTime).toBe(expected.startNs);
      expect(info.endTime - info.startTime).toBe(expected.durationNs);
      expect(info.durationS).toBeCloseTo(Number(expected.durationNs) / 1e9, 9);
      expect(info.compression).toEqual([compression]);
      expect(info.rigName).toBeUndefined();
      expect(info.damage).toBeUndefined();
      // Topics with messages match exactly; a topic rosbag2 lists with 0 messages may or may not have a channel.
      const got = Object.fromEntries(info.topics.map((t) => [t.topic, { count: t.messageCount, type: t.schemaName }]));
      for (const [topic, want] of Object.entries(expected.topics)) {
        if (want.count > 0 || got[topic]) expect(got[topic]).toEqual(want);
      }
      expect(Object.keys(got).every((t) => t in expected.topics)).toBe(true);
      expect(info.topics.every((t) => t.messageEncoding === 'cdr')).toBe(true);
    });
  }

  it('gives rates from first and last log time per topic', async () => {
    const info = await scenarioInfo(join(fixtures, 'talker.mcap'));
    // The talker publishes at 2 Hz: 10 messages over about 4.5 s.
    expect(info.topics.find((t) => t.topic === '/topic')?.rateHz).toBeCloseTo(2, 1);
    expect(info.topics.find((t) => t.topic === '/parameter_events')?.rateHz ?? 0).toBe(0);
  });

  it('prints a table in the manner of ros2 bag info', async () => {
    const text = formatScenarioInfo(await scenarioInfo(join(fixtures, 'talker.mcap')));
    expect(text).toMatch(/^Files: +talker\.mcap$/m);
    expect(text).toMatch(/^Bag size: +12\.6 KiB$/m);
    expect(text).toMatch(/^Storage id: +mcap$/m);
    expect(text).toMatch(/^Duration: +4\.531s$/m);
    expect(text).toMatch(/^Start: +2020-04-02T22:23:55\.112411371Z \(1585866235\.112411371\)$/m);
    expect(text).toMatch(/^Messages: +20$/m);
    expect(text).toMatch(/^Topic information: Topic: \/rosout +\| Type: rcl_interfaces\/msg\/Log +\| Count: 10 \| Rate: +2\.00 Hz \| Serialization Format: cdr$/m);
    expect(text).toMatch(/^ +Topic: \/topic +\| Type: std_msgs\/msg\/String +\| Count: 10 \|/m);
  });
});

describe('scenarioInfo on percept scenarios', () => {
  it('names the rig, the metadata and the per-sensor rates', async () => {
    const info = await scenarioInfo(samplePath);
    expect(info.rigName).toBe('sample-rig');
    expect(info.metadata).toEqual(['percept.rig', 'percept.scenario']);
    expect(info.compression).toEqual(['zstd']);
    expect(info.startTime).toBe(SAMPLE_T0);
    expect(info.durationS).toBeCloseTo(1.03, 9);
    expect(info.messageCount).toBe(82);
    const rate = (topic: string) => info.topics.find((t) => t.topic === topic)?.rateHz;
    expect(rate('/cam/image')).toBeCloseTo(10, 6);
    expect(rate('/radar/scan')).toBeCloseTo(20, 6);
    expect(rate('/tf_static')).toBe(0);
    const text = formatScenarioInfo(info);
    expect(text).toMatch(/^Rig: +sample-rig$/m);
    expect(text).toMatch(/^Metadata: +percept\.rig, percept\.scenario$/m);
  });

  it('describes a truncated scenario up to the damage and says where it stops', async () => {
    const whole = readFileSync(samplePath);
    const cutPath = join(dir, 'cut.mcap');
    writeFileSync(cutPath, whole.subarray(0, whole.length >> 1));
    const info = await scenarioInfo(cutPath);
    expect(info.damage?.offset).toBeGreaterThan(0);
    expect(info.messageCount).toBeGreaterThan(0);
    expect(info.messageCount).toBeLessThan(82);
    expect(info.rigName).toBe('sample-rig');
    expect(formatScenarioInfo(info)).toMatch(/^Damaged: +reading stops at byte \d+: .*truncated/m);
  });

  it('fails clearly on a missing file and on a file that is not MCAP', async () => {
    await expect(scenarioInfo(join(dir, 'missing.mcap'))).rejects.toThrow(/missing\.mcap: cannot open the file: ENOENT/);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a bag');
    await expect(scenarioInfo(text)).rejects.toThrow(ScenarioReadError);
  });
});
