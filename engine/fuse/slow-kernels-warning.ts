import { backendAvailability } from '../../native/backend.js';

/**
 * The line to log at start when LiDAR fusion will run on the TypeScript reference kernels because
 * the native addon did not load (not built, or built for another Node): the engine still works,
 * several times slower, and without this line nothing would say why.
 */
export function slowKernelsWarning(fusionEnabled: boolean, native = backendAvailability('cpu')): string | undefined {
  if (!fusionEnabled || native.available) return undefined;
  return `warning: the native kernels are unavailable (${native.reason}); LiDAR fusion runs their TypeScript reference, several times slower`;
}
