/**
 * Bump whenever a change alters what the generator writes for a given preset, duration and seed:
 * cached default scenarios carry it in their name, so a stale cache is never replayed.
 */
export const GENERATOR_VERSION = 6;
