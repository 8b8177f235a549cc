/**
 * Reading a bearer token out of an `Authorization`-style value without a regular expression:
 * this runs on every guarded call, and a prefix test plus two short scans cost a fraction of a
 * RegExp over a ~1 KB header. The token's characters are checked separately (`isB64Token`),
 * so that a guard can skip that scan for a token it verified before.
 */

const SPACE = 0x20;
const EQUALS = 0x3d;
const SCHEME = 'bearer';
const DPOP = 'dpop';

/** RFC 6750 §2.1 b64token characters: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/". */
const B64TOKEN_CHARS = (() => {
  const table = new Uint8Array(128);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

/**
 * Whether `value` starts with `scheme` (lower case) in any case. `| 0x20` lower-cases an ASCII
 * letter and maps exactly one other code to each lower-case letter (its upper case), so only
 * letters are compared this way.
 */
function startsWithScheme(value: string, scheme: string): boolean {
  if (value.length < scheme.length) return false;
  for (let i = 0; i < scheme.length; i++) {
    if ((value.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * What follows `Bearer` and one or more spaces, trailing spaces removed (RFC 6750 §2.1; the
 * scheme in any case, RFC 7235 §2.1), or undefined. Its characters are NOT checked: pass the
 * result through `isB64Token` before trusting it as a token, unless it equals a token verified
 * before (which passed a stricter check).
 */
export function bearerCandidate(value: string): string | undefined {
  if (!startsWithScheme(value, SCHEME) || value.charCodeAt(SCHEME.length) !== SPACE) return undefined;
  let start = SCHEME.length + 1;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === SPACE) start++;
  while (end > start && value.charCodeAt(end - 1) === SPACE) end--;
  return start === end ? undefined : value.slice(start, end);
}

/** RFC 6750 §2.1 b64token: one or more token characters, then any number of `=`. */
export function isB64Token(value: string): boolean {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === EQUALS) end--;
  if (end === 0) return false;
  for (let i = 0; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || B64TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

/**
 * The token of `Bearer <token>` when `wellFormed` accepts its characters (by default RFC 6750's
 * b64token); undefined when there is none.
 */
export function bearerToken(value: string | undefined, wellFormed: (candidate: string) => boolean = isB64Token): string | undefined {
  const candidate = value === undefined ? undefined : bearerCandidate(value);
  return candidate !== undefined && wellFormed(candidate) ? candidate : undefined;
}

/**
 * `Authorization: DPoP …` (RFC 9449 §7.1): the scheme alone or followed by a space, in any case
 * (RFC 7235 §2.1).
 */
export function isDPoPScheme(value: string): boolean {
  return startsWithScheme(value, DPOP) && (value.length === DPOP.length || value.charCodeAt(DPOP.length) === SPACE);
}
