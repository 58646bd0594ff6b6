import type { CameraModel } from '../../engine/core/geometry.js';
import { CameraProjector } from './camera-projection.js';
import { createImage, fillConvexPolygon, fillVerticalGradient, type Rgb, type RgbImage } from './raster.js';
import { DASHED_LINES, DASH_LENGTH, DASH_PERIOD, MARKING_WIDTH, ROAD_HALF_WIDTH, SIDEWALK_OUTER, SOLID_LINES, roadCoordinates, roadPlace } from './road.js';
import { sensorPose, type Mount } from './sensor-pose.js';
import { actorState, egoState, emptyState, type Actor, type World } from './world.js';

/**
 * Paints what one camera sees at one instant: sky, terrain, the road with its markings, and the
 * actors as flat-shaded boxes drawn far to near (painter's algorithm; boxes are convex, so within a
 * box back-face culling alone orders its faces).
 */

const SKY_TOP: Rgb = [92, 140, 205];
const SKY_HORIZON: Rgb = [205, 220, 232];
const TERRAIN: Rgb = [112, 118, 100];
const SIDEWALK: Rgb = [168, 166, 158];
const ASPHALT: Rgb = [72, 74, 78];
const WHITE_PAINT: Rgb = [225, 225, 218];
const YELLOW_PAINT: Rgb = [222, 185, 50];
const GLASS: Rgb = [38, 48, 60];
const DARK: Rgb = [35, 35, 40];
const SKIN: Rgb = [205, 160, 130];
/** Direction towards the sun, ENU (unnormalized). */
const SUN = normalize(0.35, 0.45, 0.82);
const AMBIENT = 0.45;

/** Road is drawn from this far behind the camera to this far ahead, in pieces of this length. */
const ROAD_BEHIND = 60;
const ROAD_AHEAD = 220;
const ROAD_PIECE = 5;
const TERRAIN_HALF_SIZE = 1500;
const ACTOR_DRAW_DISTANCE = 150;

/** A box part of an actor, in the actor's frame: centre offset along its length, size, colour. */
interface Part {
  readonly offset: number;
  readonly length: number;
  readonly width: number;
  readonly bottom: number;
  readonly top: number;
  readonly color: Rgb;
}

/** How each class looks: boxes that fill its ground-truth box, shaped a little like the real thing. */
function partsOf(actor: Actor): Part[] {
  const { length, width, height } = actor.size;
  const color = actor.color as Rgb;
  switch (actor.label) {
    case 'car':
      return [
        { offset: 0, length, width, bottom: 0.25, top: 0.95, color },
        { offset: -0.05 * length, length: 0.55 * length, width: 0.92 * width, bottom: 0.95, top: height, color: GLASS },
        { offset: 0.3 * length, length: 0.18 * length, width: width * 0.98, bottom: 0, top: 0.25, color: DARK },
        { offset: -0.3 * length, length: 0.18 * length, width: width * 0.98, bottom: 0, top: 0.25, color: DARK },
      ];
    case 'pedestrian':
      return [
        { offset: 0, length: 0.3, width: 0.45, bottom: 0, top: 0.85, color: DARK },
        { offset: 0, length: 0.35, width: width, bottom: 0.85, top: 1.5, color },
        { offset: 0, length: 0.22, width: 0.22, bottom: 1.5, top: height, color: SKIN },
      ];
    case 'cyclist':
      return [
        { offset: 0, length, width: 0.12, bottom: 0, top: 0.75, color: DARK },
        { offset: -0.1, length: 0.5, width, bottom: 0.75, top: 1.45, color },
        { offset: -0.05, length: 0.25, width: 0.25, bottom: 1.45, top: height, color: SKIN },
      ];
  }
}

interface PlacedPart {
  readonly corners: Float64Array;
  readonly color: Rgb;
  readonly distance: number;
}

export class CameraRenderer {
  readonly #cam: CameraModel;
  readonly #mount: Mount;
  readonly #projector: CameraProjector;
  readonly #sky: RgbImage;
  readonly #quad = new Float64Array(12);

  /** Bytes of one RGB image of this camera. */
  get bytes(): number {
    return this.#sky.data.length;
  }

  constructor(cam: CameraModel, mount: Mount) {
    this.#cam = cam;
    this.#mount = mount;
    this.#projector = new CameraProjector(cam);
    this.#sky = createImage(cam.width, cam.height);
    fillVerticalGradient(this.#sky, SKY_TOP, SKY_HORIZON);
  }

  /**
   * The camera's picture at time t (seconds since the scenario start), as RGB; painted into `into`
   * (width·height·3 bytes) when given, so a caller can recycle image buffers.
   */
  render(world: World, t: number, into?: Uint8Array): RgbImage {
    let data: Uint8Array;
    if (into) {
      if (into.length !== this.#sky.data.length) throw new RangeError(`image buffer of ${into.length} bytes; this camera needs ${this.#sky.data.length}`);
      data = into;
      data.set(this.#sky.data);
    } else {
      data = this.#sky.data.slice();
    }
    const img: RgbImage = { width: this.#cam.width, height: this.#cam.height, data };
    const ego = egoState(world, t);
    const pose = sensorPose(this.#mount, ego);
    this.#projector.setPose(pose);

    const q = this.#quad;
    const setQuad = (i: number, x: number, y: number, z: number): void => {
      q[3 * i] = x;
      q[3 * i + 1] = y;
      q[3 * i + 2] = z;
    };
    const R = TERRAIN_HALF_SIZE;
    setQuad(0, pose.ox - R, pose.oy - R, 0);
    setQuad(1, pose.ox + R, pose.oy - R, 0);
    setQuad(2, pose.ox + R, pose.oy + R, 0);
    setQuad(3, pose.ox - R, pose.oy + R, 0);
    this.#fill(img, q, 4, TERRAIN);

    // The road, piece by piece, so that it follows the curve.
    const here = roadCoordinates(world.road, pose.ox, pose.oy).s;
    const strip = (s0: number, s1: number, d0: number, d1: number, color: Rgb): void => {
      const a = roadPlace(world.road, s0, d0);
      const b = roadPlace(world.road, s1, d0);
      const c = roadPlace(world.road, s1, d1);
      const d = roadPlace(world.road, s0, d1);
      setQuad(0, a.x, a.y, 0);
      setQuad(1, b.x, b.y, 0);
      setQuad(2, c.x, c.y, 0);
      setQuad(3, d.x, d.y, 0);
      this.#fill(img, q, 4, color);
    };
    const first = Math.floor((here - ROAD_BEHIND) / ROAD_PIECE) * ROAD_PIECE;
    const last = here + ROAD_AHEAD;
    for (let s = first; s < last; s += ROAD_PIECE) {
      strip(s, s + ROAD_PIECE, ROAD_HALF_WIDTH, SIDEWALK_OUTER, SIDEWALK);
      strip(s, s + ROAD_PIECE, -SIDEWALK_OUTER, -ROAD_HALF_WIDTH, SIDEWALK);
      strip(s, s + ROAD_PIECE, -ROAD_HALF_WIDTH, ROAD_HALF_WIDTH, ASPHALT);
      SOLID_LINES.forEach((d, i) => strip(s, s + ROAD_PIECE, d - MARKING_WIDTH / 2, d + MARKING_WIDTH / 2, i < 2 ? YELLOW_PAINT : WHITE_PAINT));
    }
    for (let s = Math.floor(first / DASH_PERIOD) * DASH_PERIOD; s < last; s += DASH_PERIOD) {
      for (const d of DASHED_LINES) strip(s, s + DASH_LENGTH, d - MARKING_WIDTH / 2, d + MARKING_WIDTH / 2, WHITE_PAINT);
    }

    // Actors: every box part, far to near.
    const parts: PlacedPart[] = [];
    const state = emptyState();
    for (const actor of world.actors) {
      actorState(world, actor, t, state);
      if (Math.hypot(state.x - pose.ox, state.y - pose.oy) > ACTOR_DRAW_DISTANCE) continue;
      const c = Math.cos(state.yaw);
      const s = Math.sin(state.yaw);
      for (const part of partsOf(actor)) {
        const corners = boxCorners(state.x + c * part.offset, state.y + s * part.offset, c, s, part);
        const mx = state.x + c * part.offset - pose.ox;
        const my = state.y + s * part.offset - pose.oy;
        const mz = (part.bottom + part.top) / 2 - pose.oz;
        parts.push({ corners, color: part.color, distance: Math.hypot(mx, my, mz) });
      }
    }
    parts.sort((a, b) => b.distance - a.distance);
    for (const part of parts) this.#drawBox(img, part, pose.ox, pose.oy, pose.oz);
    return img;
  }

  #fill(img: RgbImage, xyz: ArrayLike<number>, n: number, color: Rgb): void {
    const count = this.#projector.project(xyz, n);
    if (count >= 3) fillConvexPolygon(img, this.#projector.u, this.#projector.v, count, color);
  }

  #drawBox(img: RgbImage, part: PlacedPart, ex: number, ey: number, ez: number): void {
    const k = part.corners;
    const face = new Float64Array(12);
    for (const [i0, i1, i2, i3] of BOX_FACES) {
      for (const [slot, idx] of [[0, i0], [1, i1], [2, i2], [3, i3]] as const) {
        face[3 * slot] = k[3 * idx];
        face[3 * slot + 1] = k[3 * idx + 1];
        face[3 * slot + 2] = k[3 * idx + 2];
      }
      // Outward normal from the winding (counter-clockwise seen from outside).
      const ux = face[3] - face[0], uy = face[4] - face[1], uz = face[5] - face[2];
      const vx = face[9] - face[0], vy = face[10] - face[1], vz = face[11] - face[2];
      const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
      const facing = nx * (face[0] - ex) + ny * (face[1] - ey) + nz * (face[2] - ez);
      if (facing >= 0) continue;
      const len = Math.hypot(nx, ny, nz) || 1;
      const light = AMBIENT + (1 - AMBIENT) * Math.max(0, (nx * SUN[0] + ny * SUN[1] + nz * SUN[2]) / len);
      this.#fill(img, face, 4, [part.color[0] * light, part.color[1] * light, part.color[2] * light].map(Math.round) as unknown as Rgb);
    }
  }
}

/** Corners 0-3 at the bottom, 4-7 at the top, counter-clockwise seen from above. */
function boxCorners(cx: number, cy: number, c: number, s: number, part: Part): Float64Array {
  const hl = part.length / 2;
  const hw = part.width / 2;
  const out = new Float64Array(24);
  const local: readonly (readonly [number, number])[] = [[hl, -hw], [hl, hw], [-hl, hw], [-hl, -hw]];
  for (let i = 0; i < 4; i++) {
    const [lx, ly] = local[i];
    const x = cx + c * lx - s * ly;
    const y = cy + s * lx + c * ly;
    out.set([x, y, part.bottom], 3 * i);
    out.set([x, y, part.top], 3 * (i + 4));
  }
  return out;
}

/** Faces wound counter-clockwise seen from outside (so the cross product points out). */
const BOX_FACES: readonly (readonly [number, number, number, number])[] = [
  [4, 5, 6, 7], // top
  [0, 1, 5, 4], // front (+x)
  [1, 2, 6, 5], // left (+y)
  [2, 3, 7, 6], // back (−x)
  [3, 0, 4, 7], // right (−y)
];

function normalize(x: number, y: number, z: number): [number, number, number] {
  const n = Math.hypot(x, y, z);
  return [x / n, y / n, z / n];
}
