import { describe, expect, it } from 'vitest';
import { sensorCameraModel, sensorExtrinsic, validateRig } from '../config/load-rig.js';
import type { RigInput } from '../config/rig-schema.js';
import type { FrameSet, PointCloud } from '../core/frames.js';
import { IDENTITY_TRANSFORM } from '../core/geometry.js';
import type { Detection2D } from '../encode/encoded-set.js';
import { cameraFromSensorTransform, cameraModelFor, projectPoints } from '../../native/project.js';
import { completeBox, fragmentOwners, LidarObjects, orientVisible, type GroundBox } from './lidar-objects.js';
import { SetFusion } from './set-fusion.js';

/** The LiDAR and front camera of the default rig. */
const LIDAR = { x: 0.94, y: 0, z: 1.84 };
const RIG: RigInput = {
  name: 'test',
  sensors: [
    {
      id: 'cam_front', modality: 'camera', rateHz: 12,
      extrinsic: { translation: [1.7, 0.02, 1.5], rotation: { quaternion: [0.5, -0.5, 0.5, -0.5] } },
      camera: { width: 1600, height: 900, fx: 1266.42, fy: 1266.42, cx: 816.27, cy: 491.51 },
    },
    { id: 'lidar_top', modality: 'lidar', rateHz: 20, extrinsic: { translation: [LIDAR.x, LIDAR.y, LIDAR.z], rotation: { rpy: [0, 0, 0] } } },
  ],
  sync: { policy: 'nearest', reference: 'lidar_top' },
};

function lidarObjects(clusters: Record<string, unknown> = {}): LidarObjects {
  const rig = validateRig({ ...RIG, fusion: { lidarClusters: { minPoints: 4, linkRadius: 2, maxGroundZ: 0.6, ...clusters } } });
  return new LidarObjects(rig, rig.fusion.lidarClusters!);
}

/** An axis-aligned box standing on the ground, base_link. */
interface Box {
  cx: number;
  cy: number;
  length: number;
  width: number;
  height: number;
}

/** Whether the segment from the LiDAR to p passes through a box before reaching p. */
function hidden(p: { x: number; y: number; z: number }, boxes: readonly Box[]): boolean {
  return boxes.some((b) => {
    let near = 0, far = 0.999;
    const lo = [b.cx - b.length / 2, b.cy - b.width / 2, 0], hi = [b.cx + b.length / 2, b.cy + b.width / 2, b.height];
    const o = [LIDAR.x, LIDAR.y, LIDAR.z], d = [p.x - LIDAR.x, p.y - LIDAR.y, p.z - LIDAR.z];
    for (let k = 0; k < 3; k++) {
      if (Math.abs(d[k]) < 1e-12) {
        if (o[k] < lo[k] || o[k] > hi[k]) return false;
        continue;
      }
      const t1 = (lo[k] - o[k]) / d[k], t2 = (hi[k] - o[k]) / d[k];
      near = Math.max(near, Math.min(t1, t2));
      far = Math.min(far, Math.max(t1, t2));
      if (near > far) return false;
    }
    return true;
  });
}

/**
 * A sweep of a flat ground (a 0.3 m raster) and the faces of the boxes that the LiDAR sees, every
 * point hidden behind a box left out; `extra` points are added as they are. In the LiDAR frame.
 */
function sweep(boxes: readonly Box[], extra: { x: number; y: number; z: number }[] = []): FrameSet {
  const pts: { x: number; y: number; z: number }[] = [];
  for (let x = -5; x <= 45; x += 0.3) for (let y = -12; y <= 12; y += 0.3) pts.push({ x, y, z: 0 });
  for (const b of boxes) {
    const x0 = b.cx - b.length / 2, x1 = b.cx + b.length / 2, y0 = b.cy - b.width / 2, y1 = b.cy + b.width / 2;
    for (let z = 0.05; z <= b.height; z += 0.12) {
      for (let y = y0; y <= y1 + 1e-9; y += 0.06) pts.push({ x: x0, y, z }, { x: x1, y, z });
      for (let x = x0; x <= x1 + 1e-9; x += 0.06) pts.push({ x, y: y0, z }, { x, y: y1, z });
    }
    for (let x = x0; x <= x1; x += 0.15) for (let y = y0; y <= y1; y += 0.15) pts.push({ x, y, z: b.height });
  }
  const visible = pts.filter((p) => !(p.z === 0 && boxes.some((b) => Math.abs(p.x - b.cx) < b.length / 2 && Math.abs(p.y - b.cy) < b.width / 2)) && !hidden(p, boxes));
  visible.push(...extra);
  const floats = new Float32Array(3 * visible.length);
  visible.forEach((p, i) => floats.set([p.x - LIDAR.x, p.y - LIDAR.y, p.z - LIDAR.z], 3 * i));
  const cloud: PointCloud = {
    modality: 'lidar', sensorId: 'lidar_top', frameId: 'lidar_top', stamp: 1n, receivedAt: 1n, seq: 0,
    fields: [{ name: 'x', offset: 0, type: 'float32' }, { name: 'y', offset: 4, type: 'float32' }, { name: 'z', offset: 8, type: 'float32' }],
    stride: 12, count: visible.length, data: new Uint8Array(floats.buffer),
  };
  return { stamp: 1n, frames: new Map([['lidar_top', cloud]]), missing: [], formedAt: 1n, seq: 0 };
}

const car = (cx: number, cy: number): Box => ({ cx, cy, length: 4.5, width: 1.9, height: 1.6 });

/** A camera detection whose box is where the box projects into the front camera. */
function detectionOf(b: Box, label: string, score: number): Detection2D {
  const sensor = validateRig(RIG).sensors[0];
  const camera = cameraModelFor(sensorCameraModel(sensor)!, cameraFromSensorTransform(sensorExtrinsic(sensor), IDENTITY_TRANSFORM));
  const corners = new Float32Array(24);
  for (let i = 0; i < 8; i++) {
    corners.set([b.cx + (i & 1 ? 0.5 : -0.5) * b.length, b.cy + (i & 2 ? 0.5 : -0.5) * b.width, i & 4 ? b.height : 0], 3 * i);
  }
  const { u, v } = projectPoints(corners, 3, camera);
  return {
    sensorId: 'cam_front', classId: 0, label, score, encoder: 'detector',
    box: [Math.min(...u), Math.min(...v), Math.max(...u), Math.max(...v)],
  };
}

const yawOff = (yaw: number): number => Math.abs(Math.atan2(Math.sin(2 * yaw), Math.cos(2 * yaw))) / 2;

describe('LidarObjects', () => {
  it('places a car seen on its rear and one side at its centre, at its size', () => {
    const objects = lidarObjects().objects(sweep([car(20, 2.5)]), undefined, undefined);
    expect(objects).toHaveLength(1);
    const [o] = objects;
    expect(o).toMatchObject({ label: 'car', classSource: 'shape' });
    expect(Math.hypot(o.position.x - 20, o.position.y - 2.5)).toBeLessThan(0.25);
    expect(o.size.x).toBeCloseTo(4.5, 1);
    expect(o.size.y).toBeCloseTo(1.9, 1);
    expect(yawOff(o.yaw)).toBeLessThan(0.05);
    // Its height is taken above the ground around it, and its centre z half-way up (nuScenes' box centre).
    expect(o.size.z).toBeCloseTo(1.6, 1);
    expect(o.position.z).toBeCloseTo(0.8, 1);
    expect(o.sources).toEqual(['lidar_top', 'cam_front']);
  });

  it('places a car seen end-on, only its rear visible, half a car length behind that face', () => {
    const [o] = lidarObjects().objects(sweep([car(25, 0)]), undefined, undefined);
    expect(o.label).toBe('car');
    expect(Math.hypot(o.position.x - 25, o.position.y)).toBeLessThan(0.25);
  });

  it('keeps a pedestrian whose legs a car hides: with maxGroundZ the rest is not taken for ground', () => {
    // The LiDAR sees over the car's roof: the pedestrian's head and shoulders, and no ground near them.
    const scene = sweep([car(20, 2), { cx: 28, cy: 2.2, length: 0.6, width: 0.6, height: 1.75 }]);
    const near = (objects: { position: { x: number; y: number } }[]) => objects.filter((o) => Math.hypot(o.position.x - 28, o.position.y - 2.2) < 1);
    expect(near(lidarObjects().objects(scene, undefined, undefined))).toHaveLength(1);
    expect(near(lidarObjects({ maxGroundZ: undefined }).objects(scene, undefined, undefined))).toHaveLength(0);
  });

  it('joins the pieces a sparse roof splits off a car passing alongside', () => {
    // The car's near side, and a piece of a roof ring at its far rear corner, 1.7 m from the side.
    const side: { x: number; y: number; z: number }[] = [];
    for (let x = -1.25; x <= 3.25; x += 0.06) for (let z = 0.3; z <= 1.5; z += 0.12) side.push({ x, y: -2.55, z });
    const roof = Array.from({ length: 8 }, (_, i) => ({ x: -1.2 + 0.07 * i, y: -4.3, z: 1.6 }));
    const objects = lidarObjects().objects(sweep([], [...side, ...roof]), undefined, undefined);
    expect(objects).toHaveLength(1);
    expect(objects[0].label).toBe('car');
    expect(Math.hypot(objects[0].position.x - 1, objects[0].position.y + 3.5)).toBeLessThan(0.3);
  });

  it('takes the class of a camera detection its box projects onto, and completes the box for that class', () => {
    const truckEnd = { cx: 25, cy: 0, length: 4.5, width: 2.4, height: 2.9 };
    const detections = [detectionOf({ ...truckEnd, length: 8, cx: 26.75 }, 'truck', 0.83), detectionOf(car(12, -6), 'traffic light', 0.9)];
    const [o] = lidarObjects().objects(sweep([truckEnd]), undefined, undefined, detections);
    expect(o).toMatchObject({ label: 'truck', score: 0.83, classSource: 'camera' });
    expect(o.sources).toContain('cam_front');
    // The truck's typical length (8 m) behind the face the LiDAR sees.
    expect(o.position.x).toBeCloseTo(22.75 + 4, 1);
    expect(o.size.x).toBeCloseTo(8, 5);
  });

  it('carries the camera class through the tracker', () => {
    const rig = validateRig({ ...RIG, fusion: { lidarClusters: { minPoints: 4, linkRadius: 2, maxGroundZ: 0.6 } } });
    const fusion = new SetFusion(rig);
    const scene = sweep([car(25, 0)]);
    const detections = [detectionOf(car(25, 0), 'car', 0.9)];
    let objects = fusion.fuse(scene, undefined, undefined, detections);
    for (let k = 1; k < 3; k++) objects = fusion.fuse({ ...scene, stamp: BigInt(k) * 50_000_000n + 1n }, undefined, undefined, detections);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ label: 'car', classSource: 'camera' });
    expect(Math.hypot(objects[0].position.x - 25, objects[0].position.y)).toBeLessThan(0.25);
  });

  it('keeps the shape class where no camera detection falls on the object', () => {
    const [o] = lidarObjects().objects(sweep([car(25, 0)]), undefined, undefined, [detectionOf(car(30, 8), 'car', 0.9)]);
    expect(o).toMatchObject({ label: 'car', classSource: 'shape' });
  });
});

describe('orientVisible', () => {
  const rect = (yaw: number, u: number, v: number) => ({ yaw, minU: 0, maxU: u, minV: -v / 2, maxV: v / 2 });

  it('takes a side longer than any vehicle is wide as the length', () => {
    const b = orientVisible(rect(1.2, 4.5, 0.2));
    expect(b).toMatchObject({ length: 4.5, width: 0.2 });
    expect(b.yaw).toBeCloseTo(1.2, 9);
  });

  it('otherwise takes the side nearer the ego heading as the length', () => {
    // A 1.8 m face across the ego's heading: a car ahead seen end-on.
    expect(orientVisible(rect(0.1, 0.1, 1.8))).toMatchObject({ length: 0.1, width: 1.8, yaw: 0.1 });
    // The same face along the ego's heading: a cyclist beside it.
    const b = orientVisible(rect(1.2, 0.1, 1.8));
    expect(b).toMatchObject({ length: 1.8, width: 0.1 });
    expect(b.yaw).toBeCloseTo(1.2 + Math.PI / 2 - Math.PI, 9);
  });
});

describe('completeBox', () => {
  const prior = { length: 4.5, width: 1.9 };

  it('grows a box away from the sensor to the prior size', () => {
    const end: GroundBox = { cx: 20, cy: 0, yaw: 0, length: 0.1, width: 1.8 };
    const b = completeBox(end, prior, { x: 0.94, y: 0 });
    expect(b.cx).toBeCloseTo(19.95 + 2.25, 9);
    // The sensor lies within the face's width: it grows both ways.
    expect(b.cy).toBeCloseTo(0, 9);
    expect([b.length, b.width]).toEqual([4.5, 1.9]);
    // Seen from the other end it grows the other way.
    expect(completeBox({ ...end, cx: -20 }, prior, { x: 0.94, y: 0 }).cx).toBeCloseTo(-19.95 - 2.25, 9);
  });

  it('moves a side seen alongside away from the sensor by half the missing width', () => {
    const side: GroundBox = { cx: 1, cy: -2.6, yaw: Math.PI, length: 4.5, width: 0.1 };
    const b = completeBox(side, prior, { x: 0.94, y: 0 });
    expect(b.cy).toBeCloseTo(-2.55 - 0.95, 9);
    expect(b.cx).toBeCloseTo(1, 9);
  });

  it('keeps a box larger than the prior, and one without a prior', () => {
    const big: GroundBox = { cx: 20, cy: 0, yaw: 0, length: 6, width: 2.2 };
    expect(completeBox(big, prior, { x: 0, y: 0 })).toEqual(big);
    expect(completeBox(big, undefined, { x: 0, y: 0 })).toBe(big);
  });
});

describe('fragmentOwners', () => {
  const part = (label: string, count: number, visible: GroundBox, box = visible) => ({ count, visible, box, shape: { label } });

  it('gives a non-vehicle piece inside a vehicle box to the largest such vehicle, and keeps the rest', () => {
    const carBox: GroundBox = { cx: 1, cy: -3.5, yaw: 0, length: 4.5, width: 1.9 };
    const owners = fragmentOwners([
      part('car', 900, carBox),
      part('pedestrian', 20, { cx: -1, cy: -4.3, yaw: 0, length: 0.5, width: 0.2 }),
      part('pedestrian', 30, { cx: 1, cy: -6, yaw: 0, length: 0.7, width: 0.7 }),
      part('car', 400, { cx: 20, cy: 0, yaw: 0, length: 4.5, width: 1.9 }),
    ]);
    expect([...owners]).toEqual([0, 0, 2, 3]);
  });
});
