import { describe, expect, it } from 'vitest';
import { parsePythonJson } from './python-json.js';

describe('parsePythonJson', () => {
  it('reads NaN and the infinities as null outside strings only', () => {
    expect(parsePythonJson('{"v": [NaN, -Infinity, Infinity, 1.5], "s": "NaN \\" Infinity"}')).toEqual({ v: [null, null, null, 1.5], s: 'NaN " Infinity' });
  });

  it('still refuses what is not JSON', () => {
    expect(() => parsePythonJson('{"v": NaNa}')).toThrow(SyntaxError);
    expect(() => parsePythonJson("{'single': 1}")).toThrow(SyntaxError);
  });
});
