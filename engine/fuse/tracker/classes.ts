/**
 * Per-class tracking parameters in one table: motion model, process noise, the noise of that
 * class's detections, initial uncertainty and gates. Process noise follows the track's class;
 * measurement noise follows the detection's class (it describes the detector, not the object).
 */

export type MotionModel = 'cv' | 'ctrv';

export interface ClassParams {
  /** Constant velocity, or constant turn rate and velocity (vehicles). */
  model: MotionModel;
  /** White acceleration noise, m/s² (CV: per axis; CTRV: along the heading). */
  accelStd: number;
  /** White yaw acceleration noise, rad/s² (CTRV only). */
  yawAccelStd: number;
  /** Position noise of this class's detections, metres (per axis). */
  positionStd: number;
  /** Yaw noise of this class's detection boxes, radians; Infinity when their yaw means nothing. */
  yawStd: number;
  /** Noise of a measured (radar) velocity, m/s per axis. */
  velocityStd: number;
  /** Uncertainty of a new track's unknown speed, m/s, and yaw rate, rad/s. */
  initialSpeedStd: number;
  initialYawRateStd: number;
  /** Gate on the squared Mahalanobis distance of the position (χ², 2 dof: 9.21 is 99 %). */
  gate: number;
  /** Gate on the Euclidean distance between prediction and detection, metres. */
  maxDistanceM: number;
  /** Classes of one group may be associated with each other; 'any' matches every group. */
  group: string;
}

/** χ² with 2 degrees of freedom at 99 %. */
export const CHI2_2DOF_99 = 9.21;

const VEHICLE: ClassParams = {
  model: 'ctrv', accelStd: 3, yawAccelStd: 0.5, positionStd: 0.4, yawStd: 0.2, velocityStd: 0.5,
  initialSpeedStd: 10, initialYawRateStd: 0.3, gate: CHI2_2DOF_99, maxDistanceM: 5, group: 'vehicle',
};
const LARGE_VEHICLE: ClassParams = {
  ...VEHICLE, accelStd: 2, yawAccelStd: 0.3, positionStd: 0.7, initialSpeedStd: 8, initialYawRateStd: 0.2, maxDistanceM: 6,
};
const TWO_WHEELER: ClassParams = {
  model: 'ctrv', accelStd: 3, yawAccelStd: 1, positionStd: 0.3, yawStd: 0.3, velocityStd: 0.5,
  initialSpeedStd: 6, initialYawRateStd: 0.5, gate: CHI2_2DOF_99, maxDistanceM: 3, group: 'two-wheeler',
};
const PEDESTRIAN: ClassParams = {
  model: 'cv', accelStd: 1.5, yawAccelStd: 0, positionStd: 0.25, yawStd: Infinity, velocityStd: 0.5,
  initialSpeedStd: 2, initialYawRateStd: 0, gate: CHI2_2DOF_99, maxDistanceM: 2, group: 'pedestrian',
};
/** Unclassified objects (LiDAR clusters, unknown labels): constant velocity, generous noise. */
const CLUSTER: ClassParams = {
  model: 'cv', accelStd: 4, yawAccelStd: 0, positionStd: 0.8, yawStd: Infinity, velocityStd: 1,
  initialSpeedStd: 10, initialYawRateStd: 0, gate: CHI2_2DOF_99, maxDistanceM: 4, group: 'any',
};

export const UNCLASSIFIED_LABEL = 'cluster';

export const DEFAULT_CLASS_PARAMS: Readonly<Record<string, Readonly<ClassParams>>> = {
  car: VEHICLE,
  truck: LARGE_VEHICLE,
  bus: LARGE_VEHICLE,
  trailer: LARGE_VEHICLE,
  construction_vehicle: LARGE_VEHICLE,
  motorcycle: TWO_WHEELER,
  bicycle: TWO_WHEELER,
  cyclist: TWO_WHEELER,
  pedestrian: PEDESTRIAN,
  cluster: CLUSTER,
};

/** The table with the caller's overrides merged in; unknown labels fall back to 'cluster'. */
export class ClassTable {
  readonly #params = new Map<string, ClassParams>();

  constructor(overrides: Readonly<Record<string, Partial<ClassParams>>> = {}) {
    for (const [label, p] of Object.entries(DEFAULT_CLASS_PARAMS)) this.#params.set(label, { ...p });
    for (const [label, p] of Object.entries(overrides)) {
      const base = this.#params.get(label) ?? CLUSTER;
      const merged = { ...base, ...p };
      validateParams(label, merged);
      this.#params.set(label, merged);
    }
  }

  /** Parameters of a label; an unknown label is treated as unclassified. */
  get(label: string): ClassParams {
    return this.#params.get(label) ?? this.#params.get(UNCLASSIFIED_LABEL)!;
  }

  /** The largest gate of any class: the cost of leaving a track or detection unassigned. */
  maxGate(): number {
    let g = 0;
    for (const p of this.#params.values()) g = Math.max(g, p.gate);
    return g;
  }

  /** Whether a detection of one class may update a track of another. */
  canAssign(trackLabel: string, detectionLabel: string): boolean {
    const a = this.get(trackLabel).group, b = this.get(detectionLabel).group;
    return a === 'any' || b === 'any' || a === b;
  }
}

function validateParams(label: string, p: ClassParams): void {
  if (p.model !== 'cv' && p.model !== 'ctrv') throw new RangeError(`classes.${label}.model must be 'cv' or 'ctrv', got ${JSON.stringify(p.model)}`);
  const positive: (keyof ClassParams)[] = ['positionStd', 'velocityStd', 'gate', 'maxDistanceM', 'initialSpeedStd'];
  for (const k of positive) {
    const v = p[k] as number;
    if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`classes.${label}.${k} must be a number > 0, got ${v}`);
  }
  const nonNegative: (keyof ClassParams)[] = ['accelStd', 'yawAccelStd', 'initialYawRateStd', 'yawStd'];
  for (const k of nonNegative) {
    const v = p[k] as number;
    if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`classes.${label}.${k} must be a number ≥ 0, got ${v}`);
  }
}
