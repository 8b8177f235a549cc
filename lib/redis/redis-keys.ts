import { createHash } from 'node:crypto';

/**
 * Where everything lives in Redis, under one prefix (default `keycloak-logout:`):
 *
 * | key                                | type   | what                                                      |
 * |------------------------------------|--------|-----------------------------------------------------------|
 * | `{prefix}revocations`              | stream | the shared revocation log; trimmed by each entry's expiry |
 * | `{prefix}epoch`                    | string | random id of this log's lifetime; changes when Redis lost it |
 * | `{prefix}jti:{sha256(iss#jti)}`    | string | one-time logout-token claims (SET NX PX)                   |
 * | `{prefix}session:a:{adapterId}`    | string | a session record (Keyv JSON, via cache-manager)           |
 * | `{prefix}session:k:{sid}`          | string | a session record without an adapter session id            |
 * | `{prefix}sid-index:{sid}`          | zset   | record keys of one Keycloak session, scored by expiry (ms) |
 * | `{prefix}sub-index:{sub}`          | zset   | record keys of one user (at most `maxSessionsPerUser`), by expiry |
 *
 * The indexes were plain sets named `sid:`/`sub:` in 0.1.0; the new names keep a rolling
 * upgrade from meeting those keys with sorted-set commands (a WRONGTYPE error).
 */
export interface RedisKeys {
  readonly prefix: string;
  readonly stream: string;
  readonly epoch: string;
  /** Keyv namespace of the records; `record()` keys are relative to it. */
  readonly recordNamespace: string;
  jti(key: string): string;
  sidIndex(sid: string): string;
  subIndex(sub: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    stream: `${prefix}revocations`,
    epoch: `${prefix}epoch`,
    recordNamespace: `${prefix}session`,
    // Hashed: the key is built from token claims, whose length the OP decides.
    jti: (key) => `${prefix}jti:${createHash('sha256').update(key).digest('base64url')}`,
    sidIndex: (sid) => `${prefix}sid-index:${sid}`,
    subIndex: (sub) => `${prefix}sub-index:${sub}`,
  };
}
