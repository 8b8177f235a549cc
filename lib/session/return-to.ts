import { RequestInvalidError } from '../errors/request-invalid.error.js';

/** Longest accepted `returnTo`: a navigation target, not a data channel. */
const MAX_LENGTH = 2_048;
/** A base that cannot be a real origin, to tell same-origin paths from anything else. */
const PROBE_BASE = 'https://return-to.invalid';

/**
 * Why `value` is not a safe place to send the browser after login or logout, or undefined.
 * Only same-origin absolute paths pass: no scheme, no authority (`//evil`, `/\evil`), no
 * backslash, nothing outside printable ASCII (control characters, spaces, look-alikes),
 * and no dot-segment trick that normalizes into `//host`.
 */
export function returnToProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (value.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(value)) return 'must contain only printable ASCII (no spaces or control characters)';
  if (!value.startsWith('/')) return 'must be a path starting with "/" on this site';
  if (value.includes('\\')) return 'must not contain a backslash';
  if (value.startsWith('//')) return 'must not start with "//" (another host)';
  let url: URL;
  try {
    url = new URL(value, PROBE_BASE);
  } catch {
    return 'is not a valid path';
  }
  if (url.origin !== PROBE_BASE || url.pathname.startsWith('//')) return 'must stay on this site';
  return undefined;
}

/** The normalized path of a `returnTo` that passed `returnToProblem`. */
export function normalizeReturnTo(value: string): string {
  const url = new URL(value, PROBE_BASE);
  return `${url.pathname}${url.search}${url.hash}`;
}

/** A `returnTo` from a request: its normalized path, or `fallback` when none was asked for. */
export function resolveReturnTo(value: unknown, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  const problem = returnToProblem(value);
  if (problem !== undefined) throw new RequestInvalidError(`"returnTo" ${problem}`);
  return normalizeReturnTo(value as string);
}
