import type { Rig } from '../config/rig-schema.js';
import { sensorExtrinsic } from '../config/load-rig.js';
import type { FrameSet } from '../core/frames.js';
import type { EnuFrame } from '../core/geodesy.js';
import type { Transform } from '../core/geometry.js';
import type { DetectedObject, EgoPose } from '../events/perception-event.js';
import { LidarObjects } from './lidar-objects.js';
import { DEFAULT_RADAR_FUSION, fuseRadar, type PlacedScan } from './radar-fusion.js';
import { worldPosition } from './world-position.js';

/**
 * Late fusion of one FrameSet: LiDAR clusters classed by shape, radar velocity for the objects it
 * sees, radar-only objects beyond LiDAR range, every object also in WGS84.
 */
export class SetFusion {
  readonly #lidar: LidarObjects | undefined;
  readonly #radars: Map<string, Transform>;
  readonly #radarOnlyBeyondM: number;

  constructor(rig: Rig) {
    const clusters = rig.fusion.lidarClusters;
    this.#lidar = clusters ? new LidarObjects(rig, clusters) : undefined;
    this.#radars = new Map(rig.sensors.filter((s) => s.modality === 'radar').map((s) => [s.id, sensorExtrinsic(s)]));
    this.#radarOnlyBeyondM = clusters?.rangeM ?? 0;
  }

  get enabled(): boolean {
    return this.#lidar !== undefined;
  }

  fuse(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
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
