import { createRng, deriveSeed } from '../../engine/core/prng.js';
import type { GeoAnchor } from './geodesy.js';
import { LANE_WIDTH, ROAD_HALF_WIDTH, laneScale, roadPlace, type Road } from './road.js';

/**
 * The simulated world: a road, the ego car and the actors, every one of them moving along the road by a
 * closed-form function of time, so that any sensor can ask where anything is at its own stamp.
 * Time here is float seconds since the scenario start: the generator's own clock, never the engine's.
 */

export type ActorLabel = 'car' | 'pedestrian' | 'cyclist';

export interface ActorSize {
  /** Length (along its heading), width, height, metres. */
  readonly length: number;
  readonly width: number;
  readonly height: number;
}

export const ACTOR_SIZE: Record<ActorLabel, ActorSize> = {
  car: { length: 4.5, width: 1.9, height: 1.6 },
  pedestrian: { length: 0.7, width: 0.7, height: 1.75 },
  cyclist: { length: 1.8, width: 0.6, height: 1.7 },
};

export interface Actor {
  readonly id: number;
  readonly label: ActorLabel;
  readonly size: ActorSize;
  /** Lateral offset of its path, metres, left of the centre line positive. */
  readonly d: number;
  /** Centre-line arc length at t = 0. */
  readonly s0: number;
  /** Ground speed along the road, m/s; negative drives against increasing s. */
  readonly speed: number;
  /** Body colour, sRGB 0..255. */
  readonly color: readonly [number, number, number];
}

/** Where something is at one instant: ENU position of its base centre, heading, velocity over ground. */
export interface PlanarState {
  x: number;
  y: number;
  yaw: number;
  vx: number;
  vy: number;
  yawRate: number;
  speed: number;
}

export interface EgoMotion {
  readonly d: number;
  /** Mean speed and a slow sinusoidal variation of it: v(t) = mean + amplitude·sin(omega·t). */
  readonly meanSpeed: number;
  readonly amplitude: number;
  readonly omega: number;
}

export interface World {
  readonly seed: number;
  readonly anchor: GeoAnchor;
  readonly road: Road;
  readonly ego: EgoMotion;
  readonly actors: readonly Actor[];
}

/** Boston Seaport, where much of nuScenes was driven. */
export const SEAPORT: GeoAnchor = { latitude: 42.336, longitude: -71.057, altitudeMsl: 4.0, geoidSeparation: -28.7 };

const EGO_LANE = -LANE_WIDTH / 2;
const OUTER_SAME_LANE = -1.5 * LANE_WIDTH;
const INNER_ONCOMING_LANE = LANE_WIDTH / 2;
const OUTER_ONCOMING_LANE = 1.5 * LANE_WIDTH;
const BIKE_OFFSET = ROAD_HALF_WIDTH - 0.5;
/** Lateral offsets of walking tracks on each sidewalk, 0.8 m or more apart. */
const SIDEWALK_TRACKS = [ROAD_HALF_WIDTH + 0.6, ROAD_HALF_WIDTH + 1.45, ROAD_HALF_WIDTH + 2.3, ROAD_HALF_WIDTH + 3.1];

const CAR_COLORS: readonly (readonly [number, number, number])[] = [
  [200, 30, 35], [235, 235, 235], [25, 30, 40], [40, 80, 170], [150, 155, 160], [225, 180, 40], [30, 120, 70],
];
const PEDESTRIAN_COLORS: readonly (readonly [number, number, number])[] = [[230, 120, 30], [120, 60, 160], [20, 150, 170], [200, 60, 120]];
const CYCLIST_COLORS: readonly (readonly [number, number, number])[] = [[60, 200, 60], [250, 220, 0], [0, 180, 230]];

export function createWorld(seed: number): World {
  const rng = createRng(deriveSeed(seed, 1));
  const radius = rng.uniform(250, 600);
  const road: Road = { x0: 0, y0: 0, heading0: rng.uniform(-Math.PI, Math.PI), curvature: (rng.next() < 0.5 ? 1 : -1) / radius };
  const ego: EgoMotion = { d: EGO_LANE, meanSpeed: rng.uniform(8.5, 9.5), amplitude: 0.6, omega: (2 * Math.PI) / 16 };
  const actors: Actor[] = [];
  const add = (label: ActorLabel, d: number, s0: number, speed: number, color: readonly [number, number, number]): void => {
    actors.push({ id: actors.length + 1, label, size: ACTOR_SIZE[label], d, s0, speed, color });
  };
  const carColor = (): readonly [number, number, number] => rng.pick(CAR_COLORS);

  // Cars in one lane share its speed so they keep their spacing and never run into each other.
  const laneOfCars = (d: number, count: number, speed: number, from: number, minGap: number, maxGap: number): void => {
    let s = from;
    for (let i = 0; i < count; i++) {
      add('car', d, s, speed, carColor());
      s += rng.uniform(minGap, maxGap);
    }
  };
  // The ego lane's cars drive at the ego's mean speed, ahead of it by more than its speed swing.
  laneOfCars(EGO_LANE, rng.int(1, 2), ego.meanSpeed, rng.uniform(16, 24), 18, 30);
  laneOfCars(OUTER_SAME_LANE, rng.int(2, 3), rng.uniform(9, 11.5), rng.uniform(-25, 5), 14, 30);
  // The first oncoming car starts close, so even a one-second scenario has one approaching.
  laneOfCars(INNER_ONCOMING_LANE, rng.int(2, 3), -rng.uniform(8, 11), rng.uniform(30, 45), 40, 120);
  laneOfCars(OUTER_ONCOMING_LANE, rng.int(2, 3), -rng.uniform(7, 10), rng.uniform(50, 90), 35, 110);

  // Each pedestrian walks its own track on a sidewalk, so none walks through another.
  const tracks = SIDEWALK_TRACKS.flatMap((d) => [-d, d]);
  for (let i = tracks.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [tracks[i], tracks[j]] = [tracks[j], tracks[i]];
  }
  // The first stands or walks near the start on the ego's side, so short scenarios see one.
  tracks.unshift(...tracks.splice(tracks.findIndex((d) => d < 0), 1));
  const pedestrians = rng.int(5, Math.min(8, tracks.length));
  for (let i = 0; i < pedestrians; i++) {
    const s0 = i === 0 ? rng.uniform(10, 20) : rng.uniform(-10, 180);
    const speed = rng.next() < 0.2 ? 0 : (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.8, 1.6);
    add('pedestrian', tracks[i], s0, speed, rng.pick(PEDESTRIAN_COLORS));
  }
  // Cyclists keep to the kerb side of the outer lanes; those on one side share a pace, like cars in a lane.
  const cyclists = rng.int(2, 4);
  const oncomingCyclists = rng.int(0, Math.min(2, cyclists - 1));
  const bikeLane = (d: number, count: number, speed: number): void => {
    let s = rng.uniform(-20, 40);
    for (let i = 0; i < count; i++) {
      add('cyclist', d, s, speed, rng.pick(CYCLIST_COLORS));
      s += rng.uniform(15, 60);
    }
  };
  bikeLane(-BIKE_OFFSET, cyclists - oncomingCyclists, rng.uniform(4, 6.5));
  bikeLane(BIKE_OFFSET, oncomingCyclists, -rng.uniform(4, 6.5));
  return { seed, anchor: SEAPORT, road, ego, actors };
}

/** Distance the ego has driven along its lane after t seconds. */
function egoDistance(ego: EgoMotion, t: number): number {
  return ego.meanSpeed * t + (ego.amplitude / ego.omega) * (1 - Math.cos(ego.omega * t));
}

function stateOnLane(road: Road, d: number, s: number, speed: number, out: PlanarState): PlanarState {
  const p = roadPlace(road, s, d);
  const forward = speed >= 0 ? 0 : Math.PI;
  out.x = p.x;
  out.y = p.y;
  out.yaw = wrapAngle(p.heading + forward);
  out.vx = speed * Math.cos(p.heading);
  out.vy = speed * Math.sin(p.heading);
  out.speed = Math.abs(speed);
  // Turning with the lane: heading rate = curvature of the lane times speed along it.
  out.yawRate = road.curvature * laneScale(road, d) * speed;
  return out;
}

export function egoState(world: World, t: number, out: PlanarState = emptyState()): PlanarState {
  const { ego, road } = world;
  const s = egoDistance(ego, t) * laneScale(road, ego.d);
  return stateOnLane(road, ego.d, s, ego.meanSpeed + ego.amplitude * Math.sin(ego.omega * t), out);
}

export function actorState(world: World, actor: Actor, t: number, out: PlanarState = emptyState()): PlanarState {
  const s = actor.s0 + actor.speed * t * laneScale(world.road, actor.d);
  return stateOnLane(world.road, actor.d, s, actor.speed, out);
}

export function emptyState(): PlanarState {
  return { x: 0, y: 0, yaw: 0, vx: 0, vy: 0, yawRate: 0, speed: 0 };
}

export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
}

