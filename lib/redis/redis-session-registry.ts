import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { createKeyv } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { ErrorReply, type RedisClientType } from 'redis';
import { SessionRegistry } from '../registry/session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { fingerprint } from '../utils/fingerprint.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

/** Sessions kept per user when `maxSessionsPerUser` is not given. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 1_000;

/** Key of a record, relative to the records' Keyv namespace: the adapter session id when there is one, else the sid. */
function recordKey(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `a:${record.adapterSessionId}`;
  if (record.sid !== undefined) return `k:${record.sid}`;
  return undefined;
}

/**
 * SessionRegistry shared by every instance through Redis.
 * - Records live in a cache-manager cache over Keyv's Redis store (`@keyv/redis`, created with
 *   `createKeyv` so the key is prefixed once), on the backend's own connection.
 * - The sid → sessions and sub → sessions indexes are sorted sets of record keys scored by the
 *   record's expiry (epoch ms). ZADD is atomic, so two instances registering sessions of one
 *   user at once cannot drop each other's entry, as a read-modify-write of a cached array could.
 *   A registration costs O(log n) whatever the user has: it never reads an index, drops the
 *   expired members of the indexes it writes (ZREMRANGEBYSCORE), and keeps at most
 *   `maxSessionsPerUser` sessions per user (ZREMRANGEBYRANK): the ones that expire first leave
 *   the registry, which the module's login (every session lives `sessionTtl`) makes the oldest.
 *   The indexes expire `sessionTtl` after their last write.
 * - `claimTokenId` is one `SET NX PX`: atomic across instances, so a logout token replayed to
 *   (or retried at) another instance is refused there.
 *
 * While Redis is unreachable, operations fail fast (no offline queue), except `claimTokenId`,
 * which falls back to this instance's memory: a replayed logout token can only repeat the same
 * logout (revocations are idempotent), so accepting the logout beats refusing it.
 */
export class RedisSessionRegistry extends SessionRegistry implements OnApplicationShutdown {
  private readonly cache: Cache;
  /** Claims made while Redis was unreachable: key → expiry (epoch ms). */
  private readonly localClaims = new Map<string, number>();
  private fallbackLogged = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly sessionTtlMs: number,
    private readonly commandTimeout: number,
    private readonly logger: LoggerService,
    private readonly maxSessionsPerUser = DEFAULT_MAX_SESSIONS_PER_USER,
  ) {
    super();
    const keyv = createKeyv(connection.writer, {
      namespace: keys.recordNamespace,
      keyPrefixSeparator: ':',
      // Surface write errors instead of Keyv's default of swallowing them.
      throwOnErrors: true,
    });
    this.cache = createCache({ stores: [keyv], ttl: sessionTtlMs });
  }

  async register(record: SessionRecord): Promise<void> {
    const key = recordKey(record);
    if (key === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
    const now = Date.now();
    const expiresAt = Math.min(now + this.sessionTtlMs, record.expiresAt * 1000);
    if (expiresAt <= now) return;
    await this.run(async (redis) => {
      await this.cache.set(key, record, Math.ceil(expiresAt - now));
      const subIndex = this.keys.subIndex(record.sub);
      const multi = redis.multi();
      for (const indexKey of record.sid === undefined ? [subIndex] : [this.keys.sidIndex(record.sid), subIndex]) {
        // Scored by expiry, so that expired members go here, without reading the index.
        multi.zAdd(indexKey, { score: expiresAt, value: key }).zRemRangeByScore(indexKey, '-inf', now).pExpire(indexKey, this.sessionTtlMs);
      }
      // Beyond the cap: read then drop the lowest ranks, in one transaction (empty below the cap).
      const beyondCap = -(this.maxSessionsPerUser + 1);
      multi.zRange(subIndex, 0, beyondCap).zRemRangeByRank(subIndex, 0, beyondCap);
      const replies = (await multi.exec()) as unknown[];
      const dropped = replies[replies.length - 2] as string[];
      if (dropped.length > 0) await this.drop(redis, record.sub, dropped);
    });
  }

  findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    return this.run(async () => (await this.cache.get<SessionRecord>(`a:${adapterSessionId}`)) ?? undefined);
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return this.readIndex(this.keys.sidIndex(sid));
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return this.readIndex(this.keys.subIndex(sub));
  }

  async remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const key = recordKey(record);
    if (key === undefined) return;
    await this.run(async (redis) => {
      const stored = await this.cache.get<SessionRecord>(key);
      await this.cache.del(key);
      if (!stored) return;
      const multi = redis.multi();
      if (stored.sid !== undefined) multi.zRem(this.keys.sidIndex(stored.sid), key);
      multi.zRem(this.keys.subIndex(stored.sub), key);
      await multi.exec();
    });
  }

  async claimTokenId(key: string, ttlMs: number): Promise<boolean> {
    const redisKey = this.keys.jti(key);
    try {
      const reply = await this.run((redis) => redis.set(redisKey, '1', { NX: true, PX: Math.max(1, Math.ceil(ttlMs)) }));
      this.fallbackLogged = false;
      return reply === 'OK';
    } catch (error) {
      if (error instanceof ErrorReply) throw error;
      if (!this.fallbackLogged) {
        this.fallbackLogged = true;
        this.logger.warn(
          `Redis unreachable (${error instanceof Error ? error.message : String(error)}): logout-token replay checks use this instance's memory until it is back`,
        );
      }
      return this.claimLocally(redisKey, ttlMs);
    }
  }

  async releaseTokenId(key: string): Promise<void> {
    const redisKey = this.keys.jti(key);
    this.localClaims.delete(redisKey);
    await this.run((redis) => redis.del(redisKey));
  }

  /** Nest calls this when the registry is the module's `sessionRegistry`: release the backend's connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }

  private claimLocally(redisKey: string, ttlMs: number): boolean {
    const now = Date.now();
    for (const [claimed, expiresAt] of this.localClaims) if (expiresAt <= now) this.localClaims.delete(claimed);
    if (this.localClaims.has(redisKey)) {
      this.logger.debug?.(`replayed logout token ${fingerprint(redisKey)} refused from local memory`);
      return false;
    }
    this.localClaims.set(redisKey, now + ttlMs);
    return true;
  }

  /** Drops sessions of a user beyond the cap from the registry: records and sid index entries (not a logout). */
  private async drop(redis: RedisClientType, sub: string, keys: string[]): Promise<void> {
    const records = await this.cache.mget<SessionRecord>(keys);
    const multi = redis.multi();
    keys.forEach((key, i) => {
      multi.unlink(`${this.keys.recordNamespace}:${key}`);
      const sid = records[i]?.sid;
      if (sid !== undefined) multi.zRem(this.keys.sidIndex(sid), key);
    });
    await multi.exec();
    this.logger.debug?.(
      `user ${fingerprint(sub)} has more than ${this.maxSessionsPerUser} sessions: dropped the ${keys.length} that expire first from the registry`,
    );
  }

  private async readIndex(indexKey: string): Promise<SessionRecord[]> {
    return this.run(async (redis) => {
      const replies = (await redis.multi().zRemRangeByScore(indexKey, '-inf', Date.now()).zRange(indexKey, 0, -1).exec()) as unknown[];
      const members = replies[1] as string[];
      if (members.length === 0) return [];
      const records = await this.cache.mget<SessionRecord>(members);
      const missing = members.filter((_, i) => records[i] === undefined || records[i] === null);
      if (missing.length > 0) {
        // cache-manager turns read errors into misses: only drop members whose record is really gone.
        const exists = await Promise.all(missing.map((member) => redis.exists(`${this.keys.recordNamespace}:${member}`)));
        const gone = missing.filter((_, i) => exists[i] === 0);
        if (gone.length > 0) await redis.zRem(indexKey, gone);
      }
      return records.filter((record): record is SessionRecord => record !== undefined && record !== null);
    });
  }

  /**
   * Runs an operation on the writer connection: opens it on first use (the registry may be used
   * before the bus starts), waits out a reconnect but fails within `commandTimeout` when Redis is
   * unreachable (cache-manager would turn a failed read into a silent miss), and lets close()
   * wait for it.
   */
  private async run<T>(operation: (redis: RedisClientType) => Promise<T>): Promise<T> {
    if (!(await this.connection.writerReady(this.commandTimeout))) throw new Error('the session registry cannot reach Redis');
    return this.connection.track(() => operation(this.connection.writer));
  }
}
