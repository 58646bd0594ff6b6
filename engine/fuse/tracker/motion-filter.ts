import type { MotionModel } from './classes.js';
import type { UpdateOutcome } from './linalg.js';

/** One detection as a filter sees it, in the tracking frame. */
export interface PlanarMeasurement {
  x: number;
  y: number;
  /** Box yaw, known modulo π; left out when the detector's yaw means nothing. */
  yaw?: number;
  /** Measured velocity over ground (radar), both or neither. */
  vx?: number;
  vy?: number;
}

export interface MeasurementNoise {
  positionStd: number;
  yawStd: number;
  velocityStd: number;
}

export interface ProcessNoise {
  accelStd: number;
  yawAccelStd: number;
}

/** What the tracker needs of a Kalman filter, whatever its state vector. */
export interface MotionFilter {
  readonly model: MotionModel;
  /** State and covariance, row-major; their layout is the filter's own. */
  readonly state: Float64Array;
  readonly covariance: Float64Array;
  processNoise: ProcessNoise;
  predict(dt: number): void;
  update(z: PlanarMeasurement, noise: MeasurementNoise): UpdateOutcome;
  position(): { x: number; y: number };
  velocity(): { x: number; y: number };
  /** Position covariance [xx, xy, yx, yy]. */
  positionCovariance(): Float64Array;
  /** Moves the state into another frame: rotate by `theta`, then translate by (tx, ty). */
  transform(theta: number, tx: number, ty: number): void;
}

export function hasVelocity(z: PlanarMeasurement): z is PlanarMeasurement & { vx: number; vy: number } {
  return z.vx !== undefined && z.vy !== undefined;
}
