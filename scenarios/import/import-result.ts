import type { RigInput } from '../../engine/config/rig-schema.js';

/** What an importer wrote. */
export interface ImportResult {
  /** The MCAP scenario file. */
  path: string;
  /** Frames written per sensor id. */
  frames: Record<string, number>;
  /** Ground-truth objects written, over all stamps. */
  groundTruth: number;
  /** The rig stored in the scenario's metadata. */
  rig: RigInput;
  /** Input lines or records that did not parse and were skipped (each reported to onWarning). */
  skipped: number;
}
