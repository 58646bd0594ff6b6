import { describe, expect, it } from 'vitest';
import { IDENTITY_TRANSFORM, OPTICAL_TO_BODY, quatFromYaw, quatMultiply, type Transform } from '../core/geometry.js';
import type { Detection2D } from '../encode/encoded-set.js';
import { cameraFromSensorTransform, cameraModelFor, projectPoints, type ProjectionCamera } from '../../native/project.js';
import { classifyByCameras, COCO_TO_CLASS, type CameraView } from './camera-class.js';

/** A pinhole camera at 1.5 m looking along the yaw (degrees) in base_link. */
function view(sensorId: string, yawDeg: number): CameraView {
  const extrinsic: Transform = { translation: { x: 1.5, y: 0, z: 1.5 }, rotation: quatMultiply(quatFromYaw((yawDeg * Math.PI) / 180), OPTICAL_TO_BODY) };
  const camera = cameraModelFor(
    { width: 1600, height: 900, fx: 1266, fy: 1266, cx: 800, cy: 450, distortionModel: 'none', distortion: [] },
    cameraFromSensorTransform(extrinsic, IDENTITY_TRANSFORM),
  );
  return { sensorId, camera };
}

interface Box3 {
  cx: number;
  cy: number;
  length: number;
  width: number;
  yaw: number;
  minZ: number;
  maxZ: number;
}

const asCluster = (b: Box3, id: number) => ({ id, minZ: b.minZ, maxZ: b.maxZ, box: { cx: b.cx, cy: b.cy, length: b.length, width: b.width, yaw: b.yaw } });

/** The image rectangle of a box, shrunk or grown about its centre by `scale`. */
function rectOf(b: Box3, camera: ProjectionCamera, scale = 1): [number, number, number, number] {
  const pts = new Float32Array(24);
  const c = Math.cos(b.yaw), s = Math.sin(b.yaw);
  for (let i = 0; i < 8; i++) {
    const u = (i & 1 ? 0.5 : -0.5) * b.length, v = (i & 2 ? 0.5 : -0.5) * b.width;
    pts.set([b.cx + c * u - s * v, b.cy + s * u + c * v, i & 4 ? b.maxZ : b.minZ], 3 * i);
  }
  const { u, v } = projectPoints(pts, 3, camera);
  const [x1, y1, x2, y2] = [Math.min(...u), Math.min(...v), Math.max(...u), Math.max(...v)];
  const mx = (x1 + x2) / 2, my = (y1 + y2) / 2, hw = ((x2 - x1) / 2) * scale, hh = ((y2 - y1) / 2) * scale;
  return [mx - hw, my - hh, mx + hw, my + hh];
}

function detection(sensorId: string, label: string, score: number, box: [number, number, number, number]): Detection2D {
  return { sensorId, classId: 0, label, score, box, encoder: 'coco' };
}

const front = view('cam_front', 0);
const left = view('cam_front_left', 55);
const carAhead: Box3 = { cx: 20, cy: 1, length: 4.5, width: 1.9, yaw: 0, minZ: 0, maxZ: 1.6 };
const rider: Box3 = { cx: 12, cy: -3, length: 1.8, width: 0.6, yaw: 0, minZ: 0, maxZ: 1.7 };

describe('classifyByCameras', () => {
  it('maps COCO road users to percept classes', () => {
    expect(COCO_TO_CLASS).toMatchObject({ car: 'car', truck: 'truck', bus: 'bus', person: 'pedestrian', bicycle: 'cyclist', motorcycle: 'cyclist' });
    expect(COCO_TO_CLASS['traffic light']).toBeUndefined();
  });

  it('classes each box by the detection it projects onto, one to one per camera', () => {
    const detections = [
      detection('cam_front', 'truck', 0.8, rectOf(carAhead, front.camera, 1.05)),
      detection('cam_front', 'person', 0.7, rectOf(rider, front.camera, 0.95)),
      // Not a road user: left out before association.
      detection('cam_front', 'traffic light', 0.9, rectOf(carAhead, front.camera)),
    ];
    const classes = classifyByCameras([asCluster(carAhead, 0), asCluster(rider, 1)], [front, left], detections);
    expect(classes[0]).toMatchObject({ label: 'truck', score: 0.8, sensorId: 'cam_front' });
    expect(classes[0]!.iou).toBeGreaterThan(0.8);
    expect(classes[1]).toMatchObject({ label: 'pedestrian', score: 0.7 });
  });

  it('takes a person on a bicycle for a cyclist', () => {
    const detections = [
      detection('cam_front', 'person', 0.7, rectOf({ ...rider, length: 0.7 }, front.camera)),
      detection('cam_front', 'bicycle', 0.6, rectOf(rider, front.camera, 0.9)),
    ];
    expect(classifyByCameras([asCluster(rider, 0)], [front], detections)[0]?.label).toBe('cyclist');
  });

  it('takes the most confident camera where two see the object', () => {
    const between: Box3 = { ...carAhead, cx: 12, cy: 6 };
    const classes = classifyByCameras([asCluster(between, 0)], [front, left], [
      detection('cam_front', 'car', 0.6, rectOf(between, front.camera)),
      detection('cam_front_left', 'bus', 0.9, rectOf(between, left.camera)),
    ]);
    expect(classes[0]).toMatchObject({ label: 'bus', sensorId: 'cam_front_left' });
  });

  it('leaves a box unclassed where detections overlap it less than the threshold, or where there are none', () => {
    const r = rectOf(carAhead, front.camera);
    const shifted: [number, number, number, number] = [r[2] - 0.3 * (r[2] - r[0]), r[1], r[2] + 0.7 * (r[2] - r[0]), r[3]];
    expect(classifyByCameras([asCluster(carAhead, 0)], [front], [detection('cam_front', 'car', 0.9, shifted)])).toEqual([undefined]);
    expect(classifyByCameras([asCluster(carAhead, 0)], [front], [detection('cam_front', 'car', 0.9, shifted)], { iouThreshold: 0.1 })[0]?.label).toBe('car');
    expect(classifyByCameras([asCluster(carAhead, 0)], [front], [])).toEqual([undefined]);
    expect(classifyByCameras([], [front], [detection('cam_front', 'car', 0.9, r)])).toEqual([]);
  });
});
