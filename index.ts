// percept's public face: what embedders import. Nothing else is part of the API.
export * from './engine/core/time.js';
export * from './engine/core/frames.js';
export * from './engine/core/geometry.js';
export * from './engine/core/geodesy.js';
export { loadProtos, type ProtoSchemas } from './engine/core/proto.js';
export { rigSchema, type Rig, type RigInput, type SensorConfig } from './engine/config/rig-schema.js';
export {
  ConfigError, validateRig, parseRigText, loadRigFile, sensorExtrinsic, sensorCameraModel, sensorFrameId,
} from './engine/config/load-rig.js';
export { createEngine, type Engine, type EngineOptions, type DroppedFrame } from './engine/engine.js';
export type { EngineStats, LatencySummary } from './engine/engine-stats.js';
export * from './engine/events/perception-event.js';
export { nearestSync, type NearestSyncOptions } from './engine/sync/nearest-sync.js';
export { DROP_REASONS, type DropReason, type OnDropped } from './engine/sync/drop-reasons.js';
export { replayScenario, type ReplayOptions, type ReplaySummary } from './engine/replay.js';
export { openScenario } from './scenarios/scenario-reader.js';
export { createPlayer } from './scenarios/player.js';
export { ScenarioWriter } from './scenarios/scenario-writer.js';
export { scenarioInfo } from './scenarios/scenario-info.js';
export { generateScenario } from './scenarios/generator/index.js';
export { ensureDefaultScenario } from './scenarios/default-scenario.js';
export { importKitti } from './scenarios/import/kitti.js';
export { importNuscenes } from './scenarios/import/nuscenes.js';
export { backendInfo, nativeStatus, transformPoints, transformPointsAsync } from './native/index.js';
