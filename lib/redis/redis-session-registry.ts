import type { LoggerService, OnApplicationShutdown } from '@nestjs/common';
import { ErrorReply } from 'redis';
import { SessionRegistry } from '../registry/session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { fingerprint } from '../utils/fingerprint.js';
import { rewriteBucket, type BucketRewriteResult } from './bucket-rewrite-script.js';
import { describeError } from './describe-error.js';
import { PreviousSessionLayout } from './previous-session-layout.js';
import { addressOf, bucketOfFingerprint } from './registry-address.js';
import {
  decodeIndexLine,
  decodeRecordHead,
  decodeRecordLine,
  encodeIndexLine,
  encodeRecordLine,
  escapeField,
  indexEntryPrefix,
  indexPrefix,
  linesContaining,
  linesStartingWith,
  memberName,
  memberPrefix,
  type IndexEntry,
  type StoredRecord,
} from './registry-line-codec.js';
import type { RedisConnection } from './redis-connection.js';
import type { RedisCommands } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import { isUnavailableReply } from './unavailable-reply.js';

/** Sessions kept per user when `maxSessionsPerUser` is not given. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 1_000;
/** The module's longest `sessionTtl` (a year): no record is kept longer, whatever `expiresAt` it claims. */
const MAX_RECORD_LIFETIME_MS = 31_536_000 * 1_000;

/** The indexes: a record is listed under its sid (`s`) and its user (`u`). */
type IndexKind = 's' | 'u';

const isLive = (expiry: number, now: number) => expiry * 1000 > now;

/**
 * SessionRegistry shared by every instance through Redis, on the backend's writer connection.
 *
 * Redis spends about 100 B on every key whatever it holds (its entries in the key and expiry
 * tables, its name, its object header), which at a key per record and per index entry was most
 * of a session's bytes. So sessions live in a fixed number of string keys, the buckets
 * (`registry:{n}`, registry-address.ts), as lines of text (registry-line-codec.ts):
 * - A record is one line in the bucket its member (app session id, else sid) hashes to: found by
 *   its id in one read.
 * - The sid → sessions and sub → sessions indexes are short lines in the bucket the sid or sub
 *   hashes to: the index's fingerprint, the record member's fingerprint (which says the record's
 *   bucket) and the expiry. A record read through an index is returned only when it carries that
 *   sid or sub itself; an index line that leads to no such record (removed, expired, registered
 *   again elsewhere) leaves the index when read.
 * - Every line carries its expiry (Redis 7.0 has no per-field TTL): readers skip expired lines.
 *   All writes are one Lua script (bucket-rewrite-script.ts) that rewrites one bucket atomically,
 *   keeps its lines in order of expiry (so it drops the expired ones at the front on every write)
 *   and has it expire with its last line.
 * - Registration writes the record, then its index lines: a reader that finds an index line
 *   whose record is missing drops the line, so the record goes first. The rewrite of the user's
 *   index line keeps at most `maxSessionsPerUser` lines of that user (the ones that expire first
 *   leave, which the module's login makes the oldest); the registry then removes their records
 *   and sid lines. The same few commands whatever the user has; none reads a whole index.
 * - `claimTokenId` is one `SET NX PX`: atomic across instances, so a logout token replayed to
 *   (or retried at) another instance is refused there.
 * - No command names two keys: in a Redis Cluster the buckets spread over the hash slots, and a
 *   script or transaction over keys of two slots is refused (CROSSSLOT,
 *   https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model).
 * - Records of the previous layout (previous-session-layout.ts) are read too, and removed with
 *   the current ones, for rolling upgrades.
 *
 * While Redis is unreachable, operations fail fast (no offline queue), except `claimTokenId`,
 * which falls back to this instance's memory: a replayed logout token can only repeat the same
 * logout (revocations are idempotent), so accepting the logout beats refusing it. A failed read
 * rejects; only a missing line is a miss.
 */
export class RedisSessionRegistry extends SessionRegistry implements OnApplicationShutdown {
  /** Claims made while Redis was unreachable: key → expiry (epoch ms). */
  private readonly localClaims = new Map<string, number>();
  private fallbackLogged = false;
  private readonly previous: PreviousSessionLayout;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly commandTimeout: number,
    private readonly logger: LoggerService,
    private readonly maxSessionsPerUser = DEFAULT_MAX_SESSIONS_PER_USER,
  ) {
    super();
    this.previous = new PreviousSessionLayout(keys);
  }

  async register(record: SessionRecord): Promise<void> {
    const member = memberName(record);
    if (member === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
    if (!Number.isFinite(record.issuedAt) || !Number.isFinite(record.expiresAt)) throw new TypeError('a session record needs a finite issuedAt and expiresAt');
    const now = Date.now();
    const expiresAt = Math.min(record.expiresAt * 1000, now + MAX_RECORD_LIFETIME_MS);
    if (expiresAt <= now) return;
    const expiry = Math.ceil(expiresAt / 1000);
    const place = addressOf(member);
    await this.run(async (redis) => {
      const [{ removed }] = await Promise.all([
        rewriteBucket(redis, this.keys.registryBucket(place.bucket), { add: encodeRecordLine(record, expiry), remove: [memberPrefix(member)] }),
        this.previous.forget(redis, record),
      ]);
      // Registered before under another sid or user: those index lines now lead elsewhere.
      const before = removed.map(decodeRecordLine).find((stored) => stored?.member === member)?.record;
      const [{ dropped }] = await Promise.all([
        this.addIndexLine(redis, 'u', record.sub, place.fingerprint, expiry),
        record.sid === undefined ? undefined : this.addIndexLine(redis, 's', record.sid, place.fingerprint, expiry),
        before?.sid !== undefined && before.sid !== record.sid ? this.removeIndexLine(redis, 's', before.sid, place.fingerprint) : undefined,
        before !== undefined && before.sub !== record.sub ? this.removeIndexLine(redis, 'u', before.sub, place.fingerprint) : undefined,
      ]);
      if (dropped.length > 0) await this.dropBeyondCap(redis, record.sub, dropped);
    });
  }

  findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    const member = memberName({ adapterSessionId })!;
    return this.run(async (redis) => {
      const [stored, previous] = await Promise.all([
        redis.get(this.keys.registryBucket(addressOf(member).bucket)),
        this.previous.findByAdapterSessionId(redis, adapterSessionId),
      ]);
      const now = Date.now();
      const current = linesStartingWith(stored ?? '', memberPrefix(member))
        .map(decodeRecordLine)
        .find((line) => line?.member === member && isLive(line.expiry, now))?.record;
      return newestPerMember([current, previous])[0];
    });
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return this.run(async (redis) => newestPerMember(...(await Promise.all([this.readIndex(redis, 's', sid), this.previous.findBySid(redis, sid)]))));
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return this.run(async (redis) => newestPerMember(...(await Promise.all([this.readIndex(redis, 'u', sub), this.previous.findBySubject(redis, sub)]))));
  }

  async remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const member = memberName(record);
    if (member === undefined) return;
    const place = addressOf(member);
    // A whole record (what the module passes, from a lookup) says where its index lines are: they go in the same round trip.
    const given = typeof (record as Partial<SessionRecord>).sub === 'string' ? (record as SessionRecord) : undefined;
    await this.run(async (redis) => {
      const [{ removed }] = await Promise.all([
        rewriteBucket(redis, this.keys.registryBucket(place.bucket), { remove: [memberPrefix(member)] }),
        this.previous.remove(redis, record),
        given === undefined ? undefined : this.removeIndexLines(redis, given, place.fingerprint),
      ]);
      const stored = removed.map(decodeRecordLine).find((line) => line?.member === member)?.record;
      // Registered again since under another sid or user: those lines too.
      if (stored !== undefined && (stored.sid !== given?.sid || stored.sub !== given?.sub)) await this.removeIndexLines(redis, stored, place.fingerprint);
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

  /** Lists a member in the index of a sid or user; the user's index keeps at most `maxSessionsPerUser` lines of that user. */
  private addIndexLine(redis: RedisCommands, kind: IndexKind, id: string, memberFingerprint: string, expiry: number): Promise<BucketRewriteResult> {
    const index = addressOf(kind + id);
    return rewriteBucket(redis, this.keys.registryBucket(index.bucket), {
      add: encodeIndexLine(index.fingerprint, memberFingerprint, expiry),
      remove: [indexEntryPrefix(index.fingerprint, memberFingerprint)],
      cap: kind === 'u' ? { prefix: indexPrefix(index.fingerprint), max: this.maxSessionsPerUser } : undefined,
    });
  }

  private removeIndexLine(redis: RedisCommands, kind: IndexKind, id: string, memberFingerprint: string): Promise<BucketRewriteResult> {
    const index = addressOf(kind + id);
    return rewriteBucket(redis, this.keys.registryBucket(index.bucket), { remove: [indexEntryPrefix(index.fingerprint, memberFingerprint)] });
  }

  private async removeIndexLines(redis: RedisCommands, record: Pick<SessionRecord, 'sid' | 'sub'>, memberFingerprint: string): Promise<void> {
    await Promise.all([
      record.sid === undefined ? undefined : this.removeIndexLine(redis, 's', record.sid, memberFingerprint),
      this.removeIndexLine(redis, 'u', record.sub, memberFingerprint),
    ]);
  }

  /**
   * Removes the records (and their sid lines) of the user's index lines the cap dropped: they
   * leave the registry (not a logout). Two users whose fingerprints collide (once in 2^34 pairs
   * of one bucket) share one cap: a line of the other user the cap dropped is lost, its record stays.
   */
  private async dropBeyondCap(redis: RedisCommands, sub: string, dropped: string[]): Promise<void> {
    const members = new Set(dropped.map((line) => decodeIndexLine(line)?.member).filter((member) => member !== undefined));
    const buckets = new Set([...members].map(bucketOfFingerprint));
    await Promise.all(
      [...buckets].map(async (bucket) => {
        const key = this.keys.registryBucket(bucket);
        const lines = linesContaining((await redis.get(key)) ?? '', escapeField(sub)).filter((line) => {
          const stored = decodeRecordLine(line);
          return stored?.record.sub === sub && members.has(addressOf(stored.member).fingerprint);
        });
        if (lines.length === 0) return;
        // Whole lines: a record registered again meanwhile is another line, and stays.
        const { removed } = await rewriteBucket(redis, key, { remove: lines.map((line) => `${line}\n`) });
        await Promise.all(
          removed.flatMap((line) => {
            const stored = decodeRecordLine(line);
            return stored?.record.sid === undefined ? [] : [this.removeIndexLine(redis, 's', stored.record.sid, addressOf(stored.member).fingerprint)];
          }),
        );
      }),
    );
    this.logger.debug?.(
      `user ${fingerprint(sub)} has more than ${this.maxSessionsPerUser} sessions: dropped the ${members.size} that expire first from the registry`,
    );
  }

  /**
   * The live records the index of a sid or user leads to that carry that sid or user. Its lines
   * that lead to none (removed, expired, registered again elsewhere) leave it.
   */
  private async readIndex(redis: RedisCommands, kind: IndexKind, id: string): Promise<SessionRecord[]> {
    const index = addressOf(kind + id);
    const indexKey = this.keys.registryBucket(index.bucket);
    const now = Date.now();
    const entries = linesStartingWith((await redis.get(indexKey)) ?? '', indexPrefix(index.fingerprint))
      .map(decodeIndexLine)
      .filter((entry) => entry !== undefined && isLive(entry.expiry, now)) as IndexEntry[];
    if (entries.length === 0) return [];
    const buckets = [...new Set(entries.map((entry) => bucketOfFingerprint(entry.member)))];
    const replies = await Promise.all(buckets.map((bucket) => redis.get(this.keys.registryBucket(bucket))));
    const stored = new Map(buckets.map((bucket, i) => [bucket, replies[i] ?? '']));
    const found: StoredRecord[] = [];
    for (const bucket of stored.values()) {
      for (const line of linesContaining(bucket, escapeField(id))) {
        const decoded = decodeRecordLine(line);
        if (decoded !== undefined && isLive(decoded.expiry, now) && carriedId(decoded.record, kind) === id) found.push(decoded);
      }
    }
    const reached = new Set(found.map((record) => addressOf(record.member).fingerprint));
    const stale = entries.filter((entry) => !reached.has(entry.member) && !leadsElsewhere(entry, kind, stored.get(bucketOfFingerprint(entry.member))!, now));
    // Whole lines: a line written again meanwhile is another line, and stays.
    if (stale.length > 0) await rewriteBucket(redis, indexKey, { remove: stale.map((entry) => `${entry.line}\n`) });
    return found.map((record) => record.record);
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

/** The sid or the sub of a record: what the index of `kind` lists it by. */
function carriedId(record: SessionRecord, kind: IndexKind): string | undefined {
  return kind === 's' ? record.sid : record.sub;
}

/**
 * Whether an index line that reached no record of its index's id still leads somewhere, and
 * must stay: to a record of another id with the same fingerprint (48 bits, 14 of them the
 * bucket: two ids of one bucket share it once in 2^34), or to a record this version cannot read
 * (a later version's line).
 */
function leadsElsewhere(entry: IndexEntry, kind: IndexKind, bucket: string, now: number): boolean {
  return bucket.split('\n').some((line) => {
    const head = decodeRecordHead(line);
    if (head === undefined || !isLive(head.expiry, now) || addressOf(head.member).fingerprint !== entry.member) return false;
    const record = decodeRecordLine(line)?.record;
    const other = record === undefined ? undefined : carriedId(record, kind);
    return record === undefined || (other !== undefined && addressOf(kind + other).fingerprint === entry.index);
  });
}

/**
 * One record per member out of the lists given: a session found in both layouts (an instance of
 * the previous one registered it again) is the registration that expires last.
 */
function newestPerMember(...lists: Array<Array<SessionRecord | undefined>>): SessionRecord[] {
  const byMember = new Map<string, SessionRecord>();
  for (const record of lists.flat()) {
    if (record === undefined) continue;
    const member = memberName(record)!;
    const kept = byMember.get(member);
    if (kept === undefined || record.expiresAt > kept.expiresAt) byMember.set(member, record);
  }
  return [...byMember.values()];
}
