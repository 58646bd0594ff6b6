/** Every TF op the converter writes, by op name (Placeholder and Const are the converter's own). */
import type { OpConverter } from './op-converter.js';
import { convConverters } from './ops/conv.js';
import { elementwiseConverters } from './ops/elementwise.js';
import { floorDivisionConverters } from './ops/floor-division.js';
import { gatherConverters } from './ops/gather.js';
import { poolConverters } from './ops/pool.js';
import { reduceConverters } from './ops/reduce.js';
import { resizeConverters } from './ops/resize.js';
import { shapeConverters } from './ops/shape-ops.js';
import { stridedSliceConverters } from './ops/strided-slice.js';
import { topKConverters } from './ops/topk.js';

export const OP_CONVERTERS: Readonly<Record<string, OpConverter>> = Object.freeze({
  ...convConverters,
  ...poolConverters,
  ...elementwiseConverters,
  ...floorDivisionConverters,
  ...reduceConverters,
  ...resizeConverters,
  ...shapeConverters,
  ...stridedSliceConverters,
  ...gatherConverters,
  ...topKConverters,
});

export function supportedOps(): string[] {
  return ['Const', 'Placeholder', ...Object.keys(OP_CONVERTERS)].sort();
}
