/**
 * Labelled 2D boxes of a nuScenes camera image for detection recall: the sample's 3D boxes (LiDAR
 * frame, centre z, as the importer reads them) projected through the camera (native/camera-models'
 * nuscenesCameras: cam2img and lidar2cam), as nuScenes' own 2D export does: the corners in front
 * of the camera, their bounding rectangle clipped to the image. The info file has no visibility
 * level, so occlusion is left to `minLidarPoints`; truncation is the share of the unclipped
 * rectangle outside the image (1 when a corner is behind the camera).
 */
import type { BoxXYXY } from '../encode/letterbox.js';
import type { NuscenesInfo } from '../../scenarios/import/nuscenes-info.js';
import { nuscenesCameras } from '../../native/camera-models.js';
import type { ProjectionCamera } from '../../native/project.js';
import type { TruthBox } from './detection-recall.js';

export interface ProjectedBox {
  /** Clipped to the image. */
  box: BoxXYXY;
  /** 0 (all inside the image) .. 1 (all outside, or partly behind the camera). */
  truncation: number;
  /** Distance of the box centre along the camera's axis, metres. */
  depth: number;
}

/** [x, y, z, l, w, h, yaw] (sensor frame, z the centre) in a camera's image; undefined when no corner is in front of it. */
export function projectBox3d(bbox: readonly number[], camera: ProjectionCamera): ProjectedBox | undefined {
  const [x, y, z, l, w, h, yaw] = bbox;
  const m = camera.cameraFromSensor;
  const toCamera = (px: number, py: number, pz: number): [number, number, number] => [
    m[0] * px + m[1] * py + m[2] * pz + m[3],
    m[4] * px + m[5] * py + m[6] * pz + m[7],
    m[8] * px + m[9] * py + m[10] * pz + m[11],
  ];
  const cos = Math.cos(yaw);
  const sin = Math.sin(yaw);
  const us: number[] = [];
  const vs: number[] = [];
  let behind = false;
  for (const dx of [-l / 2, l / 2]) for (const dy of [-w / 2, w / 2]) for (const dz of [-h / 2, h / 2]) {
    const [cx, cy, cz] = toCamera(x + dx * cos - dy * sin, y + dx * sin + dy * cos, z + dz);
    if (!(cz > 0)) {
      behind = true;
      continue;
    }
    us.push(camera.fx * (cx / cz) + camera.cx);
    vs.push(camera.fy * (cy / cz) + camera.cy);
  }
  if (us.length === 0) return undefined;
  const raw: BoxXYXY = [Math.min(...us), Math.min(...vs), Math.max(...us), Math.max(...vs)];
  const clip = (v: number, max: number): number => Math.min(Math.max(v, 0), max);
  const box: BoxXYXY = [clip(raw[0], camera.width), clip(raw[1], camera.height), clip(raw[2], camera.width), clip(raw[3], camera.height)];
  const area = (b: BoxXYXY): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
  const truncation = behind ? 1 : area(raw) > 0 ? 1 - area(box) / area(raw) : 1;
  return { box, truncation, depth: toCamera(x, y, z)[2] };
}

export interface NuscenesBoxFilter {
  /** nuScenes (mmdet3d) categories counted, and the category each counts under: { car: 'car', pedestrian: 'pedestrian' }. */
  categories: Readonly<Record<string, string>>;
  /** Minimum clipped box height, pixels. */
  minHeight: number;
  maxTruncation: number;
  /** Boxes with fewer LiDAR points are left out (nuScenes' own evaluation drops those with none). */
  minLidarPoints: number;
}

/** The boxes of one camera ('CAM_FRONT', …) of sample `sample` that the filter admits. */
export function nuscenesTruthBoxes(info: NuscenesInfo, cameraName: string, filter: NuscenesBoxFilter, sample = 0): TruthBox[] {
  const camera = nuscenesCameras(info, { sample }).find((c) => c.name === cameraName);
  if (!camera) throw new RangeError(`sample ${sample} has no camera ${cameraName}`);
  const names: string[] = [];
  for (const [name, index] of Object.entries(info.metainfo.categories)) names[index] = name;
  const boxes: TruthBox[] = [];
  for (const instance of info.data_list[sample].instances) {
    const name = names[instance.bbox_label_3d];
    if (name === undefined || !Object.hasOwn(filter.categories, name)) continue;
    if ((instance.num_lidar_pts ?? 0) < filter.minLidarPoints) continue;
    const projected = projectBox3d(instance.bbox_3d, camera.camera);
    if (!projected || projected.truncation > filter.maxTruncation || projected.box[3] - projected.box[1] < filter.minHeight) continue;
    boxes.push({ box: projected.box, category: filter.categories[name] });
  }
  return boxes;
}
