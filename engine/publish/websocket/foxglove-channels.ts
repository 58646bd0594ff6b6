import type { Rig } from '../../config/rig-schema.js';
import type { Modality } from '../../core/frames.js';
import { loadProtos } from '../../core/proto.js';
import {
  CALIBRATION_SCHEMA, CALIBRATION_TOPIC, EVENTS_TOPIC, EVENT_SCHEMA, SCHEMA_OF_MODALITY, defaultSensorTopic,
} from '../../../scenarios/topics.js';

export const SCENE_TOPIC = '/percept/scene';
export const SCENE_SCHEMA = 'foxglove.SceneUpdate';

export type ChannelSource =
  | { kind: 'sensor'; sensorId: string }
  | { kind: 'calibration' }
  | { kind: 'scene' }
  | { kind: 'events' };

/** One advertised channel, as the Foxglove WebSocket protocol's advertise op lists it. */
export interface FoxgloveChannel {
  id: number;
  topic: string;
  encoding: 'protobuf';
  schemaName: string;
  /** Base64 of a serialized google.protobuf.FileDescriptorSet, as the protocol wants for protobuf. */
  schema: string;
  schemaEncoding: 'protobuf';
}

export interface ChannelEntry {
  channel: FoxgloveChannel;
  source: ChannelSource;
}

/** A channel per rig sensor, then /tf_static, /percept/scene and /percept/events; ids in that order from 1. */
export function foxgloveChannels(rig: Rig): ChannelEntry[] {
  const protos = loadProtos();
  const schemaOf = (name: string): string => Buffer.from(protos.descriptorSet(name)).toString('base64');
  const entries: { topic: string; schemaName: string; source: ChannelSource }[] = [
    ...rig.sensors.map((s) => ({
      topic: defaultSensorTopic(s.id, s.modality as Modality),
      schemaName: SCHEMA_OF_MODALITY[s.modality as Modality],
      source: { kind: 'sensor' as const, sensorId: s.id },
    })),
    { topic: CALIBRATION_TOPIC, schemaName: CALIBRATION_SCHEMA, source: { kind: 'calibration' } },
    { topic: SCENE_TOPIC, schemaName: SCENE_SCHEMA, source: { kind: 'scene' } },
    { topic: EVENTS_TOPIC, schemaName: EVENT_SCHEMA, source: { kind: 'events' } },
  ];
  return entries.map((e, i) => ({
    channel: { id: i + 1, topic: e.topic, encoding: 'protobuf', schemaName: e.schemaName, schema: schemaOf(e.schemaName), schemaEncoding: 'protobuf' },
    source: e.source,
  }));
}
