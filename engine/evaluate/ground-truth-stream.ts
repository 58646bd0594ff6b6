import { loadProtos } from '../core/proto.js';
import { toBigInt, type Nanos } from '../core/time.js';
import type { EgoPose } from '../events/perception-event.js';
import { openScenario, type Scenario } from '../../scenarios/scenario-reader.js';
import { GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TOPIC } from '../../scenarios/topics.js';
import type { GroundTruthObject } from '../../scenarios/scenario-writer.js';

/** One percept.GroundTruth message: what is really there at a LiDAR stamp, in base_link. */
export interface GroundTruthFrame {
  readonly stamp: Nanos;
  readonly ego: EgoPose | undefined;
  /** lidarPoints is 0 where the source did not know it. */
  readonly objects: readonly GroundTruthObject[];
}

/** A protobuf message claiming more objects than this is not ground truth of one sweep. */
const MAX_OBJECTS = 100_000;

type Vec = { x?: number; y?: number; z?: number } | null | undefined;

/** Decodes one /ground_truth message; the stamp falls back to the log time when the message has none. */
export function decodeGroundTruth(data: Uint8Array, logTime: Nanos): GroundTruthFrame {
  const msg = loadProtos().type(GROUND_TRUTH_SCHEMA).decode(data) as unknown as {
    stamp_ns?: number | string | { low: number; high: number; unsigned: boolean } | null;
    ego?: (Omit<EgoPose, 'position'> & { position?: Vec }) | null;
    objects?: Array<Record<string, unknown>>;
  };
  const objects = msg.objects ?? [];
  if (objects.length > MAX_OBJECTS) throw new RangeError(`ground truth with ${objects.length} objects (limit ${MAX_OBJECTS})`);
  const vec = (v: Vec) => ({ x: v?.x ?? 0, y: v?.y ?? 0, z: v?.z ?? 0 });
  const stamp = msg.stamp_ns !== undefined && msg.stamp_ns !== null ? toBigInt(msg.stamp_ns) : 0n;
  return {
    stamp: stamp || logTime,
    ego: msg.ego
      ? {
        position: vec(msg.ego.position), yaw: msg.ego.yaw ?? 0, latitude: msg.ego.latitude ?? 0,
        longitude: msg.ego.longitude ?? 0, altitude: msg.ego.altitude ?? 0, speed: msg.ego.speed ?? 0,
      }
      : undefined,
    objects: objects.map((o) => ({
      id: (o.id as number | undefined) ?? 0,
      label: (o.label as string | undefined) ?? '',
      position: vec(o.position as Vec),
      size: vec(o.size as Vec),
      yaw: (o.yaw as number | undefined) ?? 0,
      velocity: vec(o.velocity as Vec),
      lidarPoints: (o.lidar_points as number | undefined) ?? 0,
    })),
  };
}

export interface ReadGroundTruthOptions {
  /** Inclusive log-time bounds, as in MCAP. */
  startTime?: Nanos;
  endTime?: Nanos;
  /** A message that does not decode is skipped and reported here. */
  onError?: (error: Error, logTime: Nanos) => void;
}

/** The /ground_truth messages of an open scenario, in log-time order. */
export async function* readGroundTruth(scenario: Scenario, options: ReadGroundTruthOptions = {}): AsyncGenerator<GroundTruthFrame> {
  if (!scenario.topics.some((t) => t.topic === GROUND_TRUTH_TOPIC)) return;
  for await (const m of scenario.readMessages({ topics: [GROUND_TRUTH_TOPIC], startTime: options.startTime, endTime: options.endTime })) {
    if (m.schemaName !== GROUND_TRUTH_SCHEMA) {
      options.onError?.(new Error(`${GROUND_TRUTH_TOPIC} message with schema ${m.schemaName}, not ${GROUND_TRUTH_SCHEMA}`), m.logTime);
      continue;
    }
    let frame: GroundTruthFrame;
    try {
      frame = decodeGroundTruth(m.data, m.logTime);
    } catch (err) {
      options.onError?.(err instanceof Error ? err : new Error(String(err)), m.logTime);
      continue;
    }
    yield frame;
  }
}

/** Every ground-truth frame of a scenario file, by stamp. */
export async function readGroundTruthFile(path: string, options: ReadGroundTruthOptions = {}): Promise<Map<Nanos, GroundTruthFrame>> {
  const scenario = await openScenario(path, { validateRig: false });
  try {
    const byStamp = new Map<Nanos, GroundTruthFrame>();
    for await (const frame of readGroundTruth(scenario, options)) byStamp.set(frame.stamp, frame);
    return byStamp;
  } finally {
    await scenario.close();
  }
}
