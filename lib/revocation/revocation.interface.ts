/** Where a revocation came from; carried into logs and `onLogout` events. */
export type RevocationSource =
  | 'backchannel-logout'
  | 'keycloak-admin'
  | 'frontchannel-logout'
  | 'rp-logout'
  | 'api';

interface RevocationBase {
  /** Unique id, so that a revocation seen twice (retries, fan-out echo) is applied once. */
  id: string;
  source: RevocationSource;
  /** Epoch ms when it was decided. */
  revokedAt: number;
  /** Epoch ms after which it is forgotten (everything it blocks has expired by then). */
  expiresAt: number;
  /**
   * The issuer of the realm it applies to, for a realm of the `realms` option. Absent for the
   * primary realm, so that revocations written before several realms existed (old messages,
   * Redis entries) keep meaning the primary realm. It never affects another realm.
   */
  issuer?: string;
}

/** One Keycloak user session (`sid`): its sessions and access tokens are refused. */
export interface SidRevocation extends RevocationBase {
  type: 'sid';
  sid: string;
  /**
   * The logout token's `events` carried Keycloak's `revoke_offline_access: true` ("Backchannel
   * logout revoke offline sessions"): offline and refresh tokens of the session must go too.
   */
  revokeOfflineAccess?: boolean;
}

/**
 * A per-user watermark: everything issued to `sub` at or before `issuedBefore` (epoch seconds)
 * is refused; the user's later logins are not affected.
 */
export interface SubjectRevocation extends RevocationBase {
  type: 'subject';
  sub: string;
  issuedBefore: number;
  /** As for a sid revocation: the logout asked for offline access to be revoked as well. */
  revokeOfflineAccess?: boolean;
}

/** One of this app's own sessions (express-session id, Keycloak's `adapterSessionIds`). */
export interface AdapterSessionRevocation extends RevocationBase {
  type: 'adapter-session';
  adapterSessionId: string;
}

/** Keycloak's per-client not-before: tokens and sessions with `iat < notBefore` (epoch seconds) are refused. */
export interface NotBeforeRevocation extends RevocationBase {
  type: 'not-before';
  notBefore: number;
}

export type Revocation = SidRevocation | SubjectRevocation | AdapterSessionRevocation | NotBeforeRevocation;

/** Claims of a token (or fields of a session) that revocations are matched against. */
export interface RevocationSubject {
  sid?: string;
  sub?: string;
  /** Epoch seconds the token or session was issued. */
  iat?: number;
  adapterSessionId?: string;
  /** The issuer of its realm when that is a realm of the `realms` option; absent for the primary realm. */
  issuer?: string;
}

/**
 * Why something is refused: a revocation of its `sid`, of its user (`subject` watermark), of
 * its app session, Keycloak's `not-before`, or `horizon`: it was issued longer ago than
 * `revocationTtl`, so a revocation of it might already have been forgotten.
 */
export type RevocationReason = 'sid' | 'subject' | 'adapter-session' | 'not-before' | 'horizon';
