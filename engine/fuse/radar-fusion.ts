import type { RadarScan } from '../core/frames.js';
import { transformPoint, type Transform, type Vec3 } from '../core/geometry.js';
import type { DetectedObject } from '../events/perception-event.js';

export interface RadarFusionOptions {
  /** A target within this distance of an object's box (in the ground plane) belongs to it, metres. */
  marginM: number;
  /** Unassigned targets farther than this from base_link become radar-only objects (beyond LiDAR range). */
  radarOnlyBeyondM: number;
  /** Radar-only targets closer than this to each other form one object. */
  groupM: number;
  /** Noise of a target's Doppler once the ego motion is taken out, m/s. */
  dopplerStdMps: number;
  /**
   * Both axes of a velocity are solved from the targets' Doppler only when the lines of sight
   * differ enough that the worse axis is known to within this, m/s. The tracker takes a measured
   * velocity at 0.5 m/s per axis: a worse one, fed in as that good, steers a track off its object.
   */
  maxVelocityStdMps: number;
}

export const DEFAULT_RADAR_FUSION: RadarFusionOptions = { marginM: 2, radarOnlyBeyondM: 50, groupM: 2.5, dopplerStdMps: 0.1, maxVelocityStdMps: 0.3 };

/** What radar fusion adds besides the velocities it writes into the objects. */
export interface RadarFusionResult {
  /** Targets beyond LiDAR range that no object claims, as objects of their own. */
  radarOnly: DetectedObject[];
  /** The objects (LiDAR and radar-only) whose velocity the radar measured; the others' is unknown (0). */
  measured: Set<DetectedObject>;
}

export interface PlacedScan {
  scan: RadarScan;
  /** radar → base_link */
  extrinsic: Transform;
}

interface GroundTarget {
  position: Vec3;
  /** Unit line of sight from the radar, in base_link. */
  los: { x: number; y: number };
  /** Radial velocity over ground along the line of sight, m/s (Doppler with the ego motion removed). */
  radial: number;
  rcs: number;
  sensorId: string;
}

/** Targets in base_link with the ego's own motion taken out of their Doppler. */
function groundTargets(scans: readonly PlacedScan[], egoSpeed: number): GroundTarget[] {
  const out: GroundTarget[] = [];
  for (const { scan, extrinsic } of scans) {
    const origin = extrinsic.translation;
    for (const t of scan.targets) {
      if (!Number.isFinite(t.x) || !Number.isFinite(t.y) || !Number.isFinite(t.doppler)) continue;
      const p = transformPoint(extrinsic, { x: t.x, y: t.y, z: Number.isFinite(t.z) ? t.z : 0 });
      const dx = p.x - origin.x, dy = p.y - origin.y;
      const d = Math.hypot(dx, dy);
      if (d < 0.1) continue;
      const los = { x: dx / d, y: dy / d };
      // Doppler measures the relative velocity along the line of sight; the ego moves forward (+x).
      out.push({ position: p, los, radial: t.doppler + egoSpeed * los.x, rcs: t.rcs, sensorId: scan.sensorId });
    }
  }
  return out;
}

/** Distance from a point to an object's oriented footprint (0 inside). */
function distanceToBox(o: DetectedObject, p: Vec3): number {
  const c = Math.cos(-o.yaw), s = Math.sin(-o.yaw);
  const lx = (p.x - o.position.x) * c - (p.y - o.position.y) * s;
  const ly = (p.x - o.position.x) * s + (p.y - o.position.y) * c;
  const ex = Math.max(0, Math.abs(lx) - o.size.x / 2);
  const ey = Math.max(0, Math.abs(ly) - o.size.y / 2);
  return Math.hypot(ex, ey);
}

/**
 * Velocity over ground from the targets' radial components. Targets that disagree with the
 * others by more than OUTLIER_SIGMAS times the Doppler noise (clutter near the object, a
 * neighbour's return) are dropped one at a time, worst first, until the rest agree.
 */
function velocityFrom(targets: GroundTarget[], yaw: number, options: RadarFusionOptions): { x: number; y: number } | undefined {
  let kept = targets;
  for (;;) {
    const v = solveVelocity(kept, yaw, options);
    if (!v) return undefined;
    let worst = -1, worstResidual = OUTLIER_SIGMAS * options.dopplerStdMps;
    kept.forEach((t, i) => {
      const residual = Math.abs(t.radial - (v.x * t.los.x + v.y * t.los.y));
      if (residual > worstResidual) {
        worst = i;
        worstResidual = residual;
      }
    });
    if (worst < 0) return v;
    kept = kept.filter((_, i) => i !== worst);
  }
}

/** A radial component this many Doppler standard deviations off the fitted velocity is an outlier. */
const OUTLIER_SIGMAS = 5;

/**
 * Least squares over the targets when their lines of sight differ enough to fix both axes; else
 * the radial speed carried onto the object's heading (as Autoware's radar fusion does) when the
 * heading is within 60° of a line of sight; else undefined: a radial component alone is not a
 * velocity (a car passing alongside shows none of its speed along the road).
 */
function solveVelocity(targets: GroundTarget[], yaw: number, options: RadarFusionOptions): { x: number; y: number } | undefined {
  let sxx = 0, sxy = 0, syy = 0, bx = 0, by = 0;
  for (const t of targets) {
    sxx += t.los.x * t.los.x; sxy += t.los.x * t.los.y; syy += t.los.y * t.los.y;
    bx += t.los.x * t.radial; by += t.los.y * t.radial;
  }
  const det = sxx * syy - sxy * sxy;
  // The least-squares velocity's variance along its worse axis is σ² / λmin of the normal matrix.
  const trace = sxx + syy;
  const lambdaMin = (trace - Math.sqrt(Math.max(0, trace * trace - 4 * det))) / 2;
  if (targets.length >= 2 && lambdaMin > 0 && options.dopplerStdMps / Math.sqrt(lambdaMin) <= options.maxVelocityStdMps) {
    return { x: (syy * bx - sxy * by) / det, y: (sxx * by - sxy * bx) / det };
  }
  const heading = { x: Math.cos(yaw), y: Math.sin(yaw) };
  let sum = 0, n = 0;
  for (const t of targets) {
    const cos = heading.x * t.los.x + heading.y * t.los.y;
    if (Math.abs(cos) > 0.5) {
      sum += t.radial / cos;
      n++;
    }
  }
  return n > 0 ? { x: (sum / n) * heading.x, y: (sum / n) * heading.y } : undefined;
}

/**
 * Radar into the objects: targets near an object give it a velocity and name the radar among its
 * sources; targets beyond LiDAR range that no object claims become radar-only objects.
 */
export function fuseRadar(objects: DetectedObject[], scans: readonly PlacedScan[], egoSpeed: number, options: RadarFusionOptions, nextId: () => number): RadarFusionResult {
  const measured = new Set<DetectedObject>();
  const targets = groundTargets(scans, egoSpeed);
  const byObject = objects.map(() => [] as GroundTarget[]);
  const unclaimed: GroundTarget[] = [];
  for (const t of targets) {
    let best = -1, bestD = options.marginM;
    objects.forEach((o, i) => {
      const d = distanceToBox(o, t.position);
      if (d <= bestD) {
        best = i;
        bestD = d;
      }
    });
    if (best >= 0) byObject[best].push(t);
    else unclaimed.push(t);
  }
  objects.forEach((o, i) => {
    const mine = byObject[i];
    if (mine.length === 0) return;
    const v = velocityFrom(mine, o.yaw, options);
    if (v) {
      o.velocity = { x: v.x, y: v.y, z: 0 };
      measured.add(o);
    }
    for (const id of new Set(mine.map((t) => t.sensorId))) if (!o.sources.includes(id)) o.sources.push(id);
  });
  const far = unclaimed.filter((t) => Math.hypot(t.position.x, t.position.y) > options.radarOnlyBeyondM);
  const radarOnly: DetectedObject[] = [];
  const used = new Set<GroundTarget>();
  for (const seed of far) {
    if (used.has(seed)) continue;
    const group = far.filter((t) => !used.has(t) && Math.hypot(t.position.x - seed.position.x, t.position.y - seed.position.y) <= options.groupM);
    for (const t of group) used.add(t);
    const cx = group.reduce((a, t) => a + t.position.x, 0) / group.length;
    const cy = group.reduce((a, t) => a + t.position.y, 0) / group.length;
    const measuredVelocity = velocityFrom(group, Math.atan2(cy, cx), options);
    const v = measuredVelocity ?? { x: 0, y: 0 };
    const rcs = Math.max(...group.map((t) => t.rcs));
    const object: DetectedObject = {
      id: nextId(), label: 'radar-object',
      // Radar alone: a strong reflector is more likely a real object than clutter.
      score: Math.min(0.6, 0.2 + 0.04 * Math.max(0, rcs)),
      position: { x: cx, y: cy, z: 0.75 }, size: { x: 2, y: 2, z: 1.5 }, yaw: Math.atan2(v.y, v.x),
      velocity: { x: v.x, y: v.y, z: 0 }, latitude: NaN, longitude: NaN, covariance: [], ageS: 0,
      sources: [...new Set(group.map((t) => t.sensorId))],
    };
    radarOnly.push(object);
    if (measuredVelocity) measured.add(object);
  }
  return { radarOnly, measured };
}
