import { randomUUID } from 'node:crypto';
import type { Revocation } from '../revocation/revocation.interface.js';
import type { RedisCommands } from './redis-link.js';
import type { RedisKeys } from './redis-keys.js';
import { encodeEntry, nextStreamId } from './revocation-codec.js';

/** Below this many entries a log is read at start-up in a few XREADs: not worth compacting. */
const MIN_ENTRIES = 1_000;
/** Revocations per snapshot entry (a few tens of kB each). */
const SNAPSHOT_BATCH = 250;
/** Snapshot entries sent together, then awaited. */
const ENTRIES_PER_WRITE = 16;

/** What one compaction did. */
export interface Compaction {
  /** Live revocations written as the snapshot. */
  snapshot: number;
  /** Entries removed from the head of the log. */
  removed: number;
}

/**
 * Keeps the cost of reading the log, at start-up and after a long disconnection, bounded by the
 * number of live revocations rather than by the logout history. The trimmer removes expired
 * entries, but not the live duplicates a failover re-publishes, and not in one go a history that
 * expired faster than its bounded rounds remove it; deleting single entries (XDEL) also frees no
 * memory while a live entry shares their stream node
 * (https://redis.io/docs/latest/develop/data-types/streams/#deletion).
 *
 * A compaction, by an instance whose view is complete up to the log entry S (it just read to the
 * end): it appends every live revocation it knows as "snapshot" entries (field `c`: S), then
 * trims everything up to S (XTRIM MINID, whole stream nodes freed). It runs beside the reader,
 * on the writer connection, so that the view stays fresh meanwhile. Whoever reads from before S
 * (a new instance from the start, one that was away) meets the snapshot further on, so what the
 * trim removed still reaches it; an instance that has read past S passes the snapshot over
 * (log-entries-page.ts), and instances of an earlier version read its entries as ordinary
 * batches. An instance that stops half-way leaves a snapshot without a trim: duplicates,
 * harmless. One instance compacts at a time (a lock key, SET NX PX), at most once per period,
 * and only when the log holds at least as many entries as there are live revocations (and at
 * least MIN_ENTRIES): each compaction rewrites every live revocation, so waiting until as many
 * entries have come since keeps its cost proportional to the logouts, and a start-up reads at
 * most about twice the live revocations. A log trimmed by expiry down to its live entries, one
 * revocation each, still qualifies: the snapshot packs them 250 to an entry and frees the stream
 * nodes that XDEL left allocated.
 */
export class RevocationLogCompactor {
  private nextCheck = 0;
  private readonly owner = randomUUID();

  constructor(
    private readonly keys: Pick<RedisKeys, 'stream' | 'compaction'>,
    /** Ms between two checks, and how long the lock is held. */
    private readonly period: number,
  ) {}

  /** Whether a check is due (no I/O). */
  due(now = Date.now()): boolean {
    return now >= this.nextCheck;
  }

  /**
   * Compacts the log when it is worth it and no other instance is at it. `covered` is the last
   * entry applied here and `live` the revocations known here, which hold every live one of the
   * entries up to `covered`. Resolves undefined when it did nothing.
   */
  async compact(redis: RedisCommands, covered: string, live: readonly Revocation[], now = Date.now()): Promise<Compaction | undefined> {
    this.nextCheck = now + this.period;
    if (covered === '0-0') return undefined;
    const entries = await redis.xLen(this.keys.stream);
    if (entries < Math.max(MIN_ENTRIES, live.length)) return undefined;
    if ((await redis.set(this.keys.compaction, this.owner, { NX: true, PX: this.period })) !== 'OK') return undefined;
    // A group of entries at a time, each encoded just before it is sent: a million live
    // revocations are 4,000 entries of ~40 kB, which encoded at once would hold the event loop
    // for a second, and sent at once would queue behind one another past the command timeout.
    // All are written before anything is trimmed.
    const group = SNAPSHOT_BATCH * ENTRIES_PER_WRITE;
    for (let start = 0; start < live.length; start += group) {
      const writes: Array<Promise<unknown>> = [];
      for (let i = start; i < Math.min(live.length, start + group); i += SNAPSHOT_BATCH) {
        writes.push(redis.xAdd(this.keys.stream, '*', { ...encodeEntry(live.slice(i, i + SNAPSHOT_BATCH)), c: covered }));
      }
      await Promise.all(writes);
    }
    const removed = await redis.xTrim(this.keys.stream, 'MINID', nextStreamId(covered));
    return { snapshot: live.length, removed };
  }
}
