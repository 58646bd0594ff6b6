/**
 * Multi-object tracker: per-class Kalman filters (CV, or CTRV for vehicles), a Mahalanobis and
 * Euclidean gate, optimal assignment with a cost threshold, a tentative → confirmed → coasting →
 * deleted lifecycle with an existence probability, stable ids.
 *
 * Pure and synchronous: `update` is a function of the tracker's state, the stamp and the
 * detections only (no wall clock, no randomness), so a replay gives the same tracks, bit for bit.
 *
 * Tracking runs in a world frame (the local ENU of the ego pose) so that the ego's own motion is
 * not mistaken for the objects'; inputs and outputs are in base_link at the update's stamp.
 * Without any ego pose it tracks in base_link (right for a parked rig, wrong for a moving one).
 */
import { ClassTable, UNCLASSIFIED_LABEL, type ClassParams } from './classes.js';
import { ctrvToCv, cvToCtrv } from './convert-motion.js';
import { gateCostMatrix, type GateTrack } from './gating.js';
import { assign } from './hungarian.js';
import { CtrvFilter } from './kalman-ctrv.js';
import { CvFilter } from './kalman-cv.js';
import { foldHalfTurn, wrapAngle } from './linalg.js';
import type { MeasurementNoise, MotionFilter, PlanarMeasurement, ProcessNoise } from './motion-filter.js';
import { DEFAULT_LIFECYCLE, Lifecycle, validateLifecycle, type LifecycleParams, type TrackRecord, type TrackState } from './track.js';

/** One detection, in base_link at the update's stamp. */
export interface TrackerInput {
  position: { x: number; y: number; z: number };
  /** Length (along yaw), width, height, metres. */
  size: { x: number; y: number; z: number };
  yaw: number;
  /** 'car', 'truck', 'pedestrian', 'cyclist', 'cluster' (unclassified), …; unknown labels are tracked as clusters. */
  label: string;
  score: number;
  /** Velocity over ground (ego motion removed) in base_link axes, m/s, when a radar measured it. */
  velocity?: { x: number; y: number };
  sources: string[];
  /** Where the label comes from ('camera', 'shape', …); a camera's label outvotes every other source. */
  classSource?: string;
  /** Where the sensor that saw it stands, base_link (x, y); default the origin. Anchors partial views. */
  viewpoint?: { x: number; y: number };
}

/** The ego's pose in the local ENU frame (yaw from east, counter-clockwise). */
export interface TrackerEgoPose {
  position: { x: number; y: number; z: number };
  yaw: number;
}

export interface Track {
  /** Stable for the track's life; increasing from 1, never reused. */
  id: number;
  label: string;
  /** Source of the label's votes: 'camera' once a camera detection voted for it; undefined while unclassified. */
  classSource: string | undefined;
  state: TrackState;
  /** Box centre in base_link at this stamp. */
  position: { x: number; y: number; z: number };
  size: { x: number; y: number; z: number };
  /** Heading of the velocity when moving, the smoothed box yaw otherwise; base_link, (−π, π]. */
  yaw: number;
  /** Over ground, in base_link axes at this stamp, m/s. */
  velocity: { x: number; y: number; z: number };
  /** Position covariance [xx, xy, yx, yy] in base_link axes, m². */
  covariance: number[];
  /** Probability that the track is a real object. */
  existence: number;
  ageS: number;
  hits: number;
  /** Misses in a row. */
  misses: number;
  /** Sources of the detection that updated it at this stamp; empty when it was not updated. */
  sources: string[];
}

export interface TrackerOptions extends Partial<LifecycleParams> {
  /** Per-class overrides of DEFAULT_CLASS_PARAMS (new labels allowed). */
  classes?: Record<string, Partial<ClassParams>>;
  /** Weight of a new detection in the size, height and box-yaw averages, (0, 1]. Default 0.3. */
  sizeSmoothing?: number;
  /** Above this speed the heading comes from the velocity, m/s. Default 1. */
  headingSpeedMps?: number;
  /** A forward gap longer than this between updates starts over (tracks would be meaningless), s. Default 2. */
  maxGapS?: number;
  /** Detections beyond this many per update are dropped (counted). Default 1000. */
  maxDetections?: number;
  /** No new tracks beyond this many (counted). Default 1000. */
  maxTracks?: number;
}

export interface TrackerStats {
  updates: number;
  detections: number;
  /** Detections with a non-finite position or a label that is not a string. */
  invalidDetections: number;
  /** Detections over maxDetections. */
  droppedDetections: number;
  births: number;
  deaths: number;
  /** Births refused because maxTracks was reached. */
  birthsRefused: number;
  /** Updates with the same stamp as the previous one: ignored. */
  repeatedStamps: number;
  /** Updates earlier than the previous one (a replay looping): tracks start over. */
  backwardJumps: number;
  /** Updates more than maxGapS after the previous one: tracks start over. */
  gaps: number;
  /** Updates without an ego pose after one was seen: the last pose was held. */
  egoPoseHeld: number;
  /** Ego poses with non-finite values, treated as missing. */
  invalidEgoPoses: number;
}

interface WorldDetection {
  x: number;
  y: number;
  z: number;
  yaw: number;
  size: { x: number; y: number; z: number };
  label: string;
  score: number;
  vx?: number;
  vy?: number;
  sources: string[];
  classSource: string | undefined;
  /** The sensor's position, world frame. */
  viewX: number;
  viewY: number;
}

interface Pose {
  x: number;
  y: number;
  z: number;
  yaw: number;
}

const NS_PER_S = 1e9;

export class Tracker {
  readonly #classes: ClassTable;
  readonly #lifecycle: LifecycleParams;
  readonly #sizeSmoothing: number;
  readonly #headingSpeed: number;
  readonly #maxGapNs: bigint;
  readonly #maxDetections: number;
  readonly #maxTracks: number;
  readonly #unassignedCost: number;
  #tracks: TrackRecord[] = [];
  #nextId = 1;
  #lastStamp: bigint | undefined;
  /** The pose of the last update; undefined while tracking in base_link. */
  #pose: Pose | undefined;
  #lastOutput: Track[] = [];
  readonly #stats: TrackerStats = {
    updates: 0, detections: 0, invalidDetections: 0, droppedDetections: 0, births: 0, deaths: 0, birthsRefused: 0,
    repeatedStamps: 0, backwardJumps: 0, gaps: 0, egoPoseHeld: 0, invalidEgoPoses: 0,
  };

  constructor(options: TrackerOptions = {}) {
    const { classes, sizeSmoothing, headingSpeedMps, maxGapS, maxDetections, maxTracks, ...lifecycle } = options;
    this.#classes = new ClassTable(classes ?? {});
    this.#lifecycle = { ...DEFAULT_LIFECYCLE };
    for (const [k, v] of Object.entries(lifecycle)) if (v !== undefined) (this.#lifecycle as unknown as Record<string, number>)[k] = v;
    validateLifecycle(this.#lifecycle);
    this.#sizeSmoothing = sizeSmoothing ?? 0.3;
    if (!(this.#sizeSmoothing > 0 && this.#sizeSmoothing <= 1)) throw new RangeError(`sizeSmoothing must be in (0, 1], got ${sizeSmoothing}`);
    this.#headingSpeed = headingSpeedMps ?? 1;
    if (!(this.#headingSpeed >= 0)) throw new RangeError(`headingSpeedMps must be ≥ 0, got ${headingSpeedMps}`);
    const gapS = maxGapS ?? 2;
    if (!(gapS > 0 && gapS <= 3600)) throw new RangeError(`maxGapS must be in (0, 3600], got ${maxGapS}`);
    this.#maxGapNs = BigInt(Math.round(gapS * NS_PER_S));
    this.#maxDetections = maxDetections ?? 1000;
    this.#maxTracks = maxTracks ?? 1000;
    for (const [k, v] of [['maxDetections', this.#maxDetections], ['maxTracks', this.#maxTracks]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be an integer ≥ 1, got ${v}`);
    }
    this.#unassignedCost = this.#classes.maxGate();
  }

  get stats(): Readonly<TrackerStats> {
    return { ...this.#stats };
  }

  /** Forgets every track; ids keep increasing. */
  reset(): void {
    this.#stats.deaths += this.#tracks.length;
    this.#tracks = [];
    this.#lastStamp = undefined;
    this.#pose = undefined;
    this.#lastOutput = [];
  }

  /**
   * Predicts every track to `stampNs`, associates the detections, updates, starts and deletes
   * tracks, and returns the live tracks (tentative ones included) ordered by id, in base_link.
   */
  update(stampNs: bigint, detections: readonly TrackerInput[], egoPose?: TrackerEgoPose): Track[] {
    if (typeof stampNs !== 'bigint') throw new TypeError(`stampNs must be a bigint, got ${typeof stampNs}`);
    if (this.#lastStamp !== undefined) {
      if (stampNs === this.#lastStamp) {
        this.#stats.repeatedStamps++;
        return this.#lastOutput.map(copyTrack);
      }
      if (stampNs < this.#lastStamp) {
        this.#stats.backwardJumps++;
        this.reset();
      } else if (stampNs - this.#lastStamp > this.#maxGapNs) {
        this.#stats.gaps++;
        this.reset();
      }
    }
    this.#stats.updates++;
    const dt = this.#lastStamp === undefined ? 0 : Number(stampNs - this.#lastStamp) / NS_PER_S;
    this.#lastStamp = stampNs;
    this.#resolvePose(egoPose);

    const inputs = this.#worldDetections(detections);
    for (const t of this.#tracks) t.filter.predict(dt);

    const gateTracks: GateTrack[] = this.#tracks.map((t) => ({ ...t.filter.position(), covariance: t.filter.positionCovariance(), label: t.label }));
    const cost = gateCostMatrix(gateTracks, inputs, this.#classes);
    const { rowToCol, colToRow } = assign(cost, this.#tracks.length, inputs.length, this.#unassignedCost);

    this.#tracks.forEach((track, i) => {
      const d = rowToCol[i];
      if (d >= 0) this.#hit(track, inputs[d]);
      else {
        track.lifecycle.miss();
        track.sources = [];
      }
    });
    const alive = this.#tracks.filter((t) => !t.lifecycle.isDead());
    this.#stats.deaths += this.#tracks.length - alive.length;
    this.#tracks = alive;
    inputs.forEach((det, d) => {
      if (colToRow[d] >= 0) return;
      if (this.#tracks.length >= this.#maxTracks) {
        this.#stats.birthsRefused++;
        return;
      }
      this.#tracks.push(this.#birth(det, stampNs));
      this.#stats.births++;
    });
    this.#lastOutput = this.#tracks.map((t) => this.#output(t, stampNs));
    return this.#lastOutput.map(copyTrack);
  }

  #resolvePose(egoPose: TrackerEgoPose | undefined): void {
    let pose: Pose | undefined;
    if (egoPose) {
      const p = egoPose.position;
      if ([p?.x, p?.y, p?.z, egoPose.yaw].every((v) => typeof v === 'number' && Number.isFinite(v))) pose = { x: p.x, y: p.y, z: p.z, yaw: egoPose.yaw };
      else this.#stats.invalidEgoPoses++;
    }
    if (pose) {
      // Tracks kept in base_link until now move into the world frame at this pose: the best
      // guess there is (they were last seen at the previous stamp, a frame ago).
      if (!this.#pose) {
        for (const t of this.#tracks) {
          t.filter.transform(pose.yaw, pose.x, pose.y);
          t.z += pose.z;
          t.boxYaw = wrapAngle(t.boxYaw + pose.yaw);
        }
      }
      this.#pose = pose;
    } else if (this.#pose) {
      this.#stats.egoPoseHeld++;
    }
  }

  #worldDetections(detections: readonly TrackerInput[]): WorldDetection[] {
    const out: WorldDetection[] = [];
    const pose = this.#pose ?? { x: 0, y: 0, z: 0, yaw: 0 };
    const c = Math.cos(pose.yaw), s = Math.sin(pose.yaw);
    for (const d of detections) {
      this.#stats.detections++;
      if (out.length >= this.#maxDetections) {
        this.#stats.droppedDetections++;
        continue;
      }
      const p = d?.position;
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y) || typeof d.label !== 'string') {
        this.#stats.invalidDetections++;
        continue;
      }
      const z = Number.isFinite(p.z) ? p.z : 0;
      const yaw = Number.isFinite(d.yaw) ? d.yaw : 0;
      const size = {
        x: positiveOr(d.size?.x, 1),
        y: positiveOr(d.size?.y, 1),
        z: positiveOr(d.size?.z, 1),
      };
      const vp = d.viewpoint && Number.isFinite(d.viewpoint.x) && Number.isFinite(d.viewpoint.y) ? d.viewpoint : { x: 0, y: 0 };
      const det: WorldDetection = {
        x: c * p.x - s * p.y + pose.x,
        y: s * p.x + c * p.y + pose.y,
        z: z + pose.z,
        yaw: wrapAngle(yaw + pose.yaw),
        size,
        label: d.label,
        score: Number.isFinite(d.score) ? d.score : 1,
        sources: Array.isArray(d.sources) ? [...d.sources] : [],
        classSource: typeof d.classSource === 'string' ? d.classSource : undefined,
        viewX: c * vp.x - s * vp.y + pose.x,
        viewY: s * vp.x + c * vp.y + pose.y,
      };
      const v = d.velocity;
      if (v && Number.isFinite(v.x) && Number.isFinite(v.y)) {
        det.vx = c * v.x - s * v.y;
        det.vy = s * v.x + c * v.y;
      }
      out.push(det);
    }
    return out;
  }

  #measurement(det: WorldDetection): { z: PlanarMeasurement; noise: MeasurementNoise } {
    const p = this.#classes.get(det.label);
    const z: PlanarMeasurement = { x: det.x, y: det.y };
    if (Number.isFinite(p.yawStd)) z.yaw = det.yaw;
    if (det.vx !== undefined) {
      z.vx = det.vx;
      z.vy = det.vy;
    }
    return { z, noise: { positionStd: p.positionStd, yawStd: p.yawStd, velocityStd: p.velocityStd } };
  }

  #birth(det: WorldDetection, stampNs: bigint): TrackRecord {
    const p = this.#classes.get(det.label);
    const measured = det.vx !== undefined;
    const velocityStd = measured ? p.velocityStd : p.initialSpeedStd;
    let filter: MotionFilter;
    let boxYaw = det.yaw;
    if (p.model === 'ctrv') {
      const speed = measured ? Math.hypot(det.vx!, det.vy!) : 0;
      const yaw = speed > this.#headingSpeed ? Math.atan2(det.vy!, det.vx!) : det.yaw;
      const yawStd = speed > this.#headingSpeed ? velocityStd / speed : Number.isFinite(p.yawStd) ? p.yawStd : Math.PI / 2;
      filter = new CtrvFilter({ x: det.x, y: det.y, yaw, speed, positionStd: p.positionStd, yawStd, speedStd: velocityStd, yawRateStd: p.initialYawRateStd }, noiseOf(p));
      if (speed > this.#headingSpeed) boxYaw = foldHalfTurn(det.yaw, yaw);
    } else {
      filter = new CvFilter({ x: det.x, y: det.y, vx: det.vx, vy: det.vy, positionStd: p.positionStd, velocityStd }, noiseOf(p));
    }
    const record: TrackRecord = {
      id: this.#nextId++,
      label: det.label,
      labelVotes: new Map(),
      cameraVotes: new Map(),
      labelSources: new Map(),
      filter,
      lifecycle: new Lifecycle(this.#lifecycle, det.score),
      size: { ...det.size },
      z: det.z,
      boxYaw,
      birthStamp: stampNs,
      sources: det.sources,
    };
    addVote(record, det);
    return record;
  }

  #hit(track: TrackRecord, det: WorldDetection): void {
    this.#vote(track, det);
    const { z, noise } = this.#measurement(anchorPartialView(track, det));
    track.filter.update(z, noise);

    const a = this.#sizeSmoothing;
    // A box seen from its other side, or by a box fit that picked the other edge as its length,
    // turns by a quarter turn: compare like with like.
    let dx = det.size.x, dy = det.size.y, yaw = det.yaw;
    const d = wrapAngle(foldHalfTurn(yaw, track.boxYaw) - track.boxYaw);
    if (Math.abs(d) > Math.PI / 4) {
      [dx, dy] = [dy, dx];
      yaw = wrapAngle(yaw - Math.sign(d) * (Math.PI / 2));
    }
    // An unclassified detection of a classified object is a partial view more often than not: it
    // says nothing about the object's size.
    if (det.label !== UNCLASSIFIED_LABEL || track.label === UNCLASSIFIED_LABEL) {
      track.size = { x: track.size.x + a * (dx - track.size.x), y: track.size.y + a * (dy - track.size.y), z: track.size.z + a * (det.size.z - track.size.z) };
      track.z += a * (det.z - track.z);
    }
    const v = track.filter.velocity();
    if (Math.hypot(v.x, v.y) > this.#headingSpeed) {
      track.boxYaw = Math.atan2(v.y, v.x);
    } else {
      track.boxYaw = wrapAngle(track.boxYaw + a * wrapAngle(foldHalfTurn(yaw, track.boxYaw) - track.boxYaw));
    }
    track.sources = det.sources;
    track.lifecycle.hit();
  }

  /**
   * The label with the most accumulated score, a camera's votes before any other source's (a
   * detector trained on images tells a car from a cyclist better than a cluster's shape); a change
   * of motion model carries the state over.
   */
  #vote(track: TrackRecord, det: WorldDetection): void {
    if (!addVote(track, det)) return;
    const votes = track.cameraVotes.size > 0 ? track.cameraVotes : track.labelVotes;
    let best = track.label, bestVotes = votes.get(track.label) ?? -1;
    for (const [label, n] of votes) {
      if (n > bestVotes) {
        best = label;
        bestVotes = n;
      }
    }
    if (best === track.label) return;
    track.label = best;
    const p = this.#classes.get(best);
    if (p.model === 'ctrv' && track.filter instanceof CvFilter) {
      track.filter = cvToCtrv(track.filter, track.boxYaw, p.yawStd, p.initialYawRateStd, noiseOf(p));
    } else if (p.model === 'cv' && track.filter instanceof CtrvFilter) {
      track.filter = ctrvToCv(track.filter, noiseOf(p));
    } else {
      track.filter.processNoise = noiseOf(p);
    }
  }

  #output(t: TrackRecord, stampNs: bigint): Track {
    const pose = this.#pose ?? { x: 0, y: 0, z: 0, yaw: 0 };
    const c = Math.cos(pose.yaw), s = Math.sin(pose.yaw);
    const p = t.filter.position();
    const v = t.filter.velocity();
    const px = p.x - pose.x, py = p.y - pose.y;
    const speed = Math.hypot(v.x, v.y);
    const worldYaw = speed > this.#headingSpeed ? Math.atan2(v.y, v.x) : t.boxYaw;
    // Σ_base = Rᵀ Σ_world R
    const [xx, xy, yx, yy] = t.filter.positionCovariance();
    const sxy = (xy + yx) / 2;
    const bxx = c * c * xx + 2 * c * s * sxy + s * s * yy;
    const byy = s * s * xx - 2 * c * s * sxy + c * c * yy;
    const bxy = (c * c - s * s) * sxy + c * s * (yy - xx);
    return {
      id: t.id,
      label: t.label,
      classSource: t.label === UNCLASSIFIED_LABEL ? undefined : t.cameraVotes.has(t.label) ? 'camera' : t.labelSources.get(t.label),
      state: t.lifecycle.state,
      position: { x: c * px + s * py, y: -s * px + c * py, z: t.z - pose.z },
      size: { ...t.size },
      yaw: wrapAngle(worldYaw - pose.yaw),
      velocity: { x: c * v.x + s * v.y, y: -s * v.x + c * v.y, z: 0 },
      covariance: [bxx, bxy, bxy, byy],
      existence: t.lifecycle.existence,
      ageS: Number(stampNs - t.birthStamp) / NS_PER_S,
      hits: t.lifecycle.hits,
      misses: t.lifecycle.misses,
      sources: [...t.sources],
    };
  }
}

/** Counts a classified detection's vote; false for an unclassified one. */
function addVote(track: TrackRecord, det: WorldDetection): boolean {
  if (det.label === UNCLASSIFIED_LABEL) return false;
  const vote = voteOf(det.score);
  track.labelVotes.set(det.label, (track.labelVotes.get(det.label) ?? 0) + vote);
  if (det.classSource === 'camera') track.cameraVotes.set(det.label, (track.cameraVotes.get(det.label) ?? 0) + vote);
  if (det.classSource !== undefined) track.labelSources.set(det.label, det.classSource);
  return true;
}

/**
 * A detection smaller than its track along one of the track's axes shows only the faces that its
 * sensor sees (the rest hidden behind them or by something else): its centre is moved so that the
 * track's box, at the track's size, shares the detection's face nearest the sensor, as Autoware's
 * tracker anchors vehicle updates on the nearest corner or surface. Along an axis on which the
 * sensor lies within the detection, the centre stays.
 */
function anchorPartialView(track: TrackRecord, det: WorldDetection): WorldDetection {
  if (track.label === UNCLASSIFIED_LABEL) return det;
  const ux = Math.cos(track.boxYaw), uy = Math.sin(track.boxYaw);
  // The detection's footprint and the sensor along the track's axes, relative to the detection's centre.
  const cd = Math.cos(det.yaw - track.boxYaw), sd = Math.sin(det.yaw - track.boxYaw);
  const extentU = Math.abs(cd) * det.size.x + Math.abs(sd) * det.size.y;
  const extentV = Math.abs(sd) * det.size.x + Math.abs(cd) * det.size.y;
  const su = ux * (det.viewX - det.x) + uy * (det.viewY - det.y);
  const sv = -uy * (det.viewX - det.x) + ux * (det.viewY - det.y);
  const shift = (extent: number, target: number, s: number): number => {
    if (extent >= target || Math.abs(s) <= extent / 2) return 0;
    return -Math.sign(s) * (target - extent) / 2;
  };
  const du = shift(extentU, track.size.x, su), dv = shift(extentV, track.size.y, sv);
  if (du === 0 && dv === 0) return det;
  return { ...det, x: det.x + ux * du - uy * dv, y: det.y + uy * du + ux * dv };
}

function noiseOf(p: ClassParams): ProcessNoise {
  return { accelStd: p.accelStd, yawAccelStd: p.yawAccelStd };
}

function voteOf(score: number): number {
  return Number.isFinite(score) ? Math.max(0.01, score) : 1;
}

function positiveOr(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : fallback;
}

function copyTrack(t: Track): Track {
  return { ...t, position: { ...t.position }, size: { ...t.size }, velocity: { ...t.velocity }, covariance: [...t.covariance], sources: [...t.sources] };
}
