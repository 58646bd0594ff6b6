import { sensorExtrinsic, sensorFrameId } from '../../config/load-rig.js';
import type { Rig } from '../../config/rig-schema.js';
import { IDENTITY_QUATERNION, quatFromYaw } from '../../core/geometry.js';
import { nanosToSecNsec, type Nanos } from '../../core/time.js';
import type { PerceptionEvent } from '../../events/perception-event.js';

export const BASE_FRAME = 'base_link';
/** Long enough to bridge two events at 10 Hz, short enough that a vanished object disappears. */
export const ENTITY_LIFETIME_NS = 200_000_000;

interface Rgba { r: number; g: number; b: number; a: number }

const CLASS_COLORS: Record<string, Rgba> = {
  car: { r: 0.2, g: 0.5, b: 1, a: 0.5 },
  truck: { r: 0.6, g: 0.3, b: 0.9, a: 0.5 },
  bus: { r: 0.6, g: 0.3, b: 0.9, a: 0.5 },
  pedestrian: { r: 1, g: 0.6, b: 0.1, a: 0.6 },
  cyclist: { r: 0.2, g: 0.8, b: 0.3, a: 0.6 },
};
const OTHER_COLOR: Rgba = { r: 0.7, g: 0.7, b: 0.7, a: 0.5 };
const LABEL_COLOR: Rgba = { r: 1, g: 1, b: 1, a: 1 };

function timestamp(ns: Nanos): { seconds: number; nanos: number } {
  const { sec, nsec } = nanosToSecNsec(ns);
  return { seconds: sec, nanos: nsec };
}

/**
 * One foxglove.SceneUpdate (as a protobufjs object) per event: an entity per object with a cube at
 * its box (centre, size, yaw in base_link) and a billboard label "class #id" above it.
 */
export function sceneUpdateOf(event: PerceptionEvent): Record<string, unknown> {
  const stamp = timestamp(event.stamp);
  return {
    deletions: [],
    entities: event.objects.map((o) => ({
      timestamp: stamp,
      frame_id: BASE_FRAME,
      id: `object-${o.id}`,
      lifetime: { seconds: 0, nanos: ENTITY_LIFETIME_NS },
      frame_locked: false,
      metadata: [
        { key: 'class', value: o.label },
        { key: 'score', value: o.score.toFixed(3) },
      ],
      cubes: [{
        pose: { position: o.position, orientation: quatFromYaw(o.yaw) },
        size: o.size,
        color: CLASS_COLORS[o.label] ?? OTHER_COLOR,
      }],
      texts: [{
        pose: { position: { x: o.position.x, y: o.position.y, z: o.position.z + o.size.z / 2 + 0.5 }, orientation: IDENTITY_QUATERNION },
        billboard: true,
        font_size: 14,
        scale_invariant: true,
        color: LABEL_COLOR,
        text: `${o.label} #${o.id}`,
      }],
    })),
  };
}

/** foxglove.FrameTransform objects base_link → each sensor's frame, from the rig's extrinsics. */
export function calibrationTransforms(rig: Rig, stamp: Nanos): Record<string, unknown>[] {
  return rig.sensors.map((sensor) => {
    const t = sensorExtrinsic(sensor);
    return {
      timestamp: timestamp(stamp),
      parent_frame_id: BASE_FRAME,
      child_frame_id: sensorFrameId(sensor),
      translation: t.translation,
      rotation: t.rotation,
    };
  });
}
