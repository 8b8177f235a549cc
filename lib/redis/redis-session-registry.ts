import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { ErrorReply } from 'redis';
import { SessionRegistry } from '../registry/session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { fingerprint } from '../utils/fingerprint.js';
import { describeError } from './describe-error.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisCommands } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import { isUnavailableReply } from './unavailable-reply.js';
import { decodeSessionRecord, encodeSessionRecord, recordMember } from './session-record-codec.js';

/** Sessions kept per user when `maxSessionsPerUser` is not given. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 1_000;
/** The module's longest `sessionTtl` (a year): no record is kept longer, whatever `expiresAt` it claims. */
const MAX_RECORD_LIFETIME_MS = 31_536_000 * 1_000;

/**
 * SessionRegistry shared by every instance through Redis, on the backend's writer connection.
 * - A record is a string key that expires at the record's `expiresAt` (`SET PX`), which the
 *   module's login sets `sessionTtl` after the login; its value is the record's fields as a JSON
 *   array, without names and without the id the key carries (session-record-codec.ts).
 * - The sid → sessions and sub → sessions indexes are sorted sets of record members scored by
 *   the record's expiry (epoch ms). ZADD is atomic, so two instances registering sessions of one
 *   user at once cannot drop each other's entry, as a read-modify-write of a cached array could.
 *   A registration costs O(log n) whatever the user has: it never reads an index, drops the
 *   expired members of the indexes it writes (ZREMRANGEBYSCORE), and keeps at most
 *   `maxSessionsPerUser` sessions per user (ZREMRANGEBYRANK): the ones that expire first leave
 *   the registry, which the module's login (every session lives `sessionTtl`) makes the oldest.
 *   An index expires with its longest-lived member (PEXPIREAT NX, then GT: Redis 7 or later).
 * - `claimTokenId` is one `SET NX PX`: atomic across instances, so a logout token replayed to
 *   (or retried at) another instance is refused there.
 * - No command and no transaction names two keys: in a Redis Cluster a record and its indexes
 *   lie in different hash slots, where MGET or a MULTI across them is refused (CROSSSLOT,
 *   https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model).
 *   Each index is updated in a transaction of its own; a record is written before its index
 *   entries and read back with one GET per member (pipelined), so a reader that finds a member
 *   whose record is missing may drop it: the record expired or was removed. A record read
 *   through an index is checked to carry that index's sid or sub before it is returned.
 *
 * While Redis is unreachable, operations fail fast (no offline queue), except `claimTokenId`,
 * which falls back to this instance's memory: a replayed logout token can only repeat the same
 * logout (revocations are idempotent), so accepting the logout beats refusing it. A failed read
 * rejects; only a missing key (null) is a miss.
 */
export class RedisSessionRegistry extends SessionRegistry implements OnApplicationShutdown {
  /** Claims made while Redis was unreachable: key → expiry (epoch ms). */
  private readonly localClaims = new Map<string, number>();
  private fallbackLogged = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly commandTimeout: number,
    private readonly logger: LoggerService,
    private readonly maxSessionsPerUser = DEFAULT_MAX_SESSIONS_PER_USER,
  ) {
    super();
  }

  async register(record: SessionRecord): Promise<void> {
    const member = recordMember(record);
    if (member === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
    const now = Date.now();
    const expiresAt = Math.min(record.expiresAt * 1000, now + MAX_RECORD_LIFETIME_MS);
    if (expiresAt <= now) return;
    await this.run(async (redis) => {
      await redis.set(this.keys.record(member), encodeSessionRecord(record), { PX: Math.ceil(expiresAt - now) });
      const index = (indexKey: string) =>
        redis
          .multi()
          // Scored by expiry, so that expired members go here, without reading the index.
          .zAdd(indexKey, { score: expiresAt, value: member })
          .zRemRangeByScore(indexKey, '-inf', now)
          // GT alone never sets a first expiry ("a non-volatile key is treated as an infinite TTL for
          // the purpose of GT", https://redis.io/commands/pexpireat/): NX sets it, GT only extends it.
          .pExpireAt(indexKey, expiresAt, 'NX')
          .pExpireAt(indexKey, expiresAt, 'GT');
      // Beyond the cap: read then drop the lowest ranks, in the sub index's transaction (empty below the cap).
      const beyondCap = -(this.maxSessionsPerUser + 1);
      const subIndex = this.keys.subIndex(record.sub);
      const [subReplies] = await Promise.all([
        index(subIndex).zRange(subIndex, 0, beyondCap).zRemRangeByRank(subIndex, 0, beyondCap).exec(),
        record.sid === undefined ? undefined : index(this.keys.sidIndex(record.sid)).exec(),
      ]);
      const dropped = subReplies.at(-2);
      if (Array.isArray(dropped) && dropped.length > 0) await this.drop(redis, record.sub, dropped.map(String));
    });
  }

  findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    const member = `a:${adapterSessionId}`;
    return this.run(async (redis) => decodeSessionRecord(await redis.get(this.keys.record(member)), member));
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return this.readIndex(this.keys.sidIndex(sid), (record) => record.sid === sid);
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return this.readIndex(this.keys.subIndex(sub), (record) => record.sub === sub);
  }

  async remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const member = recordMember(record);
    if (member === undefined) return;
    await this.run(async (redis) => {
      const stored = decodeSessionRecord(await redis.getDel(this.keys.record(member)), member);
      if (stored === undefined) return;
      await Promise.all([
        stored.sid === undefined ? undefined : redis.zRem(this.keys.sidIndex(stored.sid), member),
        redis.zRem(this.keys.subIndex(stored.sub), member),
      ]);
    });
  }

  async claimTokenId(key: string, ttlMs: number): Promise<boolean> {
    const redisKey = this.keys.jti(key);
    try {
      const reply = await this.run((redis) => redis.set(redisKey, '1', { NX: true, PX: Math.max(1, Math.ceil(ttlMs)) }));
      this.fallbackLogged = false;
      return reply === 'OK';
    } catch (error) {
      // A reply Redis gives to a wrong command is a bug to surface; "not now" (a cluster between a master's death and its replica's promotion) is an outage.
      if (error instanceof ErrorReply && !isUnavailableReply(error)) throw error;
      if (!this.fallbackLogged) {
        this.fallbackLogged = true;
        this.logger.warn(`Redis unreachable (${describeError(error)}): logout-token replay checks use this instance's memory until it is back`);
      }
      return this.claimLocally(redisKey, ttlMs);
    }
  }

  async releaseTokenId(key: string): Promise<void> {
    const redisKey = this.keys.jti(key);
    this.localClaims.delete(redisKey);
    await this.run((redis) => redis.del(redisKey));
  }

  /** Nest calls this when the registry is part of the module's `backend`: release the backend's connections. */
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
  private async drop(redis: RedisCommands, sub: string, members: string[]): Promise<void> {
    const stored = await this.getRecords(redis, members);
    await Promise.all(
      members.map(async (member, i) => {
        const sid = decodeSessionRecord(stored[i] ?? null, member)?.sid;
        await Promise.all([redis.unlink(this.keys.record(member)), sid === undefined ? undefined : redis.zRem(this.keys.sidIndex(sid), member)]);
      }),
    );
    this.logger.debug?.(
      `user ${fingerprint(sub)} has more than ${this.maxSessionsPerUser} sessions: dropped the ${members.length} that expire first from the registry`,
    );
  }

  /**
   * The live records an index lists that really belong to it (`belongs`): a member re-registered
   * under another sid or user (the same app session after a new login) stays in its old index
   * until that expires, and must not be logged out with it. Members whose record is missing or
   * belongs elsewhere leave the index; an unreadable record stays (a read error rejects: never a miss).
   */
  private async readIndex(indexKey: string, belongs: (record: SessionRecord) => boolean): Promise<SessionRecord[]> {
    return this.run(async (redis) => {
      const [, members] = (await redis.multi().zRemRangeByScore(indexKey, '-inf', Date.now()).zRange(indexKey, 0, -1).exec()) as [unknown, string[]];
      if (members.length === 0) return [];
      const stored = await this.getRecords(redis, members);
      const found: SessionRecord[] = [];
      const gone: string[] = [];
      members.forEach((member, i) => {
        const value = stored[i] ?? null;
        const record = decodeSessionRecord(value, member);
        if (record === undefined) {
          if (value === null) gone.push(member);
        } else if (belongs(record)) found.push(record);
        else gone.push(member);
      });
      if (gone.length > 0) await redis.zRem(indexKey, gone);
      return found;
    });
  }

  /** The stored records of `members`, null where missing: one GET each (records of one user lie in several Cluster slots), pipelined. */
  private getRecords(redis: RedisCommands, members: string[]): Promise<Array<string | null>> {
    return Promise.all(members.map((member) => redis.get(this.keys.record(member))));
  }

  /**
   * Runs an operation on the writer connection: opens it on first use (the registry may be used
   * before the bus starts), waits out a reconnect but fails within `commandTimeout` when Redis is
   * unreachable, and lets close() wait for it.
   */
  private async run<T>(operation: (redis: RedisCommands) => Promise<T>): Promise<T> {
    if (!(await this.connection.writerReady(this.commandTimeout))) throw new Error('the session registry cannot reach Redis');
    return this.connection.track(() => operation(this.connection.writer.redis));
  }
}
