import type { LivePage } from './live-log-page.js';
import type { RedisCommands } from './redis-link.js';

/** XREAD's reply as node-redis gives it (RESP2, no type mapping). */
export type XReadReply = Awaited<ReturnType<RedisCommands['xRead']>>;

/**
 * XREAD's reply as a page like the catch-up script's (live-log-page.ts): every entry counts as
 * read, and only the live ones are kept. An entry is live unless its `x` field (the latest expiry
 * of its batch) is a number that is not after `now`: one whose revocations have all expired is
 * passed over unparsed (nothing in it could still refuse a token), one without a readable `x` is
 * kept, for the client to check and skip.
 */
export function entriesPage(reply: XReadReply, now: number): LivePage {
  const messages = reply?.[0]?.messages ?? [];
  const ids: string[] = [];
  const batches: Array<string | null> = [];
  for (const { id, message } of messages) {
    if (Number(message.x) <= now) continue;
    ids.push(id);
    batches.push(typeof message.r === 'string' ? message.r : null);
  }
  return { lastId: messages.at(-1)?.id, read: messages.length, ids, batches };
}

/** Reads up to `count` entries of `stream` after `after` with XREAD, blocking up to `blockMs` when given; its live entries only. */
export async function readEntriesPage(redis: RedisCommands, stream: string, after: string, count: number, blockMs?: number): Promise<LivePage> {
  const reply = await redis.xRead({ key: stream, id: after }, blockMs === undefined ? { COUNT: count } : { BLOCK: blockMs, COUNT: count });
  return entriesPage(reply, Date.now());
}
