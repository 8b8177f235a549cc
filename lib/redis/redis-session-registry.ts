import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { createKeyv } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { ErrorReply, type RedisClientType } from 'redis';
import { SessionRegistry } from '../registry/session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { fingerprint } from '../utils/fingerprint.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

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
 * - The sid → sessions and sub → sessions indexes are Redis sets (SADD is atomic, so two
 *   instances registering sessions of one user at once cannot drop each other's entry, as a
 *   read-modify-write of a cached array could). They expire `sessionTtl` after their last write;
 *   members whose record expired are removed when the index is read.
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
    const ttl = Math.min(this.sessionTtlMs, record.expiresAt * 1000 - Date.now());
    if (ttl <= 0) return;
    await this.run(async (redis) => {
      await this.cache.set(key, record, Math.ceil(ttl));
      const multi = redis.multi();
      if (record.sid !== undefined) {
        multi.sAdd(this.keys.sidIndex(record.sid), key).pExpire(this.keys.sidIndex(record.sid), this.sessionTtlMs);
      }
      multi.sAdd(this.keys.subIndex(record.sub), key).pExpire(this.keys.subIndex(record.sub), this.sessionTtlMs);
      await multi.exec();
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
      if (stored.sid !== undefined) multi.sRem(this.keys.sidIndex(stored.sid), key);
      multi.sRem(this.keys.subIndex(stored.sub), key);
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

  private async readIndex(indexKey: string): Promise<SessionRecord[]> {
    return this.run(async (redis) => {
      const members = await redis.sMembers(indexKey);
      if (members.length === 0) return [];
      const records = await this.cache.mget<SessionRecord>(members);
      const missing = members.filter((_, i) => records[i] === undefined || records[i] === null);
      if (missing.length > 0) {
        // cache-manager turns read errors into misses: only drop members whose record is really gone.
        const exists = await Promise.all(missing.map((member) => redis.exists(`${this.keys.recordNamespace}:${member}`)));
        const gone = missing.filter((_, i) => exists[i] === 0);
        if (gone.length > 0) await redis.sRem(indexKey, gone);
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
