/**
 * Which implementation runs the fusion kernels: the addon's CUDA backend, its CPU backend, or the
 * plain TypeScript reference. Every kernel wrapper asks `backend()` (or `chooseBackend()` with a
 * per-call request) instead of deciding for itself, so one environment variable steers them all.
 *
 * `PERCEPT_BACKEND=cuda|cpu|ts` overrides the automatic choice; naming one that is not available
 * throws at first use with the reason, rather than silently running something else.
 */
import { backendInfo, loadNative } from './index.js';

export type BackendName = 'cuda' | 'cpu' | 'ts';

/** What a caller may ask for: a backend by name, or 'auto' (the best available). */
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  name: BackendName;
  /** Why this backend: "auto: …" or "PERCEPT_BACKEND=…" / "requested", for logs and doctor. */
  reason: string;
}

export const BACKEND_ENV = 'PERCEPT_BACKEND';

/** Thrown when a backend is named (by env or option) but cannot run here. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    why: string,
  ) {
    super(`${backend} backend unavailable: ${why}`);
    this.name = 'BackendUnavailableError';
  }
}

const NAMES: readonly BackendName[] = ['cuda', 'cpu', 'ts'];

/**
 * The backend kernels use by default: `PERCEPT_BACKEND` when set, else CUDA when a GPU is usable,
 * else the CPU addon when it loads, else TypeScript. Throws BackendUnavailableError (or a
 * TypeError for an unknown name) when the environment asks for something that cannot run.
 */
export function backend(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  const fromEnv = env[BACKEND_ENV]?.trim().toLowerCase();
  if (fromEnv === undefined || fromEnv === '' || fromEnv === 'auto') return autoBackend();
  if (!(NAMES as readonly string[]).includes(fromEnv)) {
    throw new TypeError(`${BACKEND_ENV} must be one of cuda, cpu, ts or auto, got ${JSON.stringify(env[BACKEND_ENV])}`);
  }
  return requireBackend(fromEnv as BackendName, `${BACKEND_ENV}=${fromEnv}`);
}

/** A per-call request (a kernel's `backend` option) resolved; undefined or 'auto' defers to backend(). */
export function chooseBackend(requested?: BackendRequest, env: NodeJS.ProcessEnv = process.env): BackendChoice {
  if (requested === undefined || requested === 'auto') return backend(env);
  if (!(NAMES as readonly string[]).includes(requested)) {
    throw new TypeError(`backend must be 'cuda', 'cpu', 'ts' or 'auto', got ${JSON.stringify(requested)}`);
  }
  return requireBackend(requested, 'requested');
}

/** Whether a named backend can run here, and if not why; never throws. */
export function backendAvailability(name: BackendName): { available: boolean; reason: string } {
  if (name === 'ts') return { available: true, reason: 'ok' };
  const loaded = loadNative();
  if (!loaded.ok) return { available: false, reason: loaded.error };
  if (name === 'cpu') return { available: true, reason: 'ok' };
  const info = backendInfo();
  return { available: info.cudaAvailable, reason: info.reason };
}

function requireBackend(name: BackendName, why: string): BackendChoice {
  const availability = backendAvailability(name);
  if (!availability.available) throw new BackendUnavailableError(name, availability.reason);
  return { name, reason: why };
}

function autoBackend(): BackendChoice {
  const cuda = backendAvailability('cuda');
  if (cuda.available) return { name: 'cuda', reason: 'auto: a CUDA device is available' };
  const cpu = backendAvailability('cpu');
  if (cpu.available) return { name: 'cpu', reason: `auto: native CPU (no CUDA: ${cuda.reason})` };
  return { name: 'ts', reason: `auto: TypeScript reference (no native addon: ${cpu.reason})` };
}
