import type { LogoutEvent, Revocation } from 'nestjs-keycloak-logout';
import type { LogoutOriginLookup } from '../logout-origin.js';
import { sessionFingerprint } from '../session-fingerprint.js';

/** How a logout reached this app, named after the route or call that delivered it. */
export type LogoutPathName = 'backchannel-logout' | 'k_logout' | 'k_push_not_before' | 'frontchannel-logout' | 'rp-logout' | 'api';

/** Why and when this app signed a session out: what the page and the timeline show. */
export interface LogoutExplanation {
  path: LogoutPathName;
  /** The path in words, e.g. "back-channel logout". */
  pathLabel: string;
  /** What was revoked: a Keycloak session (`sid`), a user, an app session, or a not-before. */
  revoked: Revocation['type'];
  /** The app whose logout it was, `identity provider` for a logout at the IdP, null when unknown. */
  initiatedBy: string | null;
  /** Epoch ms this app decided the revocation (`revocation.revokedAt`). */
  at: number;
  /** Milliseconds from the logout at its origin to this app's revocation; null when unknown. */
  afterMs: number | null;
  /** Fingerprint of the Keycloak session it ended, when it names one. */
  session: string | null;
}

const PATH_LABELS: Record<LogoutPathName, string> = {
  'backchannel-logout': 'back-channel logout',
  k_logout: "Keycloak's k_logout (Admin URL)",
  k_push_not_before: "Keycloak's k_push_not_before (Admin URL)",
  'frontchannel-logout': 'front-channel logout',
  'rp-logout': "this app's own Sign out",
  api: "this app's logout API",
};

/** The delivering path: the revocation's source, with Keycloak's two Admin URL actions told apart. */
function pathOf(revocation: Revocation): LogoutPathName {
  if (revocation.source === 'keycloak-admin') return revocation.type === 'not-before' ? 'k_push_not_before' : 'k_logout';
  return revocation.source;
}

/** The Keycloak session and user a logout ended, as far as the revocation and registry say. */
function endedSession(event: LogoutEvent): { sid?: string; sub?: string } {
  const { revocation } = event;
  if (revocation.type === 'sid') return { sid: revocation.sid };
  if (revocation.type === 'subject') return { sub: revocation.sub };
  const record = event.sessions[0];
  return record ? { ...(record.sid !== undefined ? { sid: record.sid } : {}), sub: record.sub } : {};
}

/**
 * Explains one logout event. A logout this app made itself (its Sign out, its API) started
 * here; any other asks `lookup` (the demo IdP's record) who started it and when.
 */
export function explainLogout(event: LogoutEvent, appName: string, lookup?: LogoutOriginLookup): LogoutExplanation {
  const { revocation } = event;
  const path = pathOf(revocation);
  const ended = endedSession(event);
  const own = path === 'rp-logout' || path === 'api';
  const origin = own ? undefined : lookup?.(ended);
  return {
    path,
    pathLabel: PATH_LABELS[path],
    revoked: revocation.type,
    initiatedBy: own ? appName : origin ? (origin.initiatedBy ?? 'identity provider') : null,
    at: revocation.revokedAt,
    afterMs: own ? 0 : origin ? Math.max(0, revocation.revokedAt - origin.at) : null,
    session: ended.sid !== undefined ? sessionFingerprint(ended.sid) : null,
  };
}
