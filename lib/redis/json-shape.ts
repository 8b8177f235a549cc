/** Shape checks for JSON read back from Redis, which any client of the database may have written. */

export { isPlainObject as isJsonObject } from '../utils/is-plain-object.js';

export const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export const isOptionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string';
