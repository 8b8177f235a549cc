import { randomUUID } from 'node:crypto';
import type { RedisCommands, RedisLink } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import { compareStreamIds } from './revocation-codec.js';

/**
 * Tells, at each (re)connection, whether Redis may have lost part of the revocation log this
 * instance has been reading. Three signs:
 * - the epoch key, a random id written once per lifetime of the data, changed (restarted
 *   without persistence, flushed);
 * - the log's last generated id is behind the last entry applied here (or the log is gone);
 * - another server process holds the log now (its `run_id` changed): a failover to a replica,
 *   or a restart from a persisted file. Replication and persistence are asynchronous
 *   (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/), so the new
 *   server may lack the tail of the log, even when entries written since have carried its last
 *   id past the last one applied here, which hides the gap from the second sign.
 */
export class LogContinuity {
  private epoch: string | undefined;
  private server: string | undefined;

  constructor(private readonly keys: Pick<RedisKeys, 'epoch' | 'stream'>) {}

  /** True until the first check: nothing is known of the log yet, so nothing can have been lost. */
  get firstCheck(): boolean {
    return this.epoch === undefined;
  }

  /** Why the log may have lost entries since the entry `lastId` was applied here; undefined when it cannot have. */
  async lossSince(link: RedisLink, lastId: string): Promise<string | undefined> {
    const redis = link.redis;
    const first = this.firstCheck;
    await redis.set(this.keys.epoch, randomUUID(), { NX: true });
    const epoch = (await redis.get(this.keys.epoch)) ?? undefined;
    const server = await link.serverId(this.keys.stream);
    let loss: string | undefined;
    if (!first && epoch !== this.epoch) loss = 'the shared revocation log was lost (Redis restarted without persistence, or was flushed)';
    else if (!first && server !== this.server) loss = 'another Redis server holds the revocation log now (failover or restart), it may lack its latest entries';
    else if (lastId !== '0-0') {
      const lastGenerated = await this.lastGeneratedId(redis);
      if (lastGenerated === undefined || compareStreamIds(lastGenerated, lastId) < 0) loss = 'the revocation log in Redis is behind this instance';
    }
    this.epoch = epoch;
    this.server = server;
    return loss;
  }

  /** Whether the server that holds the log is still the one of the last check. */
  async sameServer(link: RedisLink): Promise<boolean> {
    return (await link.serverId(this.keys.stream)) === this.server;
  }

  private async lastGeneratedId(redis: RedisCommands): Promise<string | undefined> {
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
