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
}

export const DEFAULT_RADAR_FUSION: RadarFusionOptions = { marginM: 2, radarOnlyBeyondM: 50, groupM: 2.5 };

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
 * Velocity over ground from radial components: least squares over the targets when their lines
 * of sight differ enough to fix both axes; else the radial speed carried onto the object's
 * heading (as Autoware's radar fusion does); else along the line of sight alone.
 */
function velocityFrom(targets: GroundTarget[], yaw: number): { x: number; y: number } {
  let sxx = 0, sxy = 0, syy = 0, bx = 0, by = 0;
  for (const t of targets) {
    sxx += t.los.x * t.los.x; sxy += t.los.x * t.los.y; syy += t.los.y * t.los.y;
    bx += t.los.x * t.radial; by += t.los.y * t.radial;
  }
  const det = sxx * syy - sxy * sxy;
  if (targets.length >= 2 && det > 0.05 * targets.length * targets.length) {
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
  if (n > 0) return { x: (sum / n) * heading.x, y: (sum / n) * heading.y };
  const mean = targets.reduce((a, t) => a + t.radial, 0) / targets.length;
  const los = targets[0].los;
  return { x: mean * los.x, y: mean * los.y };
}

/**
 * Radar into the objects: targets near an object give it a velocity and name the radar among its
 * sources; targets beyond LiDAR range that no object claims become radar-only objects.
 */
export function fuseRadar(objects: DetectedObject[], scans: readonly PlacedScan[], egoSpeed: number, options: RadarFusionOptions, nextId: () => number): DetectedObject[] {
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
    const v = velocityFrom(mine, o.yaw);
    o.velocity = { x: v.x, y: v.y, z: 0 };
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
    const v = velocityFrom(group, Math.atan2(cy, cx));
    const rcs = Math.max(...group.map((t) => t.rcs));
    radarOnly.push({
      id: nextId(), label: 'radar-object',
      // Radar alone: a strong reflector is more likely a real object than clutter.
      score: Math.min(0.6, 0.2 + 0.04 * Math.max(0, rcs)),
      position: { x: cx, y: cy, z: 0.75 }, size: { x: 2, y: 2, z: 1.5 }, yaw: Math.atan2(v.y, v.x),
      velocity: { x: v.x, y: v.y, z: 0 }, latitude: NaN, longitude: NaN, covariance: [], ageS: 0,
      sources: [...new Set(group.map((t) => t.sensorId))],
    });
  }
  return radarOnly;
}
