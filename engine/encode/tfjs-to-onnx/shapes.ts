/**
 * Static shapes as the converter tracks them: every rank is known, a size may be unknown (null,
 * e.g. a batch of -1). Layout-dependent attributes and SAME padding are computed from these.
 */
import { TfjsConversionError } from './conversion-error.js';

export type Shape = readonly (number | null)[];

/** NumPy broadcasting (TF's and ONNX's); unknown sizes stay unknown unless the other side fixes them. */
export function broadcastShapes(a: Shape, b: Shape, where: string): Shape {
  const rank = Math.max(a.length, b.length);
  const out: (number | null)[] = [];
  for (let i = 0; i < rank; i++) {
    const x = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const y = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null || y === null) out.push(x ?? y);
    else if (x === y) out.push(x);
    else throw new TfjsConversionError(`${where}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
  }
  return out;
}

/** A TF axis (negative counts from the end) as a non-negative axis of a rank-`rank` tensor. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new TfjsConversionError(`${where}: axis ${axis} is outside a rank-${rank} tensor`);
  return a;
}

export function formatShape(shape: Shape): string {
  return `[${shape.map((d) => d ?? '?').join(', ')}]`;
}

/** The element count when every size is known. */
export function knownSize(shape: Shape): number | null {
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}
