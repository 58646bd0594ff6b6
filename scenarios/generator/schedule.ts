import type { Rig, SensorConfig } from '../../engine/config/rig-schema.js';
import { NS_PER_MS, NS_PER_S, type Nanos } from '../../engine/core/time.js';
import { createRng, deriveSeed, stringSeed } from '../../engine/core/prng.js';

/**
 * When each sensor fires. Sensors are not triggered together: each has a fixed phase within its
 * period and a fixed transport delay (receivedAt − stamp), both drawn from the seed.
 */
export interface SensorTiming {
  readonly sensor: SensorConfig;
  /** Order of the sensor in the rig, to break ties between equal stamps. */
  readonly index: number;
  readonly phaseNs: Nanos;
  readonly delayNs: Nanos;
}

export interface ScheduledFrame {
  readonly timing: SensorTiming;
  readonly seq: number;
  readonly stamp: Nanos;
}

export function sensorTimings(rig: Rig, seed: number): SensorTiming[] {
  return rig.sensors.map((sensor, index) => {
    const rng = createRng(deriveSeed(seed, 3, stringSeed(sensor.id)));
    const periodNs = 1e9 / sensor.rateHz;
    return {
      sensor,
      index,
      phaseNs: BigInt(Math.floor(rng.next() * periodNs)),
      delayNs: BigInt(Math.round(rng.uniform(2, 8) * 1e6)),
    };
  });
}

/** Every frame of every sensor with start ≤ stamp < start + duration, in stamp order. */
export function scheduleFrames(timings: readonly SensorTiming[], start: Nanos, durationS: number): ScheduledFrame[] {
  const end = start + BigInt(Math.round(durationS * 1e9));
  const frames: ScheduledFrame[] = [];
  for (const timing of timings) {
    const periodNs = 1e9 / timing.sensor.rateHz;
    for (let seq = 0; ; seq++) {
      const stamp = start + timing.phaseNs + BigInt(Math.round(seq * periodNs));
      if (stamp >= end) break;
      frames.push({ timing, seq, stamp });
    }
  }
  frames.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.timing.index - b.timing.index));
  return frames;
}

/** Scenario seconds of an engine stamp, for the world's closed-form functions. */
export function scenarioSeconds(stamp: Nanos, start: Nanos): number {
  const rel = stamp - start;
  return Number(rel / NS_PER_S) + Number(rel % NS_PER_S) / 1e9;
}

/** 2018-08-01 12:00:00 UTC: fixed, so that equal seeds give equal files. */
export const SCENARIO_START: Nanos = BigInt(Date.UTC(2018, 7, 1, 12, 0, 0)) * NS_PER_MS;
