import type { Rig } from '../config/rig-schema.js';
import type { SensorFrame } from '../core/frames.js';
import { millisToNanos } from '../core/time.js';
import { ApproximateTimeSynchronizer } from './approximate-time.js';
import { ExactTimeSync } from './exact-time.js';
import { LatestTimeSync } from './latest-time.js';
import { SlopTimeSync } from './slop-time.js';
import type { SyncCoreFactory } from './sync-core.js';

/**
 * The policy core the rig names, over whichever sensors are live. `nearest` is not here: it has
 * its own operator (engine/sync/nearest-sync.ts) with its own deadline.
 */
export function policyCoreFactory(rig: Rig): SyncCoreFactory<SensorFrame> {
  const { sync } = rig;
  const rateOf = new Map(rig.sensors.map((s) => [s.id, s.rateHz]));
  switch (sync.policy) {
    case 'approximate':
      return (ids, onSet, onDropped) =>
        new ApproximateTimeSynchronizer<SensorFrame>(ids.length, {
          queueSize: sync.queueSize,
          maxIntervalNs: sync.maxIntervalMs !== undefined ? millisToNanos(sync.maxIntervalMs) : undefined,
          agePenalty: sync.agePenalty,
          // Half the nominal period: no real sensor runs at twice its rate, and the bound lets a
          // set go out as soon as it is provably optimal instead of a whole period late.
          interMessageLowerBoundNs: ids.map((id) => millisToNanos(500 / (rateOf.get(id) ?? 1))),
          onSet,
          onDropped,
        });
    case 'exact':
      return (ids, onSet, onDropped) => new ExactTimeSync<SensorFrame>(ids.length, { queueSize: sync.queueSize, onDropped }, onSet);
    case 'latest':
      return (ids, onSet, onDropped) => new LatestTimeSync<SensorFrame>(ids.length, { onDropped }, onSet);
    case 'slop':
      return (ids, onSet, onDropped) =>
        new SlopTimeSync<SensorFrame>(ids.length, { slopNs: millisToNanos(sync.slopMs!), queueSize: sync.queueSize, onDropped }, onSet);
    case 'nearest':
      throw new Error('the nearest policy is an operator of its own, not a core');
  }
}
