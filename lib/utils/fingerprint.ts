import { createHash } from 'node:crypto';

/**
 * A short, stable stand-in for an identifier in logs. Session ids can be credentials (an
 * express-session id is the cookie value), so logs carry this instead of the value.
 */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 10);
}
