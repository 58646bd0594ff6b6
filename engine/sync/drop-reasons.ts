/** Why a frame reached no FrameSet. Counted by reason in engine stats and in the replay summary. */
export type DropReason =
  /** No set's reference stamp was within the tolerance of the frame. */
  | 'unmatched'
  /** The frame came after the sets it could have joined were already emitted. */
  | 'late'
  /** The input ended before the frame could be matched. */
  | 'stream-ended'
  /** The frame names a sensor that is not in the rig. */
  | 'unknown-sensor'
  /** The frame's stamp went backwards for its sensor. */
  | 'out-of-order'
  /** The per-sensor buffer was full. */
  | 'queue-overflow';

export type OnDropped = (frame: { sensorId: string; stamp: bigint }, reason: DropReason) => void;
