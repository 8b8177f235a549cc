import { randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
import type { RedisKeys } from './redis-keys.js';
import { compareStreamIds } from './revocation-codec.js';

/**
 * Tells, at each (re)connection, whether Redis still holds the revocation log this instance has
 * been reading, or lost it (restarted without persistence, flushed, failed over to a replica that
 * lagged). Two signs: the epoch key, a random id written once per lifetime of the data, changed;
 * or the log's last generated id is behind the last entry applied here (or the log is gone).
 */
export class LogContinuity {
  private epoch: string | undefined;

  constructor(private readonly keys: Pick<RedisKeys, 'epoch' | 'stream'>) {}

  /** True until the first check: nothing is known of the log yet, so nothing can have been lost. */
  get firstCheck(): boolean {
    return this.epoch === undefined;
  }

  /** Resolves true when the log was lost since the entry `lastId` was applied here. */
  async lostSince(redis: RedisClientType, lastId: string): Promise<boolean> {
    const first = this.firstCheck;
    await redis.set(this.keys.epoch, randomUUID(), { NX: true });
    const epoch = (await redis.get(this.keys.epoch)) ?? undefined;
    let lost = !first && epoch !== this.epoch;
    if (!lost && lastId !== '0-0') {
      const lastGenerated = await this.lastGeneratedId(redis);
      lost = lastGenerated === undefined || compareStreamIds(lastGenerated, lastId) < 0;
    }
    this.epoch = epoch;
    return lost;
  }

  private async lastGeneratedId(redis: RedisClientType): Promise<string | undefined> {
    try {
      const info = await redis.xInfoStream(this.keys.stream);
      return info['last-generated-id'];
    } catch (error) {
      // XINFO STREAM on a missing key is an error reply, not a null.
      if (error instanceof Error && /no such key/i.test(error.message)) return undefined;
      throw error;
    }
  }
}
