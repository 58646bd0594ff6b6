import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { invertTransform, projectPoint, transformPoint } from '../../engine/core/geometry.js';
import { ImportError } from './import-error.js';
import { kittiCameraExtrinsic, kittiCameraModel, kittiCameraOffset, kittiProjectVelo, parseKittiCalib } from './kitti-calib.js';

const FRAME = fileURLToPath(new URL('../../test/fixtures/kitti/000001/', import.meta.url));
const CALIB_TEXT = readFileSync(`${FRAME}calib.txt`, 'utf8');

function parseError(text: string): ImportError {
  try {
    parseKittiCalib(text, 'calib.txt');
  } catch (err) {
    if (err instanceof ImportError) return err;
    throw err;
  }
  throw new Error('expected an ImportError');
}

describe('parseKittiCalib', () => {
  it('reads the four projections, R0_rect, Tr_velo_to_cam and Tr_imu_to_velo', () => {
    const calib = parseKittiCalib(CALIB_TEXT, 'calib.txt');
    expect(calib.P[2]).toEqual([721.5377, 0, 609.5593, 44.85728, 0, 721.5377, 172.854, 0.2163791, 0, 0, 1, 0.002745884]);
    expect(calib.R0_rect).toHaveLength(9);
    expect(calib.Tr_velo_to_cam[3]).toBeCloseTo(-0.004069766, 12);
    expect(calib.Tr_imu_to_velo).toHaveLength(12);
  });

  it('accepts the tracking release spelling (no colon, R_rect, Tr_velo_cam)', () => {
    const text = CALIB_TEXT.replace('R0_rect:', 'R_rect').replace('Tr_velo_to_cam:', 'Tr_velo_cam');
    expect(parseKittiCalib(text, 'calib.txt').R0_rect).toEqual(parseKittiCalib(CALIB_TEXT, 'calib.txt').R0_rect);
  });

  it('names the file and line of a value that is not a number', () => {
    const err = parseError(CALIB_TEXT.replace('P2: 7.215377000000e+02', 'P2: 7.2x5377e+02'));
    expect(err.message).toMatch(/^calib\.txt:3: P2: value 1 "7\.2x5377e\+02" is not a finite number/);
  });

  it('names the line of a matrix with the wrong number of values', () => {
    const err = parseError(CALIB_TEXT.replace(/^(R0_rect:.*) \S+$/m, '$1'));
    expect(err.message).toBe('calib.txt:5: R0_rect has 8 values; expected 9');
  });

  it('refuses a file without Tr_velo_to_cam, and a key given twice', () => {
    expect(parseError(CALIB_TEXT.replace(/^Tr_velo_to_cam:.*$/m, '')).message).toBe('calib.txt: missing Tr_velo_to_cam');
    expect(parseError(`${CALIB_TEXT}\nP0: 1 0 0 0 0 1 0 0 0 0 1 0\n`).message).toMatch(/P0 appears twice/);
    expect(parseError('%%% binary junk %%%\n').message).toMatch(/^calib\.txt:1: expected "KEY: numbers"/);
    expect(parseError('P2 = 1 2 3\n').message).toBe('calib.txt:1: P2: value 1 "=" is not a finite number');
  });
});

describe('cam 2 as a rig camera', () => {
  const calib = parseKittiCalib(CALIB_TEXT, 'calib.txt');

  it('splits P2 into K and the offset of cam 2 from cam 0', () => {
    const b = kittiCameraOffset(calib, 2);
    expect(b.x).toBeCloseTo(0.0598493, 6); // about 6 cm: cam 2 sits left of cam 0
    expect(b.z).toBe(0.002745884);
    const model = kittiCameraModel(calib, 2, 1242, 375);
    expect([model.fx, model.fy, model.cx, model.cy]).toEqual([721.5377, 721.5377, 609.5593, 172.854]);
  });

  it("reproduces KITTI's P2·R0_rect·Tr_velo_to_cam on every point of the real sweep that lands in the image", () => {
    const bytes = readFileSync(`${FRAME}velodyne.bin`);
    const points = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const model = kittiCameraModel(calib, 2, 1242, 375);
    const veloToCam = invertTransform(kittiCameraExtrinsic(calib, 2));
    let inImage = 0;
    let worst = 0;
    for (let i = 0; i < points.length; i += 4) {
      const p = { x: points[i], y: points[i + 1], z: points[i + 2] };
      const reference = kittiProjectVelo(calib, 2, p);
      if (!reference || reference.u < 0 || reference.u >= 1242 || reference.v < 0 || reference.v >= 375) continue;
      const pixel = projectPoint(model, transformPoint(veloToCam, p));
      expect(pixel).toBeDefined();
      worst = Math.max(worst, Math.abs(pixel!.u - reference.u), Math.abs(pixel!.v - reference.v));
      inImage++;
    }
    expect(inImage).toBeGreaterThan(15_000);
    expect(worst).toBeLessThan(1e-3);
  });
});
