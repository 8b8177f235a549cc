import type { SessionRecord } from '../registry/session-record.interface.js';
import type { Revocation } from './revocation.interface.js';

/**
 * Emitted by `RevocationService.onLogout` on every instance that learns of a new revocation,
 * so an app can close its own sockets, caches or server-side sessions.
 */
export interface LogoutEvent {
  revocation: Revocation;
  /**
   * Registered sessions it ends, as far as the registry knows them. Empty for a not-before,
   * which ends every session issued before it.
   */
  sessions: SessionRecord[];
}

export type LogoutListener = (event: LogoutEvent) => void | Promise<void>;
