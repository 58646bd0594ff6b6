import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { COCO_OUTPUTS, cocoSourcePath, ensureCocoModel, modelCacheDir } from './coco-model.js';
import { BUILT_IN_MODELS, resolveModelPath } from './encoder-config.js';
import { iou } from './postprocess/iou.js';
import { runOnnx } from './tfjs-to-onnx/testing/onnx-run.js';
import { seeded } from './tfjs-to-onnx/testing/tiny-model.js';
import { loadTfjsModel, runTfjs, type HostTensor } from './tfjs-to-onnx/testing/tfjs-wasm.js';

/**
 * The converted COCO CenterNet against the original TFJS model (wasm backend) on the same 512×512
 * inputs. Tolerance: |ONNX − TFJS| ≤ 1e-4 · max(1, largest |TFJS value| of the output). Not per
 * element: the backbone's activations reach ~150 with no normalisation, so float32 rounding in a
 * different summation order leaves ~2e-5 of the output's scale everywhere (TFJS's own cpu and wasm
 * backends differ by as much), which is 7e-4 relative on wh's middling values.
 */

const fixture = (path: string): string => fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url));
const INPUT = 'tower_0/images';
const SIZE = 512;

let cacheDir: string;
let onnx: Uint8Array;
let tfjs: GraphModel;
beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'percept-coco-'));
  onnx = readFileSync(ensureCocoModel({ cacheDir }));
  tfjs = await loadTfjsModel(cocoSourcePath());
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

async function image(path: string): Promise<HostTensor> {
  const { data } = await sharp(path).removeAlpha().resize(SIZE, SIZE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { data: Float32Array.from(data), shape: [1, SIZE, SIZE, 3] };
}

const INPUTS: [string, () => Promise<HostTensor>][] = [
  ['deterministic noise 0..255', async () => ({ data: seeded(SIZE * SIZE * 3, 7, 0, 255), shape: [1, SIZE, SIZE, 3] })],
  ['KITTI 000001 image_2', () => image(fixture('kitti/000001/image_2.png'))],
  ['nuScenes CAM_FRONT', () => image(fixture('nuscenes/n015-2018-07-24-11-22-45+0800__CAM_FRONT__1532402927612460.jpg'))],
];

describe('COCO CenterNet: converted ONNX (ONNX Runtime CPU) against the TFJS original (wasm)', () => {
  for (const [title, make] of INPUTS) {
    it(`agrees on all three outputs: ${title}`, async () => {
      const feeds = { [INPUT]: await make() };
      const outputs = [...COCO_OUTPUTS];
      const [expected, actual] = [await runTfjs(tfjs, feeds, outputs), await runOnnx(onnx, feeds, outputs)];
      const figures: string[] = [];
      outputs.forEach((name, i) => {
        const e = expected[i].data as Float32Array;
        const a = actual[i].data as Float32Array;
        expect(actual[i].shape, name).toEqual(expected[i].shape);
        let maxAbs = 0;
        let scale = 1;
        e.forEach((v, k) => {
          maxAbs = Math.max(maxAbs, Math.abs(a[k] - v));
          scale = Math.max(scale, Math.abs(v));
        });
        figures.push(`${name} max|Δ| ${maxAbs.toExponential(2)} (largest |value| ${scale.toFixed(2)})`);
        expect(maxAbs, `${name}: max |ONNX − TFJS|`).toBeLessThanOrEqual(1e-4 * scale);
      });
      console.log(`${title}: ${figures.join('; ')}`);

      // The same peaks in the same order: class ids exactly, scores to float32 rounding.
      const e = expected[0].data as Float32Array;
      const a = actual[0].data as Float32Array;
      for (let row = 0; row < 100; row++) {
        expect(a[row * 6 + 5], `row ${row} class`).toBe(e[row * 6 + 5]);
        expect(Math.abs(a[row * 6 + 4] - e[row * 6 + 4]), `row ${row} score`).toBeLessThan(1e-5);
      }
    });
  }

  it('detections are x1, y1, x2, y2 in input pixels, score, then a 0-based class id over 80 classes, best first', async () => {
    const [detections] = await runOnnx(onnx, { [INPUT]: await image(fixture('nuscenes/n015-2018-07-24-11-22-45+0800__CAM_BACK__1532402927637525.jpg')) }, ['tower_0/detections']);
    const rows = Array.from({ length: 100 }, (_, r) => Array.from(detections.data.subarray(r * 6, r * 6 + 6)));
    for (let r = 0; r < 100; r++) {
      const [x1, y1, x2, y2, score, cls] = rows[r];
      expect(Number.isInteger(cls) && cls >= 0 && cls < 80).toBe(true);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      if (r > 0) expect(score).toBeLessThanOrEqual(rows[r - 1][4]);
      expect(x2).toBeGreaterThanOrEqual(x1);
      expect(y2).toBeGreaterThanOrEqual(y1);
    }
    // The taxi on the left of CAM_BACK (about [320, 510, 490, 582] in the 1600×900 image): class 2, car.
    const best = rows[0];
    expect(best[5]).toBe(2);
    expect(best[4]).toBeGreaterThan(0.4);
    const [x1, y1, x2, y2] = best;
    expect(iou([x1 * 1600 / SIZE, y1 * 900 / SIZE, x2 * 1600 / SIZE, y2 * 900 / SIZE], [320, 510, 490, 582])).toBeGreaterThan(0.75);
  });
});

describe('the built-in model', () => {
  it('is registered as coco, a camera detector in the centernet layout', () => {
    expect(BUILT_IN_MODELS.coco).toMatchObject({ package: '@vladmandic/human', file: 'models/centernet.json', type: 'camera-detector', detector: { family: 'centernet', labels: 'coco' } });
  });

  it('resolves to the converted file under .cache/models of the package, converting it when needed', () => {
    expect(resolveModelPath('coco')).toBe(join(modelCacheDir(), 'coco-centernet.onnx'));
  });
});
