import type { SessionRecord } from '../registry/session-record.interface.js';
import type { RedisCommands } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import { decodeSessionRecord, recordMember } from './session-record-codec.js';

/**
 * The registry's layout of earlier 0.2 builds: a string key per record (`record:a:…`,
 * `record:k:…`, session-record-codec.ts) and sorted-set indexes (`sid-index:…`, `sub-index:…`)
 * of record members scored by expiry. Instances of that layout may run beside this one during a
 * rolling upgrade, for up to `sessionTtl`: the registry reads their records as a fallback and
 * removes them with its own, and writes nothing here but the deletion of a record it registers
 * anew (so that an old index cannot return the superseded record).
 */
export class PreviousSessionLayout {
  constructor(private readonly keys: RedisKeys) {}

  async findByAdapterSessionId(redis: RedisCommands, adapterSessionId: string): Promise<SessionRecord | undefined> {
    const member = `a:${adapterSessionId}`;
    return decodeSessionRecord(await redis.get(this.keys.record(member)), member);
  }

  findBySid(redis: RedisCommands, sid: string): Promise<SessionRecord[]> {
    return this.readIndex(redis, this.keys.sidIndex(sid), (record) => record.sid === sid);
  }

  findBySubject(redis: RedisCommands, sub: string): Promise<SessionRecord[]> {
    return this.readIndex(redis, this.keys.subIndex(sub), (record) => record.sub === sub);
  }

  /** Removes a record and its index entries. */
  async remove(redis: RedisCommands, record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const member = recordMember(record);
    if (member === undefined) return;
    const stored = decodeSessionRecord(await redis.getDel(this.keys.record(member)), member);
    if (stored === undefined) return;
    await Promise.all([
      stored.sid === undefined ? undefined : redis.zRem(this.keys.sidIndex(stored.sid), member),
      redis.zRem(this.keys.subIndex(stored.sub), member),
    ]);
  }

  /** Deletes the record of a session registered anew in the current layout; its index entries then lead nowhere and expire. */
  async forget(redis: RedisCommands, record: Pick<SessionRecord, 'adapterSessionId' | 'sid'>): Promise<void> {
    const member = recordMember(record);
    if (member !== undefined) await redis.unlink(this.keys.record(member));
  }

  /** The live records an index lists that belong to it (`belongs`): an index may still list a record re-registered elsewhere. */
  private async readIndex(redis: RedisCommands, indexKey: string, belongs: (record: SessionRecord) => boolean): Promise<SessionRecord[]> {
    const members = await redis.zRange(indexKey, `(${Date.now()}`, '+inf', { BY: 'SCORE' });
    if (members.length === 0) return [];
    const stored = await Promise.all(members.map((member) => redis.get(this.keys.record(member))));
    return members.flatMap((member, i) => {
      const record = decodeSessionRecord(stored[i] ?? null, member);
      return record !== undefined && belongs(record) ? [record] : [];
    });
  }
}
