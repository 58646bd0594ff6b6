/**
 * Moving a track between motion models when its class changes (an unclassified cluster turns
 * out to be a car): the state is re-expressed and the covariance carried through the Jacobian of
 * the change of variables, so nothing learned so far is thrown away.
 */
import { CtrvFilter } from './kalman-ctrv.js';
import { CvFilter } from './kalman-cv.js';
import { sandwich } from './linalg.js';
import type { ProcessNoise } from './motion-filter.js';

/** Below this speed the velocity says too little about the heading; the box yaw is used instead. */
const HEADING_FROM_VELOCITY_MPS = 1;

export function cvToCtrv(cv: CvFilter, boxYaw: number, boxYawStd: number, yawRateStd: number, processNoise: ProcessNoise): CtrvFilter {
  const [x, y, vx, vy] = cv.state;
  const p = cv.covariance;
  const speed = Math.hypot(vx, vy);
  // (x, y, ψ, v) from (x, y, vx, vy), then ω independent.
  const j = new Float64Array(4 * 4);
  j[0] = 1;
  j[5] = 1;
  let yaw: number, v: number;
  let yawVarFloor = 0;
  if (speed > HEADING_FROM_VELOCITY_MPS) {
    yaw = Math.atan2(vy, vx);
    v = speed;
    j[2 * 4 + 2] = -vy / (speed * speed);
    j[2 * 4 + 3] = vx / (speed * speed);
    j[3 * 4 + 2] = vx / speed;
    j[3 * 4 + 3] = vy / speed;
  } else {
    yaw = boxYaw;
    const c = Math.cos(yaw), s = Math.sin(yaw);
    v = vx * c + vy * s;
    j[3 * 4 + 2] = c;
    j[3 * 4 + 3] = s;
    yawVarFloor = Number.isFinite(boxYawStd) ? boxYawStd ** 2 : (Math.PI / 2) ** 2;
  }
  const p4 = sandwich(j, p, 4, 4);
  const p5 = new Float64Array(25);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) p5[r * 5 + c] = p4[r * 4 + c];
  p5[2 * 5 + 2] += yawVarFloor;
  p5[4 * 5 + 4] = yawRateStd ** 2;
  return CtrvFilter.fromState([x, y, yaw, v, 0], p5, processNoise);
}

export function ctrvToCv(ctrv: CtrvFilter, processNoise: ProcessNoise): CvFilter {
  const [x, y, yaw, v] = ctrv.state;
  const c = Math.cos(yaw), s = Math.sin(yaw);
  const j = Float64Array.of(1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, -v * s, c, 0, 0, 0, v * c, s, 0);
  const p4 = sandwich(j, ctrv.covariance, 4, 5);
  return CvFilter.fromState([x, y, v * c, v * s], p4, processNoise);
}
