import { describe, expect, it } from 'vitest';

import { loadNative } from '../../native/index.js';
import { slowKernelsWarning } from './slow-kernels-warning.js';

describe('slowKernelsWarning', () => {
  it('names the reason when fusion runs without the native addon', () => {
    const line = slowKernelsWarning(true, { available: false, reason: 'native addon not found: no build/Release/percept_native.node' });
    expect(line).toMatch(/^warning: the native kernels are unavailable \(native addon not found: .*\); LiDAR fusion runs their TypeScript reference/);
  });

  it('says nothing when the addon loads or fusion is off', () => {
    expect(slowKernelsWarning(true, { available: true, reason: 'ok' })).toBeUndefined();
    expect(slowKernelsWarning(false, { available: false, reason: 'missing' })).toBeUndefined();
  });

  it.skipIf(!loadNative().ok)('is silent where the addon is built', () => {
    expect(slowKernelsWarning(true)).toBeUndefined();
  });
});
