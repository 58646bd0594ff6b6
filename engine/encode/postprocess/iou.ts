/**
 * Intersection over union of two [x1, y1, x2, y2] boxes: area(A ∩ B) / (area(A) + area(B) −
 * area(A ∩ B)), areas in continuous coordinates (no +1). A box with x2 < x1 or y2 < y1 has area 0;
 * two empty boxes have IoU 0.
 */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return iouAt(a, 0, b, 0);
}

/** IoU of the boxes stored at a[i..i+4) and b[j..j+4). */
export function iouAt(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ax1 = a[i], ay1 = a[i + 1], ax2 = a[i + 2], ay2 = a[i + 3];
  const bx1 = b[j], by1 = b[j + 1], bx2 = b[j + 2], by2 = b[j + 3];
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (!(iw > 0) || !(ih > 0)) return 0;
  const inter = iw * ih;
  const union = area(ax1, ay1, ax2, ay2) + area(bx1, by1, bx2, by2) - inter;
  return union > 0 ? inter / union : 0;
}

function area(x1: number, y1: number, x2: number, y2: number): number {
  const w = x2 - x1;
  const h = y2 - y1;
  return w > 0 && h > 0 ? w * h : 0;
}
