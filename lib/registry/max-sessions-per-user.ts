import { DEFAULT_OPTIONS } from '../options/default-options.js';

/** Bounds of `maxSessionsPerUser`, alike for the module option and the registry constructors. */
export const MAX_SESSIONS_PER_USER_RANGE = { min: 1, max: 100_000 } as const;

/** The per-user cap a registry was constructed with (default 1000); a RangeError when out of bounds. */
export function checkMaxSessionsPerUser(value: number | undefined): number {
  if (value === undefined) return DEFAULT_OPTIONS.maxSessionsPerUser;
  const { min, max } = MAX_SESSIONS_PER_USER_RANGE;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`maxSessionsPerUser must be an integer between ${min} and ${max}, got ${String(value)}`);
  }
  return value;
}
