import type { BoxDetection } from './box-detection.js';

/**
 * Detections that passed the score threshold, kept in parallel typed arrays that grow by doubling,
 * so a decoder allocates nothing per candidate. Decoders push candidates in the order of the model
 * output (row, then class id): that order is the tie-break of NMS.
 */
export class CandidateList {
  count = 0;
  boxes: Float64Array;
  scores: Float64Array;
  classIds: Int32Array;
  indices: Int32Array;

  constructor(initialCapacity = 64) {
    const n = Math.max(1, initialCapacity);
    this.boxes = new Float64Array(4 * n);
    this.scores = new Float64Array(n);
    this.classIds = new Int32Array(n);
    this.indices = new Int32Array(n);
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, classId: number, index: number): void {
    if (this.count === this.scores.length) this.#grow();
    const i = this.count++;
    const b = 4 * i;
    this.boxes[b] = x1;
    this.boxes[b + 1] = y1;
    this.boxes[b + 2] = x2;
    this.boxes[b + 3] = y2;
    this.scores[i] = score;
    this.classIds[i] = classId;
    this.indices[i] = index;
  }

  /** The candidate at `i` as a detection object (made only for the ones that are kept). */
  detection(i: number): BoxDetection {
    const b = 4 * i;
    return {
      box: [this.boxes[b], this.boxes[b + 1], this.boxes[b + 2], this.boxes[b + 3]],
      score: this.scores[i],
      classId: this.classIds[i],
      index: this.indices[i],
    };
  }

  #grow(): void {
    const n = this.scores.length * 2;
    const boxes = new Float64Array(4 * n);
    boxes.set(this.boxes);
    const scores = new Float64Array(n);
    scores.set(this.scores);
    const classIds = new Int32Array(n);
    classIds.set(this.classIds);
    const indices = new Int32Array(n);
    indices.set(this.indices);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
    this.indices = indices;
  }
}
