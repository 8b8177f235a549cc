export { isPlainObject } from '../utils/is-plain-object.js';

/**
 * Rules every token kind shares: how a `typ` is compared, how long an identifier may be, and
 * what a JSON object is. Each verifier (access, ID, logout token, admin action) applies them.
 */

/** Longest `sub`, `sid`, `jti` or session id accepted: Keycloak's are UUID-sized. */
export const MAX_ID_LENGTH = 512;

/** `typ` values are compared the way RFC 7515 §4.1.9 suggests: case-insensitive, `application/` implied. */
export function normalizeMediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Whether a JOSE header's `typ` is absent or one of `allowed` (normalized media types). */
export function headerTypeAllowed(typ: unknown, allowed: ReadonlySet<string> | readonly string[]): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== 'string') return false;
  const normalized = normalizeMediaType(typ);
  return Array.isArray(allowed) ? allowed.includes(normalized) : (allowed as ReadonlySet<string>).has(normalized);
}

/**
 * Keycloak's payload `typ` claim, lower-cased: `bearer` (access token; Keycloak 26 may write it
 * in lower case), `id`, `refresh`, `offline`, `logout`, `dpop`. Undefined when absent or not a string.
 */
export function payloadType(payload: { readonly [claim: string]: unknown }): string | undefined {
  return typeof payload.typ === 'string' ? payload.typ.toLowerCase() : undefined;
}

/** A non-empty string of at most MAX_ID_LENGTH characters. */
export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID_LENGTH;
}
