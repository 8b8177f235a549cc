import { RequestInvalidError } from '../errors/request-invalid.error.js';
import { isPlainObject } from './is-plain-object.js';

/** A parsed query or form as a plain record; anything else (a string, an array) as empty. */
export function paramsOf(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

/** An optional parameter given at most once, as a string; empty counts as absent. */
export function optionalText(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new RequestInvalidError(`"${name}" must be given once, as a string`);
  return value;
}

/** A request header's first value. */
export function headerOf(request: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
