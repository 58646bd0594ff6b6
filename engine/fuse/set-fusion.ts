import type { Rig } from '../config/rig-schema.js';
import { sensorExtrinsic } from '../config/load-rig.js';
import type { FrameSet } from '../core/frames.js';
import type { EnuFrame } from '../core/geodesy.js';
import type { Transform } from '../core/geometry.js';
import type { DetectedObject, EgoPose } from '../events/perception-event.js';
import { LidarObjects } from './lidar-objects.js';
import { DEFAULT_RADAR_FUSION, fuseRadar, type PlacedScan } from './radar-fusion.js';
import { worldPosition } from './world-position.js';
import { Tracker } from './tracker/tracker.js';

/**
 * Late fusion of one FrameSet: LiDAR clusters classed by shape, radar velocity for the objects it
 * sees, radar-only objects beyond LiDAR range, then the tracker: what comes out are confirmed and
 * coasting tracks with stable ids, velocity over ground and existence, every one also in WGS84.
 */
export class SetFusion {
  readonly #lidar: LidarObjects | undefined;
  readonly #radars: Map<string, Transform>;
  readonly #radarOnlyBeyondM: number;
  readonly #tracker: Tracker | undefined;

  constructor(rig: Rig) {
    const clusters = rig.fusion.lidarClusters;
    this.#lidar = clusters ? new LidarObjects(rig, clusters) : undefined;
    this.#tracker = clusters && rig.fusion.track ? new Tracker() : undefined;
    this.#radars = new Map(rig.sensors.filter((s) => s.modality === 'radar').map((s) => [s.id, sensorExtrinsic(s)]));
    this.#radarOnlyBeyondM = clusters?.rangeM ?? 0;
  }

  get enabled(): boolean {
    return this.#lidar !== undefined;
  }

  fuse(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
    const detections = this.#detect(set, ego, enu);
    return this.#tracker ? this.#track(set.stamp, detections, ego, enu) : detections;
  }

  #track(stamp: bigint, detections: DetectedObject[], ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
    const tracks = this.#tracker!.update(stamp, detections.map((d) => ({
      position: d.position, size: d.size, yaw: d.yaw, label: d.label, score: d.score, sources: d.sources,
      // Only a radar measures velocity; LiDAR clusters leave it to the filter.
      velocity: d.sources.some((s) => this.#radars.has(s)) ? { x: d.velocity.x, y: d.velocity.y } : undefined,
    })), ego);
    return tracks.filter((t) => t.state !== 'tentative').map((t) => ({
      id: t.id,
      label: t.label,
      score: t.existence,
      classSource: t.label === 'radar-object' ? 'radar' : 'shape',
      position: t.position,
      size: t.size,
      yaw: t.yaw,
      velocity: t.velocity,
      ...worldPosition(t.position, ego, enu),
      covariance: t.covariance,
      ageS: t.ageS,
      sources: t.sources,
    }));
  }

  #detect(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
    if (!this.#lidar) return [];
    const objects = this.#lidar.objects(set, ego, enu);
    const scans: PlacedScan[] = [];
    for (const frame of set.frames.values()) {
      const extrinsic = frame.modality === 'radar' ? this.#radars.get(frame.sensorId) : undefined;
      if (frame.modality === 'radar' && extrinsic) scans.push({ scan: frame, extrinsic });
    }
    if (scans.length === 0) return objects;
    let nextId = objects.reduce((m, o) => Math.max(m, o.id), -1) + 1;
    const radarOnly = fuseRadar(objects, scans, ego?.speed ?? 0, { ...DEFAULT_RADAR_FUSION, radarOnlyBeyondM: this.#radarOnlyBeyondM }, () => nextId++);
    for (const o of radarOnly) {
      Object.assign(o, worldPosition(o.position, ego, enu), { classSource: 'radar' as const });
      objects.push(o);
    }
    return objects;
  }
}
