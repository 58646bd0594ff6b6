import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RigInput } from '../config/rig-schema.js';
import { loadProtos } from '../core/proto.js';
import { writeScenario } from '../../scenarios/import/write-scenario.js';
import { GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TOPIC } from '../../scenarios/topics.js';
import type { GroundTruthObject } from '../../scenarios/scenario-writer.js';
import { decodeGroundTruth, readGroundTruthFile } from './ground-truth-stream.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'percept-gt-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const car: GroundTruthObject = {
  id: 7, label: 'car', position: { x: 12.5, y: -3.25, z: 0.8 }, size: { x: 4.5, y: 1.9, z: 1.6 }, yaw: 0.3,
  velocity: { x: 5, y: 0, z: 0 }, lidarPoints: 140,
};
const RIG: RigInput = {
  name: 'gt-test',
  sensors: [{ id: 'lidar', modality: 'lidar', rateHz: 10, extrinsic: { translation: [0, 0, 1.8], rotation: { rpy: [0, 0, 0] } } }],
  sync: { policy: 'nearest', reference: 'lidar' },
};

function encode(stamp: bigint, objects: GroundTruthObject[]): Uint8Array {
  return loadProtos().type(GROUND_TRUTH_SCHEMA).encode({
    stamp_ns: stamp.toString(),
    objects: objects.map((o) => ({ ...o, lidar_points: o.lidarPoints })),
  }).finish();
}

describe('decodeGroundTruth', () => {
  it('gives back what percept.GroundTruth holds, stamps as bigint', () => {
    const frame = decodeGroundTruth(encode(1_700_000_000_123_456_789n, [car]), 5n);
    expect(frame.stamp).toBe(1_700_000_000_123_456_789n);
    expect(frame.ego).toBeUndefined();
    expect(frame.objects).toEqual([car]);
  });

  it('takes the log time when the message has no stamp, and throws on bytes that are not a message', () => {
    expect(decodeGroundTruth(loadProtos().type(GROUND_TRUTH_SCHEMA).encode({}).finish(), 42n).stamp).toBe(42n);
    expect(() => decodeGroundTruth(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), 0n)).toThrow();
  });
});

describe('readGroundTruthFile', () => {
  it('reads every /ground_truth frame of a scenario by stamp, ego pose included', async () => {
    const path = join(tmp, 'two.mcap');
    const ego = { position: { x: 1, y: 2, z: 0 }, yaw: 0.5, latitude: 42.3, longitude: -71.1, altitude: 10, speed: 3 };
    await writeScenario(path, RIG, {}, async (w) => {
      await w.writeGroundTruth(100n, ego, [car]);
      await w.writeGroundTruth(200n, undefined, []);
    });
    const byStamp = await readGroundTruthFile(path);
    expect([...byStamp.keys()]).toEqual([100n, 200n]);
    expect(byStamp.get(100n)!.objects).toEqual([car]);
    expect(byStamp.get(100n)!.ego).toEqual(ego);
    expect(byStamp.get(200n)!.objects).toEqual([]);
  });

  it('skips a message that does not decode, reports it, and keeps the rest', async () => {
    const path = join(tmp, 'bad.mcap');
    const handle = await open(path, 'w');
    const writer = new McapWriter({ writable: new FileHandleWritable(handle) });
    await writer.start({ profile: '', library: 'test' });
    const schemaId = await writer.registerSchema({ name: GROUND_TRUTH_SCHEMA, encoding: 'protobuf', data: loadProtos().descriptorSet(GROUND_TRUTH_SCHEMA) });
    const channelId = await writer.registerChannel({ topic: GROUND_TRUTH_TOPIC, schemaId, messageEncoding: 'protobuf', metadata: new Map() });
    await writer.addMessage({ channelId, sequence: 0, logTime: 10n, publishTime: 10n, data: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]) });
    await writer.addMessage({ channelId, sequence: 1, logTime: 20n, publishTime: 20n, data: encode(20n, [car]) });
    await writer.end();
    await handle.close();
    const errors: bigint[] = [];
    const byStamp = await readGroundTruthFile(path, { onError: (_err, logTime) => errors.push(logTime) });
    expect(errors).toEqual([10n]);
    expect([...byStamp.keys()]).toEqual([20n]);
  });
});
