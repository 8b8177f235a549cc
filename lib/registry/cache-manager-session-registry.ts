import type { SessionCache } from './session-cache.interface.js';
import { checkMaxSessionsPerUser } from './max-sessions-per-user.js';
import { SessionRegistry } from './session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const PREFIX = 'keycloak-logout:';

/** Key of a record: the adapter session id when there is one, else the Keycloak sid. */
function recordKey(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `${PREFIX}session:a:${record.adapterSessionId}`;
  if (record.sid !== undefined) return `${PREFIX}session:k:${record.sid}`;
  return undefined;
}

export interface CacheManagerSessionRegistryOptions {
  /**
   * Most sessions kept per user (`sub`), 1 to 100000. Default 1000. Registering one more drops
   * that user's oldest registration from the registry (it is not logged out).
   */
  maxSessionsPerUser?: number;
}

/**
 * SessionRegistry on a cache-manager cache: any Keyv store (Redis, ...), or the app's own
 * cache. Records expire with their session; the sid and sub indexes are arrays of record keys,
 * oldest first, that expire with the newest session written to them. Registering reads and writes
 * each index once, with no read of its members (a constant number of cache calls), and keeps a
 * user's index to the newest `maxSessionsPerUser` keys; members whose record expired or moved
 * to another user are skipped when an index is read. Freeing expired entries is the cache's job.
 */
export class CacheManagerSessionRegistry extends SessionRegistry {
  /** Claims in flight on this instance, so concurrent duplicates cannot both win. */
  private readonly claiming = new Set<string>();
  /** The last queued update of each index on this instance, so two of one index never interleave. */
  private readonly indexUpdates = new Map<string, Promise<void>>();
  private readonly maxSessionsPerUser: number;

  constructor(
    private readonly cache: SessionCache,
    options: CacheManagerSessionRegistryOptions = {},
  ) {
    super();
    this.maxSessionsPerUser = checkMaxSessionsPerUser(options.maxSessionsPerUser);
  }

  async register(record: SessionRecord): Promise<void> {
    const key = recordKey(record);
    if (key === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
    // A record lives until its own expiresAt (the module sets it `sessionTtl` after login).
    const ttl = record.expiresAt * 1000 - Date.now();
    if (ttl <= 0) return;
    await this.cache.set(key, record, ttl);
    // A sid belongs to one user, so the user's cap bounds its index too.
    if (record.sid !== undefined) await this.addToIndex(`${PREFIX}sid:${record.sid}`, key, ttl);
    const dropped = await this.addToIndex(`${PREFIX}sub:${record.sub}`, key, ttl);
    if (dropped.length > 0) await this.forget(dropped, record.sub);
  }

  async findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    return (await this.cache.get<SessionRecord>(`${PREFIX}session:a:${adapterSessionId}`)) ?? undefined;
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return this.readIndex(`${PREFIX}sid:${sid}`, (record) => record.sid === sid);
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return this.readIndex(`${PREFIX}sub:${sub}`, (record) => record.sub === sub);
  }

  async remove(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const key = recordKey(record);
    if (key !== undefined) await this.cache.del(key);
  }

  async claimTokenId(key: string, ttlMs: number): Promise<boolean> {
    const cacheKey = `${PREFIX}jti:${key}`;
    if (this.claiming.has(cacheKey)) return false;
    this.claiming.add(cacheKey);
    try {
      if ((await this.cache.get(cacheKey)) !== undefined) return false;
      await this.cache.set(cacheKey, 1, Math.max(1, ttlMs));
      return true;
    } finally {
      this.claiming.delete(cacheKey);
    }
  }

  async releaseTokenId(key: string): Promise<void> {
    await this.cache.del(`${PREFIX}jti:${key}`);
  }

  /** The live records an index names that still belong under it (a key may since hold another user's session). */
  private async readIndex(indexKey: string, belongs: (record: SessionRecord) => boolean): Promise<SessionRecord[]> {
    const keys = (await this.cache.get<string[]>(indexKey)) ?? [];
    if (keys.length === 0) return [];
    const records = await this.cache.mget<SessionRecord>(keys);
    return records.filter((record): record is SessionRecord => record !== undefined && record !== null && belongs(record));
  }

  /**
   * Appends `member` (moving it to the end when present) and keeps the newest
   * `maxSessionsPerUser` members. One read and one write, whatever the index holds: members are
   * not read, so dead ones stay until the cap or the index's expiry drops them. Returns the
   * members dropped.
   */
  private addToIndex(indexKey: string, member: string, ttl: number): Promise<string[]> {
    return this.serially(indexKey, async () => {
      const keys = (await this.cache.get<string[]>(indexKey)) ?? [];
      const members = keys.filter((key) => key !== member);
      members.push(member);
      const dropped = members.splice(0, Math.max(0, members.length - this.maxSessionsPerUser));
      // The newest member's lifetime: the sessions logged in before it expire earlier.
      await this.cache.set(indexKey, members, ttl);
      return dropped;
    });
  }

  /**
   * Runs `update` after the updates of `indexKey` queued before it. Two concurrent
   * read-modify-writes of one index (two logins of one user) would otherwise keep only the
   * last one's member. Instances sharing a store can still race: the Redis registry uses sets.
   */
  private serially<T>(indexKey: string, update: () => Promise<T>): Promise<T> {
    const result = (this.indexUpdates.get(indexKey) ?? Promise.resolve()).then(update);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.indexUpdates.set(indexKey, settled);
    void settled.then(() => {
      if (this.indexUpdates.get(indexKey) === settled) this.indexUpdates.delete(indexKey);
    });
    return result;
  }

  /** Deletes the records of `keys` that are still `sub`'s (a key may since hold another user's session). */
  private async forget(keys: string[], sub: string): Promise<void> {
    const records = await this.cache.mget<SessionRecord>(keys);
    const owned = keys.filter((_, i) => records[i]?.sub === sub);
    if (owned.length > 0) await this.cache.mdel(owned);
  }
}
