import { createRng } from '../engine/core/prng.js';
import { buildModel, float32Tensor, graph } from '../engine/encode/onnx-builder/index.js';
import { decodeYoloV5, decodeYoloV8, nms, type BoxDetection } from '../engine/encode/postprocess/index.js';
import { median, timeRuns as timeColdRuns, type Benchmark } from './benchmark.js';

/** Two untimed runs first, so that the figures are of JIT-compiled code. */
async function timeRuns(times: number, fn: () => unknown): Promise<number[]> {
  await timeColdRuns(2, fn);
  return timeColdRuns(times, fn);
}

/**
 * Synthetic outputs of the real sizes (640 input, 80 classes): YOLOv5 [1, 25200, 85] and YOLOv8
 * [1, 84, 8400]. Most class scores are low as in a real frame; ~1 % of anchors score above the
 * threshold, in clusters, so that NMS has overlapping boxes to suppress.
 */
function syntheticRows(anchors: number, width: number, classStart: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const rows = new Float32Array(anchors * width);
  const centers = Array.from({ length: 20 }, () => [rng.uniform(40, 600), rng.uniform(40, 600), rng.int(0, 79)]);
  for (let n = 0; n < anchors; n++) {
    const r = n * width;
    const hot = rng.next() < 0.01;
    const c = rng.pick(centers);
    rows[r] = hot ? c[0] + rng.normal() * 4 : rng.uniform(0, 640);
    rows[r + 1] = hot ? c[1] + rng.normal() * 4 : rng.uniform(0, 640);
    rows[r + 2] = rng.uniform(20, 120);
    rows[r + 3] = rng.uniform(20, 120);
    if (classStart === 5) rows[r + 4] = hot ? rng.uniform(0.5, 1) : rng.uniform(0, 0.05);
    for (let k = classStart; k < width; k++) rows[r + k] = rng.uniform(0, 0.02);
    if (hot) rows[r + classStart + c[2]] = rng.uniform(0.4, 1);
  }
  return rows;
}

function transpose(rows: Float32Array, anchors: number, width: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let n = 0; n < anchors; n++) for (let f = 0; f < width; f++) out[f * anchors + n] = rows[n * width + f];
  return out;
}

/** Post-processing of detector outputs and writing models with the ONNX builder. */
export const encodePostprocessBench: Benchmark = {
  name: 'encode post-processing (YOLO decoders, NMS) and the ONNX builder',
  async run() {
    const v5 = { data: syntheticRows(25200, 85, 5, 1), dims: [1, 25200, 85] };
    const v8rows = syntheticRows(8400, 84, 4, 2);
    const v8 = { data: transpose(v8rows, 8400, 84), dims: [1, 84, 8400] };
    const v5ms = median(await timeRuns(20, () => decodeYoloV5(v5)));
    const v8ms = median(await timeRuns(20, () => decodeYoloV8(v8)));
    const v5count = decodeYoloV5(v5)[0].length;
    const v8count = decodeYoloV8(v8)[0].length;

    const rng = createRng(3);
    const candidates: BoxDetection[] = Array.from({ length: 1000 }, (_, index) => {
      const x = rng.uniform(0, 600), y = rng.uniform(0, 600);
      return { index, classId: rng.int(0, 4), score: rng.next(), box: [x, y, x + rng.uniform(10, 80), y + rng.uniform(10, 80)] };
    });
    const nmsMs = median(await timeRuns(20, () => nms(candidates, { iouThreshold: 0.45 })));

    // A 64 MB float32 initializer: the builder's cost is copying weights into the protobuf.
    const weights = float32Tensor([4096, 4096], new Float32Array(4096 * 4096));
    const g = graph('big').input('x', 'float32', [1, 4096]).initializer('w', weights).node('MatMul', ['x', 'w'], 'y').output('y', 'float32', [1, 4096]);
    const buildMs = median(await timeRuns(5, () => buildModel({ opset: 17, graph: g })));
    return [
      { key: 'encode.postprocess.yolov5_25200x85.ms', value: v5ms, note: `ms per image, median of 20 (${v5count} detections)` },
      { key: 'encode.postprocess.yolov8_84x8400.ms', value: v8ms, note: `ms per image, median of 20 (${v8count} detections)` },
      { key: 'encode.postprocess.nms_1000.ms', value: nmsMs, note: 'ms, 1000 candidates, 5 classes, class-aware, median of 20' },
      { key: 'encode.onnxBuilder.build64MB.ms', value: buildMs, note: 'ms to serialize a model with a 64 MB initializer, median of 5' },
    ];
  },
};
