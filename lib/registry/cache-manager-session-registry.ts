import type { Cache } from 'cache-manager';
import { SessionRegistry } from './session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const PREFIX = 'keycloak-logout:';

/** Key of a record: the adapter session id when there is one, else the Keycloak sid. */
function recordKey(record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): string | undefined {
  if (record.adapterSessionId !== undefined) return `${PREFIX}session:a:${record.adapterSessionId}`;
  if (record.sid !== undefined) return `${PREFIX}session:k:${record.sid}`;
  return undefined;
}

/**
 * SessionRegistry on a cache-manager cache: any Keyv store (in-memory by default, Redis,
 * ...). Records expire with their session; the sid and sub indexes expire `sessionTtl` after
 * their last write and drop dead members whenever they are written.
 */
export class CacheManagerSessionRegistry extends SessionRegistry {
  /** Claims in flight on this instance, so concurrent duplicates cannot both win. */
  private readonly claiming = new Set<string>();

  constructor(
    private readonly cache: Cache,
    private readonly sessionTtlMs: number,
  ) {
    super();
  }

  async register(record: SessionRecord): Promise<void> {
    const key = recordKey(record);
    if (key === undefined) throw new TypeError('a session record needs an adapterSessionId or a sid');
    const ttl = Math.min(this.sessionTtlMs, record.expiresAt * 1000 - Date.now());
    if (ttl <= 0) return;
    await this.cache.set(key, record, ttl);
    if (record.sid !== undefined) await this.addToIndex(`${PREFIX}sid:${record.sid}`, key);
    await this.addToIndex(`${PREFIX}sub:${record.sub}`, key);
  }

  async findByAdapterSessionId(adapterSessionId: string): Promise<SessionRecord | undefined> {
    return (await this.cache.get<SessionRecord>(`${PREFIX}session:a:${adapterSessionId}`)) ?? undefined;
  }

  findBySid(sid: string): Promise<SessionRecord[]> {
    return this.readIndex(`${PREFIX}sid:${sid}`);
  }

  findBySubject(sub: string): Promise<SessionRecord[]> {
    return this.readIndex(`${PREFIX}sub:${sub}`);
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

  private async readIndex(indexKey: string): Promise<SessionRecord[]> {
    const keys = (await this.cache.get<string[]>(indexKey)) ?? [];
    if (keys.length === 0) return [];
    const records = await this.cache.mget<SessionRecord>(keys);
    return records.filter((record): record is SessionRecord => record !== undefined && record !== null);
  }

  private async addToIndex(indexKey: string, member: string): Promise<void> {
    const keys = (await this.cache.get<string[]>(indexKey)) ?? [];
    const live = keys.length === 0 ? [] : await this.cache.mget(keys);
    const kept = keys.filter((key, i) => key !== member && live[i] !== undefined && live[i] !== null);
    await this.cache.set(indexKey, [...kept, member], this.sessionTtlMs);
  }
}
