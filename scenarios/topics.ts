import type { Modality } from '../engine/core/frames.js';
import type { SensorConfig } from '../engine/config/rig-schema.js';

/** Schema each modality is written with: Foxglove's where one exists, percept's otherwise. */
export const SCHEMA_OF_MODALITY: Record<Modality, string> = {
  camera: 'foxglove.CompressedImage',
  lidar: 'foxglove.PointCloud',
  radar: 'percept.RadarScan',
  gnss: 'foxglove.LocationFix',
  audio: 'percept.AudioChunk',
};

const TOPIC_SUFFIX: Record<Modality, string> = {
  camera: 'image',
  lidar: 'points',
  radar: 'scan',
  gnss: 'fix',
  audio: 'audio',
};

/** Topics that are not sensor frames but belong to the scenario format. */
export const CALIBRATION_TOPIC = '/tf_static';
export const GROUND_TRUTH_TOPIC = '/ground_truth';
export const EVENTS_TOPIC = '/percept/events';
export const CALIBRATION_SCHEMA = 'foxglove.FrameTransform';
export const CAMERA_INFO_SCHEMA = 'foxglove.CameraCalibration';
export const GROUND_TRUTH_SCHEMA = 'percept.GroundTruth';
export const EVENT_SCHEMA = 'percept.PerceptionEvent';

/** MCAP metadata record names. */
export const RIG_METADATA = 'percept.rig';
export const SCENARIO_METADATA = 'percept.scenario';

export function defaultSensorTopic(sensorId: string, modality: Modality): string {
  return `/${sensorId}/${TOPIC_SUFFIX[modality]}`;
}

export function cameraInfoTopic(sensorId: string): string {
  return `/${sensorId}/camera_info`;
}

export function sensorTopic(sensor: SensorConfig): string {
  return sensor.source.type === 'scenario' && sensor.source.topic
    ? sensor.source.topic
    : defaultSensorTopic(sensor.id, sensor.modality as Modality);
}
