import type { Rig } from '../config/rig-schema.js';
import { sensorCameraModel, sensorExtrinsic } from '../config/load-rig.js';
import { pointFloats, type FrameSet, type PointCloud } from '../core/frames.js';
import type { EnuFrame } from '../core/geodesy.js';
import { quatToEuler, transformPoint, type Transform } from '../core/geometry.js';
import type { DetectedObject, EgoPose } from '../events/perception-event.js';
import { clusterBev, type OrientedBox } from '../../native/cluster.js';
import { classifyByShape } from './shape-prior.js';
import { worldPosition } from './world-position.js';
import { cameraFromSensorTransform, cameraModelFor, projectPoints, type ProjectionCamera } from '../../native/project.js';

export interface LidarObjectsConfig {
  /** Half-width of the square grid around the LiDAR, metres. */
  rangeM: number;
  resolutionM: number;
  groundThresholdM: number;
  minPoints: number;
}

interface CameraView {
  sensorId: string;
  /** Camera model with cameraFromSensor = the LiDAR → camera transform. */
  camera: ProjectionCamera;
}

/**
 * Objects from LiDAR: each sweep of a set is split into
 * ground and clusters by the native kernels (BEV grid, per-cell ground, 8-connected components,
 * minimum-area boxes), every cluster becomes an object in base_link (and in WGS84 when an ego pose
 * is known), and the cameras whose image its centre projects into are named among its sources.
 * Their class comes from the cluster's shape (engine/fuse/shape-prior.ts), marked as such.
 */
export class LidarObjects {
  readonly #config: LidarObjectsConfig;
  readonly #lidars: Map<string, { extrinsic: Transform; yaw: number; cameras: CameraView[] }>;
  readonly #centre = new Float32Array(3);

  constructor(rig: Rig, config: LidarObjectsConfig) {
    this.#config = config;
    this.#lidars = new Map();
    const cameras = rig.sensors.filter((s) => s.modality === 'camera');
    for (const lidar of rig.sensors.filter((s) => s.modality === 'lidar')) {
      const extrinsic = sensorExtrinsic(lidar);
      const views = cameras.map((c) => ({
        sensorId: c.id,
        camera: cameraModelFor(sensorCameraModel(c)!, cameraFromSensorTransform(sensorExtrinsic(c), extrinsic)),
      }));
      this.#lidars.set(lidar.id, { extrinsic, yaw: quatToEuler(extrinsic.rotation).yaw, cameras: views });
    }
  }

  objects(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined): DetectedObject[] {
    const out: DetectedObject[] = [];
    for (const frame of set.frames.values()) {
      if (frame.modality !== 'lidar') continue;
      const lidar = this.#lidars.get(frame.sensorId);
      if (lidar) this.#objectsOf(frame, lidar, ego, enu, out);
    }
    return out;
  }

  #objectsOf(cloud: PointCloud, lidar: { extrinsic: Transform; yaw: number; cameras: CameraView[] }, ego: EgoPose | undefined, enu: EnuFrame | undefined, out: DetectedObject[]): void {
    const fields = ['x', 'y', 'z'].map((n) => cloud.fields.find((f) => f.name === n));
    if (fields.some((f) => f === undefined || f.type !== 'float32' || f.offset % 4 !== 0) || cloud.stride % 4 !== 0 || cloud.count === 0) return;
    let points: Float32Array;
    try {
      points = pointFloats(cloud);
    } catch {
      return; // a layout the kernels cannot take: no objects from this sweep
    }
    const { rangeM, resolutionM, groundThresholdM, minPoints } = this.#config;
    const result = clusterBev(points, cloud.stride / 4, { xMin: -rangeM, xMax: rangeM, yMin: -rangeM, yMax: rangeM, resolution: resolutionM }, {
      fields: { x: fields[0]!.offset / 4, y: fields[1]!.offset / 4, z: fields[2]!.offset / 4 },
      groundThreshold: groundThresholdM,
      minPoints,
    });
    for (const c of result.clusters) {
      const shape = classifyByShape({ length: c.box.length, width: c.box.width, height: c.maxZ - c.minZ, points: c.count });
      const box = completeBox(c.box, shape.label);
      const centreZ = (c.minZ + c.maxZ) / 2;
      const position = transformPoint(lidar.extrinsic, { x: box.cx, y: box.cy, z: centreZ });
      const sources = [cloud.sensorId];
      this.#centre[0] = box.cx;
      this.#centre[1] = box.cy;
      this.#centre[2] = centreZ;
      for (const view of lidar.cameras) {
        if (projectPoints(this.#centre, 3, view.camera).inImage[0]) sources.push(view.sensorId);
      }
      const { latitude, longitude } = worldPosition(position, ego, enu);
      out.push({
        id: c.id,
        label: shape.label,
        score: shape.score,
        classSource: 'shape',
        position,
        size: { x: box.length, y: box.width, z: c.maxZ - c.minZ },
        yaw: Math.atan2(Math.sin(box.yaw + lidar.yaw), Math.cos(box.yaw + lidar.yaw)),
        velocity: { x: 0, y: 0, z: 0 },
        latitude,
        longitude,
        covariance: [],
        ageS: 0,
        sources,
      });
    }
  }
}

/** Typical footprints (length, width) of the classes whose clusters show only their near faces. */
const PRIOR_FOOTPRINT: Partial<Record<string, { length: number; width: number }>> = {
  car: { length: 4.5, width: 1.9 },
  truck: { length: 8, width: 2.5 },
};

/**
 * A cluster's box holds only the faces the LiDAR sees: for classes with a known footprint, grow the
 * box to it on the far side, away from the sensor (the sensor is at the origin of the box's frame),
 * so that its centre moves towards the object's real centre.
 */
export function completeBox(box: OrientedBox, label: string): OrientedBox {
  const prior = PRIOR_FOOTPRINT[label];
  if (!prior) return box;
  const ux = Math.cos(box.yaw), uy = Math.sin(box.yaw);
  const along = ux * box.cx + uy * box.cy;
  const across = -uy * box.cx + ux * box.cy;
  const growLength = Math.max(0, prior.length - box.length) / 2;
  const growWidth = Math.max(0, prior.width - box.width) / 2;
  const shiftAlong = Math.sign(along) * growLength;
  const shiftAcross = Math.sign(across) * growWidth;
  return {
    cx: box.cx + ux * shiftAlong - uy * shiftAcross,
    cy: box.cy + uy * shiftAlong + ux * shiftAcross,
    length: Math.max(box.length, prior.length),
    width: Math.max(box.width, prior.width),
    yaw: box.yaw,
  };
}
