import type { SessionRecord } from './session-record.interface.js';

/**
 * Where sessions are recorded, keyed by Keycloak `sid` and by adapter session id, with the
 * indexes sid → sessions and sub → sessions that logout needs. It is the DI token: inject
 * `SessionRegistry`, or provide your own subclass. The module's default is
 * `MemorySessionRegistry` (this process only), or `CacheManagerSessionRegistry` when a
 * cache-manager `cache` or Keyv `store` is configured.
 */
export abstract class SessionRegistry {
  /** Records (or refreshes) a session. A record needs an `adapterSessionId`, a `sid`, or both. */
  abstract register(record: SessionRecord): Promise<void>;
  abstract findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined>;
  abstract findBySid(sid: string): Promise<SessionRecord[]>;
  abstract findBySubject(sub: string): Promise<SessionRecord[]>;
  /** Forgets a session (local logout). */
  abstract remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void>;
  /**
   * Records a one-time token id (a logout token's `iss`+`jti`) for `ttlMs`. Resolves true the
   * first time, false when it was already recorded: the replay check.
   */
  abstract claimTokenId(key: string, ttlMs: number): Promise<boolean>;
  /** Undoes `claimTokenId` when the logout it guarded failed, so the OP may retry. */
  abstract releaseTokenId(key: string): Promise<void>;
}
