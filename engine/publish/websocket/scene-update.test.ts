import { describe, expect, it } from 'vitest';
import { loadProtos } from '../../core/proto.js';
import type { PerceptionEvent } from '../../events/perception-event.js';
import { loadPresetRig } from '../../../scenarios/generator/index.js';
import { calibrationTransforms, sceneUpdateOf } from './scene-update.js';

const event: PerceptionEvent = {
  seq: 1, stamp: 1_700_000_000_250_000_000n, audio: [], health: [], frames: [], missing: [], detections: [],
  latency: { syncMs: 0, encodeMs: 0, fuseMs: 0, publishMs: 0, totalMs: 0 },
  objects: [{
    id: 7, label: 'cyclist', score: 0.75, position: { x: 3, y: 4, z: 1 }, size: { x: 1.8, y: 0.6, z: 1.7 }, yaw: Math.PI,
    velocity: { x: 0, y: 0, z: 0 }, latitude: 0, longitude: 0, covariance: [], ageS: 0, sources: [],
  }],
};

describe('SceneUpdate from an event', () => {
  it('makes one entity per object with a cube at the box and a label above it, and encodes as foxglove.SceneUpdate', () => {
    const update = sceneUpdateOf(event) as { entities: any[] };
    const [entity] = update.entities;
    expect(entity).toMatchObject({ frame_id: 'base_link', id: 'object-7', lifetime: { seconds: 0, nanos: 200_000_000 }, timestamp: { seconds: 1_700_000_000, nanos: 250_000_000 } });
    expect(entity.cubes[0].pose.position).toEqual({ x: 3, y: 4, z: 1 });
    expect(entity.cubes[0].pose.orientation.z).toBeCloseTo(1, 12);
    expect(entity.texts[0]).toMatchObject({ text: 'cyclist #7', billboard: true });
    expect(entity.texts[0].pose.position.z).toBeCloseTo(1 + 0.85 + 0.5, 12);
    const type = loadProtos().type('foxglove.SceneUpdate');
    const back = type.toObject(type.decode(type.encode(type.fromObject(update)).finish())) as { entities: any[] };
    expect(back.entities[0].cubes[0].size).toEqual({ x: 1.8, y: 0.6, z: 1.7 });
  });

  it('gives a base_link transform per rig sensor', () => {
    const { rig } = loadPresetRig('nuscenes-like');
    const tfs = calibrationTransforms(rig, 5n);
    expect(tfs.map((t) => t.child_frame_id)).toEqual(rig.sensors.map((s) => s.frameId ?? s.id));
    expect(tfs.every((t) => t.parent_frame_id === 'base_link')).toBe(true);
  });
});
