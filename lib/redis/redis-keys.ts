import { createHash } from 'node:crypto';

/**
 * Where everything lives in Redis, under one prefix (default `keycloak-logout:`):
 *
 * | key                                | type   | what                                                      |
 * |------------------------------------|--------|-----------------------------------------------------------|
 * | `{prefix}revocations`              | stream | the shared revocation log; trimmed by each entry's expiry |
 * | `{prefix}epoch`                    | string | random id of this log's lifetime; changes when Redis lost it |
 * | `{prefix}compaction`               | string | who compacts the log now (SET NX PX), see RevocationLogCompactor |
 * | `{prefix}jti:{sha256(iss#jti)}`    | string | one-time logout-token claims (SET NX PX)                   |
 * | `{prefix}record:a:{adapterId}`     | string | a session record (its fields, a JSON array), expiring at its `expiresAt` |
 * | `{prefix}record:k:{sid}`           | string | a session record without an adapter session id            |
 * | `{prefix}sid-index:{sid}`          | zset   | record members (`a:…`, `k:…`) of one Keycloak session, scored by expiry (ms) |
 * | `{prefix}sub-index:{sub}`          | zset   | record members of one user (at most `maxSessionsPerUser`), by expiry |
 *
 * An index expires with its longest-lived member. The indexes were plain sets named
 * `sid:`/`sub:` in 0.1.0; the new names keep a rolling upgrade from meeting those keys with
 * sorted-set commands (a WRONGTYPE error). Records were `session:a:…`/`session:k:…` in 0.1.0,
 * wrapped in Keyv's JSON envelope; a 0.1 record is simply never read again and expires with its
 * session.
 *
 * On a Redis Cluster the log's keys carry a hash tag, `{prefix}{revocations}`,
 * `{prefix}{revocations}:epoch` and `{prefix}{revocations}:compaction`, so that they lie in one
 * slot, on one shard, read and written together
 * (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags). The
 * registry's keys are not tagged: they spread over the shards, and no command names two of them
 * (see RedisSessionRegistry). A single node and Sentinel keep the untagged names of 0.2, so that
 * a rolling upgrade reads the same log.
 */
export interface RedisKeys {
  readonly stream: string;
  readonly epoch: string;
  readonly compaction: string;
  jti(key: string): string;
  /** The key of a record, from its member name in the indexes. */
  record(member: string): string;
  sidIndex(sid: string): string;
  subIndex(sub: string): string;
}

export function redisKeys(prefix: string, options: { cluster?: boolean } = {}): RedisKeys {
  const log = options.cluster ? `${prefix}{revocations}` : undefined;
  return {
    stream: log ?? `${prefix}revocations`,
    epoch: log ? `${log}:epoch` : `${prefix}epoch`,
    compaction: log ? `${log}:compaction` : `${prefix}compaction`,
    // Hashed: the key is built from token claims, whose length the OP decides.
    jti: (key) => `${prefix}jti:${createHash('sha256').update(key).digest('base64url')}`,
    record: (member) => `${prefix}record:${member}`,
    sidIndex: (sid) => `${prefix}sid-index:${sid}`,
    subIndex: (sub) => `${prefix}sub-index:${sub}`,
  };
}
