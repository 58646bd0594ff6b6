import { backendInfo } from '../native/index.js';
import { depthImage, ProjectionBuffers, projectPoints, type ProjectionCamera } from '../native/project.js';
import { median, timeRuns, type Benchmark, type Figure } from './benchmark.js';

const POINTS = 2_000_000;
const RINGS = 128;

/**
 * A synthetic spinning-LiDAR sweep in firing order (azimuth-major, all rings per column), x y z
 * intensity: ranges vary smoothly like walls and ground, so neighbouring points land on
 * neighbouring pixels, as in a real sweep.
 */
function sweep(): Float32Array {
  const columns = POINTS / RINGS;
  const pts = new Float32Array(POINTS * 4);
  for (let c = 0; c < columns; c++) {
    const az = (c / columns) * 2 * Math.PI;
    for (let r = 0; r < RINGS; r++) {
      const elev = ((r / (RINGS - 1)) * 40 - 25) * (Math.PI / 180);
      const range = elev < -0.05 ? Math.min(80, 1.84 / Math.tan(-elev)) : 8 + 30 * (0.5 + 0.5 * Math.sin(az * 7 + r * 0.01));
      const o = (c * RINGS + r) * 4;
      pts[o] = range * Math.cos(elev) * Math.cos(az);
      pts[o + 1] = range * Math.cos(elev) * Math.sin(az);
      pts[o + 2] = range * Math.sin(elev);
      pts[o + 3] = r;
    }
  }
  return pts;
}

/** nuScenes-like CAM_FRONT looking along the LiDAR's +x. */
const CAMERA: ProjectionCamera = {
  width: 1600, height: 900, fx: 1266.4, fy: 1266.4, cx: 816.3, cy: 491.5,
  distortion: [0, 0, 0, 0, 0],
  cameraFromSensor: Float64Array.from([0, -1, 0, 0.017, 0, 0, -1, -0.329, 1, 0, 0, -0.429, 0, 0, 0, 1]),
};

const mpts = (ms: number): number => POINTS / ms / 1e3;

/** The project kernel on one 2 M-point sweep into one 1600×900 camera: TS reference, CPU and CUDA in one run. */
export const nativeProjectBench: Benchmark = {
  name: 'native project (2M points, one 1600x900 camera)',
  async run() {
    const pts = sweep();
    const figures: Figure[] = [];
    const backends: ('ts' | 'cpu' | 'cuda')[] = backendInfo().cudaAvailable ? ['ts', 'cpu', 'cuda'] : ['ts', 'cpu'];
    const projectMs: Record<string, number> = {};
    for (const backend of backends) {
      const out = new ProjectionBuffers(POINTS);
      projectPoints(pts, 4, CAMERA, { backend, out }); // warm-up: JIT, CUDA context, page faults
      projectMs[backend] = median(await timeRuns(backend === 'ts' ? 5 : 9, () => projectPoints(pts, 4, CAMERA, { backend, out })));
      figures.push({ key: `native.project.${backend}.mptsPerSec`, value: mpts(projectMs[backend]), note: `M points/s, median of ${backend === 'ts' ? 5 : 9} (${backend === 'cuda' ? 'with host↔device copies' : backend === 'ts' ? 'TypeScript reference' : `${backendInfo().cpuThreads} threads`})` });
    }
    figures.push({ key: 'native.project.cpu.speedupOverTs', value: projectMs.ts / projectMs.cpu, note: '× (TypeScript ÷ native CPU)' });
    for (const backend of backends) {
      const image = new Float32Array(CAMERA.width * CAMERA.height);
      depthImage(pts, 4, CAMERA, image, { backend });
      const ms = median(await timeRuns(5, () => depthImage(pts, 4, CAMERA, image, { backend })));
      figures.push({ key: `native.project.zbuffer.${backend}.mptsPerSec`, value: mpts(ms), note: 'M points/s into a 1600×900 z-buffer, median of 5' });
    }
    return figures;
  },
};
