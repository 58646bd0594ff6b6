import type { GnssFix } from '../core/frames.js';
import { EnuFrame } from '../core/geodesy.js';
import type { Nanos } from '../core/time.js';
import type { EgoPose } from '../events/perception-event.js';

export interface EgoInterpolatorOptions {
  /** Fixes kept; a new one pushes out the oldest (default 256: 25 s of 10 Hz GNSS). */
  capacity?: number;
  /** How far past the newest fix a pose may be extrapolated at constant velocity (default 200 ms). */
  maxExtrapolationNs?: Nanos;
  /** Below this ground speed, m/s, the course over ground is noise and the yaw holds (default 0.5). */
  minCourseSpeed?: number;
}

const DEFAULTS = { capacity: 256, maxExtrapolationNs: 200_000_000n, minCourseSpeed: 0.5 };

/**
 * Ego pose at any stamp from a bounded history of GNSS fixes, in a local ENU frame anchored at the
 * first usable fix. Between two fixes the position and speed are linear and the yaw turns along
 * the shortest arc; past the newest fix the pose runs on at the last fixes' velocity and turn rate
 * for at most maxExtrapolationNs. Before the oldest fix kept there is no pose.
 * Yaw comes from the true heading when the receiver gives one, else from the course over ground
 * while moving, else it holds (0 until anything is known), as EgoFromGnss does.
 */
export class EgoInterpolator {
  readonly #capacity: number;
  readonly #maxExtrapolation: bigint;
  readonly #minCourseSpeed: number;
  #frame: EnuFrame | undefined;
  // A ring of fixes in stamp order, columns side by side: the oldest at #start.
  readonly #stamps: bigint[];
  readonly #east: Float64Array;
  readonly #north: Float64Array;
  readonly #up: Float64Array;
  readonly #yaw: Float64Array;
  readonly #speed: Float64Array;
  readonly #geoid: Float64Array;
  #start = 0;
  #size = 0;
  #rejected = 0;

  constructor(options: EgoInterpolatorOptions = {}) {
    this.#capacity = options.capacity ?? DEFAULTS.capacity;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 2) throw new RangeError(`capacity must be an integer ≥ 2, got ${this.#capacity}`);
    this.#maxExtrapolation = options.maxExtrapolationNs ?? DEFAULTS.maxExtrapolationNs;
    if (this.#maxExtrapolation < 0n) throw new RangeError(`maxExtrapolationNs must not be negative, got ${this.#maxExtrapolation}`);
    this.#minCourseSpeed = options.minCourseSpeed ?? DEFAULTS.minCourseSpeed;
    this.#stamps = new Array<bigint>(this.#capacity).fill(0n);
    this.#east = new Float64Array(this.#capacity);
    this.#north = new Float64Array(this.#capacity);
    this.#up = new Float64Array(this.#capacity);
    this.#yaw = new Float64Array(this.#capacity);
    this.#speed = new Float64Array(this.#capacity);
    this.#geoid = new Float64Array(this.#capacity);
  }

  /** The local frame poses are given in; undefined until the first usable fix. */
  get frame(): EnuFrame | undefined {
    return this.#frame;
  }

  get size(): number {
    return this.#size;
  }

  /** Fixes refused: no fix, a non-finite position, or a stamp not after the newest. */
  get rejected(): number {
    return this.#rejected;
  }

  get oldestStamp(): Nanos | undefined {
    return this.#size > 0 ? this.#stamps[this.#start] : undefined;
  }

  get newestStamp(): Nanos | undefined {
    return this.#size > 0 ? this.#stamps[this.#slot(this.#size - 1)] : undefined;
  }

  /** Adds a fix; false (and counted) when it is unusable or not newer than the newest kept. */
  add(fix: GnssFix): boolean {
    const newest = this.newestStamp;
    if (
      fix.fixType === 'none' ||
      !Number.isFinite(fix.latitude) || !Number.isFinite(fix.longitude) || !Number.isFinite(fix.altitudeMsl) ||
      Math.abs(fix.latitude) > 90 || Math.abs(fix.longitude) > 180 ||
      (newest !== undefined && fix.stamp <= newest)
    ) {
      this.#rejected++;
      return false;
    }
    const geoid = Number.isFinite(fix.geoidSeparation) ? fix.geoidSeparation : 0;
    const altitude = fix.altitudeMsl + geoid;
    this.#frame ??= new EnuFrame({ latitude: fix.latitude, longitude: fix.longitude, altitude });
    const enu = this.#frame.toEnu({ latitude: fix.latitude, longitude: fix.longitude, altitude });

    const previous = this.#size > 0 ? this.#slot(this.#size - 1) : -1;
    let speed = fix.speed;
    if (!Number.isFinite(speed)) {
      // No reported speed: the distance from the previous fix over the time between them.
      speed = previous < 0 ? 0 : Math.hypot(enu.east - this.#east[previous], enu.north - this.#north[previous]) / (Number(fix.stamp - newest!) / 1e9);
    }
    const course = Number.isFinite(fix.heading) ? fix.heading : speed > this.#minCourseSpeed && Number.isFinite(fix.track) ? fix.track : NaN;
    const yaw = Number.isFinite(course) ? wrapAngle(Math.PI / 2 - (course * Math.PI) / 180) : previous < 0 ? 0 : this.#yaw[previous];

    if (this.#size === this.#capacity) {
      this.#start = (this.#start + 1) % this.#capacity;
      this.#size--;
    }
    const slot = this.#slot(this.#size);
    this.#size++;
    this.#stamps[slot] = fix.stamp;
    this.#east[slot] = enu.east;
    this.#north[slot] = enu.north;
    this.#up[slot] = enu.up;
    this.#yaw[slot] = yaw;
    this.#speed[slot] = speed;
    this.#geoid[slot] = geoid;
    return true;
  }

  /** The pose at `stamp`, or undefined before the oldest fix kept or beyond the extrapolation limit. */
  egoPoseAt(stamp: Nanos): EgoPose | undefined {
    if (this.#size === 0) return undefined;
    const first = this.#start;
    if (stamp < this.#stamps[first]) return undefined;
    const lastIndex = this.#size - 1;
    const last = this.#slot(lastIndex);
    const newest = this.#stamps[last];
    if (stamp > newest) {
      const ahead = stamp - newest;
      if (ahead > this.#maxExtrapolation) return undefined;
      if (this.#size === 1) return this.#pose(last, last, 0);
      const before = this.#slot(lastIndex - 1);
      // u > 1 runs the last segment on: constant velocity and turn rate.
      return this.#pose(before, last, 1 + Number(ahead) / Number(newest - this.#stamps[before]));
    }
    // The last kept fix at or before `stamp`: binary search over the ring.
    let lo = 0;
    let hi = lastIndex;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#stamps[this.#slot(mid)] <= stamp) lo = mid;
      else hi = mid - 1;
    }
    const a = this.#slot(lo);
    if (lo === lastIndex || this.#stamps[a] === stamp) return this.#pose(a, a, 0);
    const b = this.#slot(lo + 1);
    return this.#pose(a, b, Number(stamp - this.#stamps[a]) / Number(this.#stamps[b] - this.#stamps[a]));
  }

  #pose(a: number, b: number, u: number): EgoPose {
    const lerp = (col: Float64Array): number => col[a] + (col[b] - col[a]) * u;
    const east = lerp(this.#east);
    const north = lerp(this.#north);
    const up = lerp(this.#up);
    const yaw = wrapAngle(this.#yaw[a] + wrapAngle(this.#yaw[b] - this.#yaw[a]) * u);
    // Past the newest fix the speed holds rather than run on a trend.
    const speed = u <= 1 ? lerp(this.#speed) : this.#speed[b];
    const geodetic = this.#frame!.toGeodetic({ east, north, up });
    return {
      position: { x: east, y: north, z: up },
      yaw,
      latitude: geodetic.latitude,
      longitude: geodetic.longitude,
      altitude: geodetic.altitude - lerp(this.#geoid),
      speed,
    };
  }

  #slot(index: number): number {
    return (this.#start + index) % this.#capacity;
  }
}

/** An angle in (−π, π]. */
function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
