import { KeycloakLogoutConfigError } from '../errors/keycloak-logout-config.error.js';
import { isPlainObject } from '../utils/is-plain-object.js';

/** The raw options (or a section of them) as read from the caller. */
export type Input = Record<string, unknown>;

export function fail(option: string, reason: string): never {
  throw new KeycloakLogoutConfigError(option, reason);
}

export const isRecord = isPlainObject;

export function section(input: Input, name: string, keys: readonly string[]): Input {
  const value = input[name];
  if (value === undefined) return {};
  if (!isRecord(value)) fail(name, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(`${name}.${key}`, `is not a known option (known: ${keys.join(', ')})`);
  }
  return value;
}

export function requiredString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail(option, 'is required and must be a non-empty string');
  return value;
}

export function optionalString(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  return requiredString(value, option);
}

export function httpUrl(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(option, `must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(option, 'must be an http(s) URL');
  if (url.search || url.hash) fail(option, 'must not contain a query or fragment');
  return value;
}

/** An absolute http(s) URL a browser is sent to: no credentials, no fragment (query allowed when `allowQuery`). */
export function browserUrl(value: unknown, option: string, allowQuery: boolean): string {
  const text = requiredString(value, option);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(option, `must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(option, 'must be an http(s) URL');
  if (url.username || url.password) fail(option, 'must not contain credentials');
  if (url.hash || text.includes('#')) fail(option, 'must not contain a fragment');
  if (!allowQuery && url.search) fail(option, 'must not contain a query');
  return text;
}

export function integer(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function boolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}
