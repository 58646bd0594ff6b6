import { z } from 'zod';

/** Reconnect delays: exponential from initialDelayMs by factor, capped at maxDelayMs, spread by ± jitter. */
export const backoffSchema = z
  .object({
    initialDelayMs: z.number().positive().default(200),
    maxDelayMs: z.number().positive().default(10_000),
    factor: z.number().min(1).default(2),
    /** Fraction of the delay spread uniformly on both sides, so that many clients do not retry in step. */
    jitter: z.number().min(0).max(1).default(0.2),
    /** Attempts in a row without a successful connection before giving up; unbounded when absent. */
    maxAttempts: z.number().int().positive().optional(),
  })
  .strict();

export type BackoffOptions = z.output<typeof backoffSchema>;
export type BackoffInput = z.input<typeof backoffSchema>;

export const DEFAULT_BACKOFF: BackoffOptions = backoffSchema.parse({});

/**
 * Delay before reconnect attempt `attempt` (1-based). Jitter draws from `random` (Math.random by
 * default, or a seeded source in tests): it only spreads retries, it decides nothing a replay repeats.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
  const spread = base * options.jitter;
  return Math.max(0, Math.round(base - spread + 2 * spread * random()));
}
