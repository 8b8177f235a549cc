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
 * | `{prefix}registry:{0…16383}`       | string | the session registry's buckets: lines of records and of sid and sub index entries, each with its expiry; the bucket expires with its longest-lived line (see RedisSessionRegistry) |
 *
 * Earlier 0.2 builds kept the registry in a key per record and per index (previous-session-layout.ts),
 * which this version reads beside the buckets during a rolling upgrade, and removes from:
 *
 * | `{prefix}record:a:{adapterId}`     | string | a session record (its fields, a JSON array), expiring at its `expiresAt` |
 * | `{prefix}record:k:{sid}`           | string | a session record without an adapter session id            |
 * | `{prefix}sid-index:{sid}`          | zset   | record members (`a:…`, `k:…`) of one Keycloak session, scored by expiry (ms) |
 * | `{prefix}sub-index:{sub}`          | zset   | record members of one user (at most `maxSessionsPerUser`), by expiry |
 *
 * 0.1's records (`session:a:…`/`session:k:…`, in Keyv's JSON envelope) and index sets
 * (`sid:`/`sub:`) are never read again and expire with their sessions.
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
  /** A bucket of the session registry, 0 to REGISTRY_BUCKETS - 1 (registry-address.ts). */
  registryBucket(bucket: number): string;
  /** The previous layout's key of a record, from its member name in the indexes (`a:…`, `k:…`). */
  record(member: string): string;
  /** The previous layout's sid index. */
  sidIndex(sid: string): string;
  /** The previous layout's sub index. */
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
    registryBucket: (bucket) => `${prefix}registry:${bucket}`,
    record: (member) => `${prefix}record:${member}`,
    sidIndex: (sid) => `${prefix}sid-index:${sid}`,
    subIndex: (sub) => `${prefix}sub-index:${sub}`,
  };
}
