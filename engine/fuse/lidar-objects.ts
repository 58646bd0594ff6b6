import type { Rig } from '../config/rig-schema.js';
import { sensorCameraModel, sensorExtrinsic } from '../config/load-rig.js';
import { pointFloats, type FrameSet, type PointCloud } from '../core/frames.js';
import type { EnuFrame } from '../core/geodesy.js';
import { IDENTITY_TRANSFORM, quatToMatrix3, type Transform } from '../core/geometry.js';
import type { Detection2D } from '../encode/encoded-set.js';
import type { DetectedObject, EgoPose } from '../events/perception-event.js';
import { clusterBev, LABEL_GROUND } from '../../native/cluster.js';
import { cameraFromSensorTransform, cameraModelFor, projectToCameras } from '../../native/project.js';
import { fitLShape, type FittedRect } from './box-fit.js';
import { classifyByCameras, DEFAULT_CAMERA_IOU, type CameraView } from './camera-class.js';
import { CLASS_SIZE, classifyByShape } from './shape-prior.js';
import { worldPosition } from './world-position.js';

export interface LidarObjectsConfig {
  /** Half-width of the square grid around the LiDAR, metres. */
  rangeM: number;
  resolutionM: number;
  groundThresholdM: number;
  minPoints: number;
  /** A cell whose lowest point is higher than this (base_link z, metres) holds no ground; undefined: no limit. */
  maxGroundZ?: number;
  /** Occupied cells within this many cells of each other join one cluster; default 1 (touching cells). */
  linkRadius?: number;
  /** Camera detections and projected boxes overlapping less than this are not associated. */
  cameraIouThreshold?: number;
}

/** A box in the ground plane: centre, heading of its length axis, length along it and width across. */
export interface GroundBox {
  cx: number;
  cy: number;
  yaw: number;
  length: number;
  width: number;
}

/** An object as found in one sweep, with what completing its box for another class needs. */
interface Found {
  object: DetectedObject;
  /** The fitted box of the faces the LiDAR saw. */
  visible: GroundBox;
  /** The LiDAR's position in base_link. */
  sensor: { x: number; y: number };
}

interface LidarView {
  extrinsic: Transform;
  /** Row-major rotation of the extrinsic. */
  rotation: number[];
}

/** One cluster's points (base_link x, y interleaved) and what was made of them. */
interface Part {
  points: Float64Array;
  count: number;
  top: number;
  bottom: number;
  visible: GroundBox;
  /** Ground under it (or its lowest point, if lower), base_link z. */
  base: number;
  height: number;
  shape: ReturnType<typeof classifyByShape>;
  /** The visible box completed for its shape's class. */
  box: GroundBox;
}

/** A visible side this long is no vehicle's width (trucks and buses are up to 2.6 m wide), metres. */
const LONG_SIDE_M = 3;
/** A fragment whose centre lies this close to a vehicle's completed box belongs to that vehicle, metres. */
const FRAGMENT_MARGIN_M = 0.3;
const VEHICLE_CLASSES = new Set(['car', 'truck', 'bus']);

/** Ground heights are kept on a grid this coarse: the ground changes slowly, and objects hide what is under them. */
const GROUND_CELL_M = 2;
/** Every this many-th ground point goes into the ground grid. */
const GROUND_SAMPLE = 4;
/** How far (in coarse cells) to look for ground under an object before giving up. */
const GROUND_SEARCH_CELLS = 5;

/**
 * Objects from LiDAR. Each sweep is split into ground and clusters by the native kernels (BEV
 * grid, per-cell lowest point as the ground reference up to maxGroundZ, components of occupied
 * cells within linkRadius). Every cluster's footprint is fitted with an L-shape, its height taken
 * above the ground around it, its class taken from camera detections where the set has some and
 * from its shape otherwise, and its box grown to the class's typical size on the sides the LiDAR
 * cannot see; pieces that gaps in a vehicle's points split off join it. Objects are in base_link
 * (and in WGS84 when an ego pose is known); the cameras whose image holds an object's centre are
 * named among its sources.
 */
export class LidarObjects {
  readonly #config: LidarObjectsConfig;
  readonly #lidars: Map<string, LidarView>;
  /** Every camera of the rig, with base_link → camera. */
  readonly #cameras: CameraView[];
  #labels = new Int32Array(0);
  #groundZ = new Float32Array(0);

  constructor(rig: Rig, config: LidarObjectsConfig) {
    this.#config = config;
    this.#lidars = new Map();
    for (const lidar of rig.sensors.filter((s) => s.modality === 'lidar')) {
      const extrinsic = sensorExtrinsic(lidar);
      this.#lidars.set(lidar.id, { extrinsic, rotation: quatToMatrix3(extrinsic.rotation) });
    }
    this.#cameras = rig.sensors.filter((s) => s.modality === 'camera').map((c) => ({
      sensorId: c.id,
      camera: cameraModelFor(sensorCameraModel(c)!, cameraFromSensorTransform(sensorExtrinsic(c), IDENTITY_TRANSFORM)),
    }));
  }

  objects(set: FrameSet, ego: EgoPose | undefined, enu: EnuFrame | undefined, detections: readonly Detection2D[] = []): DetectedObject[] {
    const found: Found[] = [];
    for (const frame of set.frames.values()) {
      if (frame.modality !== 'lidar') continue;
      const lidar = this.#lidars.get(frame.sensorId);
      if (lidar) this.#objectsOf(frame, lidar, found);
    }
    if (found.length > 0 && detections.length > 0) this.#classifyByCameras(found, detections);
    const out = found.map((f) => f.object);
    for (const o of out) Object.assign(o, worldPosition(o.position, ego, enu));
    this.#nameCameras(out);
    return out;
  }

  #objectsOf(cloud: PointCloud, lidar: LidarView, out: Found[]): void {
    const fields = ['x', 'y', 'z'].map((n) => cloud.fields.find((f) => f.name === n));
    if (fields.some((f) => f === undefined || f.type !== 'float32' || f.offset % 4 !== 0) || cloud.stride % 4 !== 0 || cloud.count === 0) return;
    let points: Float32Array;
    try {
      points = pointFloats(cloud);
    } catch {
      return; // a layout the kernels cannot take: no objects from this sweep
    }
    const { rangeM, resolutionM, groundThresholdM, minPoints, maxGroundZ } = this.#config;
    if (this.#labels.length < cloud.count) this.#labels = new Int32Array(cloud.count);
    const stride = cloud.stride / 4;
    const fx = fields[0]!.offset / 4, fy = fields[1]!.offset / 4, fz = fields[2]!.offset / 4;
    const t = lidar.extrinsic.translation;
    const result = clusterBev(points, stride, { xMin: -rangeM, xMax: rangeM, yMin: -rangeM, yMax: rangeM, resolution: resolutionM }, {
      fields: { x: fx, y: fy, z: fz },
      groundThreshold: groundThresholdM,
      // The kernel works in the sensor frame: exact for a level mount, close for a slightly tilted one.
      maxGroundZ: maxGroundZ === undefined ? Infinity : maxGroundZ - t.z,
      minPoints,
      linkRadius: this.#config.linkRadius,
      labels: this.#labels,
    });
    if (result.clusters.length === 0) return;

    const n = result.clusters.length;
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = start[i] + result.clusters[i].count;
    const side = Math.ceil((2 * rangeM) / GROUND_CELL_M);
    if (this.#groundZ.length < side * side) this.#groundZ = new Float32Array(side * side);
    const groundZ = this.#groundZ.fill(Infinity, 0, side * side);
    const { xy, top, bottom } = gatherPoints(points, cloud.count, stride, [fx, fy, fz], result.labels, start, lidar, rangeM, groundZ, side);
    const r = lidar.rotation;

    const sensor = { x: t.x, y: t.y };
    const describe = (points: Float64Array, count: number, high: number, low: number): Part => {
      const visible = orientVisible(fitLShape(points, count));
      // The object stands on the ground around it (its lowest points went with the ground): read
      // the grid where its centre is in the sensor's x, y.
      const sx = r[0] * (visible.cx - t.x) + r[3] * (visible.cy - t.y), sy = r[1] * (visible.cx - t.x) + r[4] * (visible.cy - t.y);
      const col = Math.floor((sx + rangeM) / GROUND_CELL_M), row = Math.floor((sy + rangeM) / GROUND_CELL_M);
      const base = Math.min(low, groundAround(groundZ, side, row, col));
      const height = high - base;
      const shape = classifyByShape({ length: visible.length, width: visible.width, height, points: count });
      return { points, count, top: high, bottom: low, visible, base, height, shape, box: completeBox(visible, CLASS_SIZE[shape.label], sensor) };
    };
    const parts = result.clusters.map((c, i) => describe(xy.subarray(2 * start[i], 2 * start[i + 1]), c.count, top[i], bottom[i]));
    const owners = fragmentOwners(parts);
    parts.forEach((part, i) => {
      if (owners[i] !== i) return;
      const members = parts.filter((_, k) => owners[k] === i);
      const whole = members.length === 1 ? part : describe(
        concatPoints(members),
        members.reduce((n, m) => n + m.count, 0),
        Math.max(...members.map((m) => m.top)),
        Math.min(...members.map((m) => m.bottom)),
      );
      const { box, shape, base, height } = whole;
      const object: DetectedObject = {
        id: result.clusters[i].id,
        label: shape.label,
        score: shape.score,
        classSource: 'shape',
        position: { x: box.cx, y: box.cy, z: base + height / 2 },
        size: { x: box.length, y: box.width, z: height },
        yaw: box.yaw,
        velocity: { x: 0, y: 0, z: 0 },
        latitude: NaN,
        longitude: NaN,
        covariance: [],
        ageS: 0,
        sources: [cloud.sensorId],
      };
      out.push({ object, visible: whole.visible, sensor });
    });
  }

  /** Camera classes replace shape classes, and the box is completed anew for the camera's class. */
  #classifyByCameras(found: Found[], detections: readonly Detection2D[]): void {
    const boxes = found.map(({ object: o }, i) => ({
      id: i,
      minZ: o.position.z - o.size.z / 2,
      maxZ: o.position.z + o.size.z / 2,
      box: { cx: o.position.x, cy: o.position.y, length: o.size.x, width: o.size.y, yaw: o.yaw },
    }));
    const classes = classifyByCameras(boxes, this.#cameras, detections, { iouThreshold: this.#config.cameraIouThreshold ?? DEFAULT_CAMERA_IOU });
    classes.forEach((cls, i) => {
      if (!cls) return;
      const { object: o, visible, sensor } = found[i];
      const box = completeBox(visible, CLASS_SIZE[cls.label], sensor);
      o.label = cls.label;
      o.score = cls.score;
      o.classSource = 'camera';
      o.position = { x: box.cx, y: box.cy, z: o.position.z };
      o.size = { x: box.length, y: box.width, z: o.size.z };
      o.yaw = box.yaw;
      if (!o.sources.includes(cls.sensorId)) o.sources.push(cls.sensorId);
    });
  }

  /** Names the cameras whose image holds each object's centre. */
  #nameCameras(objects: DetectedObject[]): void {
    if (objects.length === 0 || this.#cameras.length === 0) return;
    const centres = new Float32Array(3 * objects.length);
    objects.forEach((o, i) => centres.set([o.position.x, o.position.y, o.position.z], 3 * i));
    const { inImage } = projectToCameras(centres, 3, this.#cameras.map((v) => v.camera));
    this.#cameras.forEach((v, c) => {
      objects.forEach((o, i) => {
        if (inImage[c * objects.length + i] && !o.sources.includes(v.sensorId)) o.sources.push(v.sensorId);
      });
    });
  }
}

/**
 * Which side of a fitted rectangle is the object's length. A side longer than any vehicle is wide
 * is a side, so its length. Otherwise the rectangle cannot tell (a car's end and a cyclist's side
 * look alike, and so do a truck's end and a car's side seen in part), and the side nearer the
 * ego's own heading is taken: road users mostly move along the ego's road. Yaw in (−π/2, π/2].
 */
export function orientVisible(rect: FittedRect): GroundBox {
  const alongU = rect.maxU - rect.minU, alongV = rect.maxV - rect.minV;
  const cu = (rect.minU + rect.maxU) / 2, cv = (rect.minV + rect.maxV) / 2;
  const c = Math.cos(rect.yaw), s = Math.sin(rect.yaw);
  const cx = c * cu - s * cv, cy = s * cu + c * cv;
  const long = Math.max(alongU, alongV);
  const uIsLength = long >= LONG_SIDE_M ? alongU >= alongV : Math.abs(c) >= Math.abs(s);
  if (uIsLength) return { cx, cy, yaw: rect.yaw, length: alongU, width: alongV };
  const yaw = rect.yaw + Math.PI / 2;
  return { cx, cy, yaw: yaw > Math.PI / 2 ? yaw - Math.PI : yaw, length: alongV, width: alongU };
}

/**
 * A box holding only the faces the sensor sees, grown to a class's typical footprint on the far
 * side, away from the sensor, so that its centre moves towards the object's real centre. Along an
 * axis on which the sensor lies within the box (a car passing alongside), it grows both ways.
 */
export function completeBox(box: GroundBox, prior: { length: number; width: number } | undefined, sensor: { x: number; y: number }): GroundBox {
  if (!prior) return box;
  const ux = Math.cos(box.yaw), uy = Math.sin(box.yaw);
  // The sensor in the box's own axes, relative to its centre.
  const su = ux * (sensor.x - box.cx) + uy * (sensor.y - box.cy);
  const sv = -uy * (sensor.x - box.cx) + ux * (sensor.y - box.cy);
  const grow = (extent: number, target: number, s: number): number => {
    if (extent >= target || Math.abs(s) <= extent / 2) return 0;
    return -Math.sign(s) * (target - extent) / 2;
  };
  const shiftU = grow(box.length, prior.length, su);
  const shiftV = grow(box.width, prior.width, sv);
  return {
    cx: box.cx + ux * shiftU - uy * shiftV,
    cy: box.cy + uy * shiftU + ux * shiftV,
    yaw: box.yaw,
    length: Math.max(box.length, prior.length),
    width: Math.max(box.width, prior.width),
  };
}

/**
 * One pass over a sweep: each cluster's points in base_link (x, y interleaved, by cluster id from
 * `start`) with their highest and lowest z, and the lowest ground point (base_link z) of each
 * coarse cell, on a grid laid over the sensor's x, y like the kernels' grid.
 */
function gatherPoints(
  points: Float32Array, count: number, stride: number, [fx, fy, fz]: number[], labels: Int32Array, start: Int32Array,
  lidar: LidarView, rangeM: number, groundZ: Float32Array, side: number,
): { xy: Float64Array; top: Float64Array; bottom: Float64Array } {
  const n = start.length - 1;
  const fill = start.slice(0, n);
  const xy = new Float64Array(2 * start[n]);
  const top = new Float64Array(n).fill(-Infinity);
  const bottom = new Float64Array(n).fill(Infinity);
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = lidar.rotation;
  const { x: tx, y: ty, z: tz } = lidar.extrinsic.translation;
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    if (label < 0) {
      // A sample of the ground is plenty for a 2 m grid, and the ground is most of a sweep.
      if (label !== LABEL_GROUND || i % GROUND_SAMPLE !== 0) continue;
      const o = i * stride;
      const px = points[o + fx], py = points[o + fy];
      const col = Math.floor((px + rangeM) / GROUND_CELL_M), row = Math.floor((py + rangeM) / GROUND_CELL_M);
      if (col < 0 || col >= side || row < 0 || row >= side) continue;
      const z = r6 * px + r7 * py + r8 * points[o + fz] + tz;
      if (z < groundZ[row * side + col]) groundZ[row * side + col] = z;
      continue;
    }
    const o = i * stride;
    const px = points[o + fx], py = points[o + fy], pz = points[o + fz];
    const z = r6 * px + r7 * py + r8 * pz + tz;
    const k = fill[label]++;
    xy[2 * k] = r0 * px + r1 * py + r2 * pz + tx;
    xy[2 * k + 1] = r3 * px + r4 * py + r5 * pz + ty;
    if (z > top[label]) top[label] = z;
    if (z < bottom[label]) bottom[label] = z;
  }
  return { xy, top, bottom };
}

/**
 * Which cluster each cluster belongs to: itself, or the vehicle whose completed box holds its
 * centre. Sparse rings on a car's roof or a gap in its side split one car into several
 * clusters; the pieces that are not vehicles themselves join the largest vehicle around them.
 */
export function fragmentOwners(parts: readonly { count: number; visible: GroundBox; shape: { label: string }; box: GroundBox }[]): Int32Array {
  const owners = new Int32Array(parts.length).map((_, i) => i);
  parts.forEach((part, i) => {
    if (VEHICLE_CLASSES.has(part.shape.label)) return;
    let best = -1;
    parts.forEach((other, j) => {
      if (j === i || !VEHICLE_CLASSES.has(other.shape.label) || !insideBox(other.box, part.visible.cx, part.visible.cy, FRAGMENT_MARGIN_M)) return;
      if (best < 0 || other.count > parts[best].count) best = j;
    });
    if (best >= 0) owners[i] = best;
  });
  return owners;
}

function insideBox(box: GroundBox, x: number, y: number, margin: number): boolean {
  const c = Math.cos(box.yaw), s = Math.sin(box.yaw);
  const u = c * (x - box.cx) + s * (y - box.cy), v = -s * (x - box.cx) + c * (y - box.cy);
  return Math.abs(u) <= box.length / 2 + margin && Math.abs(v) <= box.width / 2 + margin;
}

function concatPoints(parts: readonly { points: Float64Array; count: number }[]): Float64Array {
  const out = new Float64Array(2 * parts.reduce((n, p) => n + p.count, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.points.subarray(0, 2 * p.count), at);
    at += 2 * p.count;
  }
  return out;
}

/**
 * The lowest ground in a cell and its 8 neighbours, or, where none was seen (far away the rings
 * on the ground are metres apart, and an object hides what is behind it), in the nearest wider
 * square of cells that has some; +Infinity when none within GROUND_SEARCH_CELLS.
 */
function groundAround(groundZ: Float32Array, side: number, row: number, col: number): number {
  for (let reach = 1; reach <= GROUND_SEARCH_CELLS; reach++) {
    let z = Infinity;
    for (let r = Math.max(0, row - reach); r <= Math.min(side - 1, row + reach); r++) {
      for (let k = Math.max(0, col - reach); k <= Math.min(side - 1, col + reach); k++) z = Math.min(z, groundZ[r * side + k]);
    }
    if (z < Infinity) return z;
  }
  return Infinity;
}
