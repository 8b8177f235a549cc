/** Shape checks for JSON read back from Redis, which any client of the database may have written. */

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export const isOptionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string';
