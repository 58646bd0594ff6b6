import { associateBoxes, type AssociableCluster, type CameraModel } from '../../native/associate.js';
import type { Detection2D } from '../encode/encoded-set.js';

/**
 * Classes of LiDAR objects from camera detections, by frustum association: each object's 3D box is
 * projected into every camera that has detections (its 8 corners, plumb_bob distortion, the
 * bounding rectangle clipped to the image), compared by IoU with that camera's 2D boxes and
 * matched one to one per camera (native associateBoxes). An object matched in several cameras
 * takes the most confident detection.
 */

/** COCO detector classes that name road users, as percept's classes; other COCO classes are ignored. */
export const COCO_TO_CLASS: Readonly<Record<string, string>> = {
  car: 'car',
  truck: 'truck',
  bus: 'bus',
  person: 'pedestrian',
  bicycle: 'cyclist',
  motorcycle: 'cyclist',
};

export interface CameraView {
  sensorId: string;
  /** Camera model whose cameraFromSensor maps the boxes' frame (base_link) into the camera. */
  camera: CameraModel;
}

export interface CameraClass {
  label: string;
  /** The detection's score. */
  score: number;
  /** The camera whose detection gave the class. */
  sensorId: string;
  iou: number;
}

export interface CameraClassOptions {
  /** A projected box and a detection overlapping less than this are not associated. */
  iouThreshold: number;
}

export const DEFAULT_CAMERA_IOU = 0.3;

/** The camera class of each box, or undefined where no camera detection matches it. */
export function classifyByCameras(
  boxes: readonly AssociableCluster[],
  views: readonly CameraView[],
  detections: readonly Detection2D[],
  options: CameraClassOptions = { iouThreshold: DEFAULT_CAMERA_IOU },
): (CameraClass | undefined)[] {
  const out: (CameraClass | undefined)[] = boxes.map(() => undefined);
  if (boxes.length === 0) return out;
  const perCamera = views.map((v) => detections.filter((d) => d.sensorId === v.sensorId && COCO_TO_CLASS[d.label] !== undefined));
  const used = views.map((_, c) => c).filter((c) => perCamera[c].length > 0);
  if (used.length === 0) return out;
  const lists = used.map((c) => perCamera[c]);
  const result = associateBoxes(boxes, used.map((c) => views[c].camera), lists.map((list) => list.flatMap((d) => d.box)), { iouThreshold: options.iouThreshold });
  const total = result.boxOffsets[used.length];
  for (const a of result.assignments) {
    const list = lists[a.camera];
    const detection = list[a.box];
    let label = COCO_TO_CLASS[detection.label];
    // A rider is detected as a person and a bicycle: a person on a two-wheeler is a cyclist.
    if (label === 'pedestrian') {
      const first = result.boxOffsets[a.camera];
      const onTwoWheeler = list.some((d, j) => COCO_TO_CLASS[d.label] === 'cyclist' && result.iou[a.cluster * total + first + j] >= options.iouThreshold);
      if (onTwoWheeler) label = 'cyclist';
    }
    const current = out[a.cluster];
    if (!current || detection.score > current.score || (detection.score === current.score && a.iou > current.iou)) {
      out[a.cluster] = { label, score: detection.score, sensorId: views[used[a.camera]].sensorId, iou: a.iou };
    }
  }
  return out;
}
