import { transformPoints } from '../native/index.js';
import { transformPointsReference } from '../native/transform-points.js';
import { transformToMatrix4, quatFromEuler } from '../engine/core/geometry.js';
import { median, timeRuns, type Benchmark } from './benchmark.js';

/** The addon's CPU transform against the TypeScript reference, on one LiDAR-sized batch. */
export const nativeTransformBench: Benchmark = {
  name: 'native transformPoints (1M points, stride 4)',
  async run() {
    const n = 1_000_000;
    const points = new Float32Array(n * 4);
    for (let i = 0; i < points.length; i++) points[i] = ((i * 2654435761) % 1000) / 10;
    const m = transformToMatrix4({ translation: { x: 1, y: 2, z: 1.8 }, rotation: quatFromEuler(0.01, 0.02, 1.2) });
    const out = new Float32Array(points.length);
    transformPoints(points, 4, m, { backend: 'cpu', out });
    transformPointsReference(points, 4, m, out);
    const nativeMs = median(await timeRuns(7, () => transformPoints(points, 4, m, { backend: 'cpu', out })));
    const tsMs = median(await timeRuns(7, () => transformPointsReference(points, 4, m, out)));
    return [
      { key: 'native.transformPoints.cpuMs', value: nativeMs, note: 'ms, median of 7' },
      { key: 'native.transformPoints.tsMs', value: tsMs, note: 'ms, median of 7 (TypeScript reference)' },
      { key: 'native.transformPoints.speedup', value: tsMs / nativeMs, note: '× (TypeScript ÷ native)' },
    ];
  },
};
