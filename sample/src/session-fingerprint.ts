import { createHash } from 'node:crypto';

/**
 * A short stand-in for a Keycloak session id (`sid`) on pages and in the timeline: equal sids
 * give equal fingerprints, so two apps of one SSO session show the same one, while the sid
 * itself (which the IdP's logout calls name) stays off the screen and out of public JSON.
 */
export function sessionFingerprint(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 8);
}
