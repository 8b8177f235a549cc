import type { RedisCommands } from './redis-link.js';
import { nextStreamId } from './revocation-codec.js';

/** Entries per XRANGE page. */
const PAGE = 200;
/** Pages examined per round: one round's work is bounded whatever the log holds. */
const PAGES_PER_ROUND = 50;
/**
 * The longest a revocation can live (the `revocationTtl` option's maximum, one year), plus a day
 * for clocks that disagree: no entry is kept longer than that after Redis stamped it.
 */
const MAX_ENTRY_LIFETIME_MS = (31_536_000 + 86_400) * 1_000;
/**
 * A live entry at the head that expires within this is waited for: XTRIM MINID then drops it
 * and everything expired behind it at once, freeing whole stream nodes. One that lives longer
 * would hold the log up that long, so the expired entries behind it are deleted one by one.
 */
const LONGEST_HEAD_WAIT_MS = 3_600_000;

interface LogEntry {
  id: string;
  message: Record<string, string>;
}

/**
 * When an entry may go: its `x` (latest expiry of its batch), capped at a year and a day after
 * its id's time, which Redis' clock set at XADD. A far-future `x` (an instance with a clock
 * years ahead, a misconfiguration, a hand-written entry) thus cannot pin the entry forever.
 * An entry without a numeric `x` is not one of ours: it may go at once.
 */
function entryExpiry(entry: LogEntry): number {
  const claimed = Number(entry.message.x);
  if (!Number.isFinite(claimed)) return 0;
  const stampedAt = Number(entry.id.split('-')[0]);
  return Math.min(claimed, stampedAt + MAX_ENTRY_LIFETIME_MS);
}

/**
 * Removes expired entries from the shared revocation log, in bounded rounds. The expired head
 * goes with XTRIM MINID. Behind a long-lived head entry, expired entries are removed with XDEL
 * while paging on; a round that runs out of pages leaves a cursor, so that successive rounds
 * cover the whole log whatever its size, then start again from the head.
 */
export class RevocationLogTrimmer {
  /** Where the next round resumes paging (undefined: at the head). */
  private resumeAt: string | undefined;

  constructor(
    private readonly redis: () => RedisCommands,
    private readonly stream: string,
  ) {}

  /** One round; resolves to the number of entries removed. */
  async round(now = Date.now()): Promise<number> {
    const redis = this.redis();
    let atHead = this.resumeAt === undefined;
    let start = this.resumeAt ?? '-';
    let removed = 0;
    for (let pages = 0; pages < PAGES_PER_ROUND; pages += 1) {
      const page = await redis.xRange(this.stream, start, '+', { COUNT: PAGE });
      let expiredHead = 0;
      if (atHead) {
        while (expiredHead < page.length && entryExpiry(page[expiredHead]!) <= now) expiredHead += 1;
        if (expiredHead > 0) removed += await redis.xTrim(this.stream, 'MINID', nextStreamId(page[expiredHead - 1]!.id));
        if (expiredHead < page.length) {
          atHead = false;
          if (entryExpiry(page[expiredHead]!) - now <= LONGEST_HEAD_WAIT_MS) return this.finish(undefined, removed);
        }
      }
      const expiredBehind = page.slice(expiredHead).filter((entry) => entryExpiry(entry) <= now).map((entry) => entry.id);
      if (expiredBehind.length > 0) removed += await redis.xDel(this.stream, expiredBehind);
      if (page.length < PAGE) return this.finish(undefined, removed);
      start = nextStreamId(page[page.length - 1]!.id);
    }
    return this.finish(start, removed);
  }

  private finish(resumeAt: string | undefined, removed: number): number {
    this.resumeAt = resumeAt;
    return removed;
  }
}
