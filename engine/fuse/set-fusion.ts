import type { Rig } from '../config/rig-schema.js';
import { sensorExtrinsic } from '../config/load-rig.js';
import type { FrameSet } from '../core/frames.js';
import type { EnuFrame } from '../core/geodesy.js';
import type { Transform } from '../core/geometry.js';
import type { Detection2D } from '../encode/encoded-set.js';
import type { DetectedObject, EgoPose } from '../events/perception-event.js';
import { LidarObjects } from './lidar-objects.js';
import { DEFAULT_RADAR_FUSION, fuseRadar, type PlacedScan } from './radar-fusion.js';
import { worldPosition } from './world-position.js';
import { UNCLASSIFIED_LABEL } from './tracker/classes.js';
import { Tracker } from './tracker/tracker.js';

/**
 * Late fusion of one FrameSet: LiDAR clusters classed by the camera detections they project onto
 * (by shape where none does), radar velocity for the objects it sees, radar-only objects beyond
 * LiDAR range, then the tracker: what comes out are confirmed and
 * coasting tracks with stable ids, velocity over ground and existence, every one also in WGS84.
 */
export class SetFusion {
  readonly #lidar: LidarObjects | undefined;
  readonly #radars: Map<string, Transform>;
  /** Where each LiDAR and radar stands in base_link: the viewpoint of the objects it sees. */
  readonly #viewpoints: Map<string, { x: number; y: number }>;
  readonly #radarOnlyBeyondM: number;
  readonly #tracker: Tracker | undefined;

  constructor(rig: Rig) {
    const clusters = rig.fusion.lidarClusters;
    this.#lidar = clusters ? new LidarObjects(rig, clusters) : undefined;
    const track = rig.fusion.track;
    this.#tracker = clusters && track !== false ? new Tracker(track === true ? {} : track) : undefined;
    this.#radars = new Map(rig.sensors.filter((s) => s.modality === 'radar').map((s) => [s.id, sensorExtrinsic(s)]));
    this.#radarOnlyBeyondM = clusters?.rangeM ?? 0;
    this.#viewpoints = new Map(rig.sensors.filter((s) => s.modality === 'lidar' || s.modality === 'radar').map((s) => {
      const t = sensorExtrinsic(s).translation;
      return [s.id, { x: t.x, y: t.y }];
    }));
  }

  get enabled(): boolean {
    return this.#lidar !== undefined;
  }

  /** `detections`: the camera detectors' boxes for this set, which class the LiDAR objects they fall on. */
  fuse(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined, detections: readonly Detection2D[] = []): DetectedObject[] {
    const { objects, measured } = this.#detect(set, ego, enu, detections);
    return this.#tracker ? this.#track(set.stamp, objects, measured, ego, enu) : objects;
  }

  #track(stamp: bigint, detections: DetectedObject[], measured: Set<DetectedObject>, ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
    const tracks = this.#tracker!.update(stamp, detections.map((d) => ({
      position: d.position, size: d.size, yaw: d.yaw, score: d.score, sources: d.sources,
      // A shape that fits no class leaves the track's class to the detections that do.
      label: d.label === 'unknown' ? UNCLASSIFIED_LABEL : d.label,
      classSource: d.classSource,
      viewpoint: this.#viewpoints.get(d.sources[0]),
      // Only a radar measures velocity; the others leave it to the filter.
      velocity: measured.has(d) ? { x: d.velocity.x, y: d.velocity.y } : undefined,
    })), ego);
    return tracks.filter((t) => t.state !== 'tentative').map((t) => ({
      id: t.id,
      label: t.label === UNCLASSIFIED_LABEL ? 'unknown' : t.label,
      score: t.existence,
      classSource: (t.classSource ?? 'shape') as DetectedObject['classSource'],
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

  #detect(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined, detections: readonly Detection2D[]): { objects: DetectedObject[]; measured: Set<DetectedObject> } {
    if (!this.#lidar) return { objects: [], measured: new Set() };
    const objects = this.#lidar.objects(set, ego, enu, detections);
    const scans: PlacedScan[] = [];
    for (const frame of set.frames.values()) {
      const extrinsic = frame.modality === 'radar' ? this.#radars.get(frame.sensorId) : undefined;
      if (frame.modality === 'radar' && extrinsic) scans.push({ scan: frame, extrinsic });
    }
    if (scans.length === 0) return { objects, measured: new Set() };
    let nextId = objects.reduce((m, o) => Math.max(m, o.id), -1) + 1;
    const { radarOnly, measured } = fuseRadar(objects, scans, ego?.speed ?? 0, { ...DEFAULT_RADAR_FUSION, radarOnlyBeyondM: this.#radarOnlyBeyondM }, () => nextId++);
    for (const o of radarOnly) {
      Object.assign(o, worldPosition(o.position, ego, enu), { classSource: 'radar' as const });
      objects.push(o);
    }
    return { objects, measured };
  }
}
