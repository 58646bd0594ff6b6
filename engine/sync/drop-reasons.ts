/** Why a message reached no set. Every policy reports drops with one of these, and the engine counts them. */
export type DropReason =
  /** The source's queue was full (ApproximateTime, ExactTime) or the per-sensor buffer overflowed. */
  | 'queue-overflow'
  /** No set could hold it within the policy's max interval (ApproximateTime) or slop. */
  | 'max-interval'
  /** A newer message of the same source replaced it before any set used it. */
  | 'superseded'
  /** It came after the sets it could have joined were emitted, or after its reorder window. */
  | 'late'
  /** The input ended before it could be matched. */
  | 'stream-ended'
  /** No set's reference stamp was within the tolerance of it (nearest policy). */
  | 'unmatched'
  /** Its stamp went backwards for its source beyond what the reorder window repairs. */
  | 'out-of-order'
  /** Its stamp is negative or absurd (beyond the engine's time range). */
  | 'bad-stamp'
  /** It names a sensor that is not in the rig. */
  | 'unknown-sensor'
  /** Live mode: a newer set replaced it while the encoders were busy (counted per set). */
  | 'stale'
  /** An encoder failed on the set; the set went on without that encoder's output (counted per set). */
  | 'encoder-error';

export const DROP_REASONS: readonly DropReason[] = [
  'queue-overflow', 'max-interval', 'superseded', 'late', 'stream-ended', 'unmatched', 'out-of-order', 'bad-stamp', 'unknown-sensor',
  'stale', 'encoder-error',
];

/** Every policy takes this: the message, the index of its source in `sources`, and why. */
export type OnDropped<T> = (message: T, sourceIndex: number, reason: DropReason) => void;
