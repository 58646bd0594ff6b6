import { describe, expect, it } from 'vitest';
import { decodeModel } from '../onnx-builder/index.js';
import { centerNetTestModel, ssdTestModel, stackRows, yoloV5TestModel, yoloV8TestModel } from './index.js';

describe('test models', () => {
  it('declare the inputs and outputs of the layouts they stand for, and say they are not detectors', () => {
    const v5 = yoloV5TestModel([[[1, 2, 3, 4, 0.5, 0.5, 0.5]]]);
    expect(v5.inputs).toEqual([{ name: 'images', dtype: 'float32', dims: [1, 3, 640, 640] }]);
    expect(v5.outputs).toEqual([{ name: 'output0', dims: [1, 1, 7] }]);
    expect(yoloV8TestModel([[[1, 2, 3, 4, 0.5, 0.5]]]).outputs).toEqual([{ name: 'output0', dims: [1, 6, 1] }]);
    expect(centerNetTestModel([]).outputs).toEqual([{ name: 'detections', dims: [1, 100, 6] }]);
    expect(ssdTestModel([[0, 0, 1, 1]], [[0.5, 0.5]]).inputs[0]).toEqual({ name: 'image', dtype: 'uint8', dims: [1, 300, 300, 3] });
    expect((decodeModel(v5.bytes) as { doc_string: string }).doc_string).toMatch(/not a detector/);
  });

  it('refuse ragged rows', () => {
    expect(() => stackRows([[[1, 2], [3]]], 'x')).toThrow(/row 1 has 1 values, 2 expected/);
    expect(() => stackRows([[[1]], [[1], [2]]], 'x')).toThrow(/image 1 has 2 rows/);
    expect(() => centerNetTestModel([[1, 2, 3]])).toThrow(/6 expected/);
    expect(() => ssdTestModel([[0, 0, 1, 1]], [])).toThrow(/one row per anchor/);
  });
});
