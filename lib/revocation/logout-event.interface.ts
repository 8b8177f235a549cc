import type { SessionRecord } from '../registry/session-record.interface.js';
import type { Revocation } from './revocation.interface.js';

/**
 * Emitted by `RevocationService.onLogout` on every running instance that learns of a new
 * revocation, so an app can close its own sockets, caches or server-side sessions. An instance
 * that starts does not emit the past logouts it reads from the shared log while starting.
 */
export interface LogoutEvent {
  revocation: Revocation;
  /**
   * Registered sessions it ends, as far as the registry knows them. Empty for a not-before,
   * which ends every session issued before it.
   */
  sessions: SessionRecord[];
  /**
   * The logout asked for offline access to be revoked too (Keycloak's logout-token event
   * `revoke_offline_access`, sent when the client's "Backchannel logout revoke offline sessions"
   * is on): drop any offline or refresh token the app keeps for these sessions or this user.
   * The library itself keeps refresh tokens only in the app's sessions, which it destroys.
   */
  revokeOfflineAccess: boolean;
}

export type LogoutListener = (event: LogoutEvent) => void | Promise<void>;
