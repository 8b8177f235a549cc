import type { LivePage } from './live-log-page.js';
import type { RedisLink } from './redis-link.js';

/** Sent back when a reply to XREAD is not one (another server's idea of the command). */
export class UnexpectedEntriesReply extends Error {
  constructor() {
    super('unexpected reply to XREAD');
  }
}

/**
 * XREAD's reply, as Redis sends it (RESP2: `[[stream, [[id, [field, value, ...]], ...]]]`, or
 * nil when nothing was read), as a page like the catch-up script's (live-log-page.ts): every
 * entry counts as read, and only the live ones are kept. An entry is live unless its `x` field
 * (the latest expiry of its batch) is a number that is not after `now`: one whose revocations
 * have all expired is passed over unparsed (nothing in it could still refuse a token), one
 * without a readable `x` is kept, for the client to check and skip. Of a field given twice, the
 * last counts. The reply is read as it is rather than as node-redis' object per entry: at
 * start-up, pages come by the thousand and those objects would be most of their cost.
 */
export function entriesPage(reply: unknown, now: number): LivePage {
  const page: LivePage = { lastId: undefined, read: 0, ids: [], batches: [] };
  if (reply === null) return page;
  const stream: unknown = Array.isArray(reply) && reply.length === 1 ? reply[0] : undefined;
  const entries: unknown = Array.isArray(stream) && stream.length === 2 ? stream[1] : undefined;
  if (!Array.isArray(entries)) throw new UnexpectedEntriesReply();
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) throw new UnexpectedEntriesReply();
    const id = entry[0];
    const fields = entry[1] as unknown[];
    let batch: string | null = null;
    let expiresAt: unknown;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'r') batch = typeof fields[i + 1] === 'string' ? (fields[i + 1] as string) : null;
      else if (fields[i] === 'x') expiresAt = fields[i + 1];
    }
    page.lastId = id;
    page.read += 1;
    if (Number(expiresAt) <= now) continue;
    page.ids.push(id);
    page.batches.push(batch);
  }
  return page;
}

/** Reads up to `count` entries of `stream` after `after` with XREAD, blocking up to `blockMs` when given; its live entries only. */
export async function readEntriesPage(link: RedisLink, stream: string, after: string, count: number, blockMs?: number): Promise<LivePage> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const reply = await link.sendReadOnly(stream, ['XREAD', 'COUNT', String(count), ...block, 'STREAMS', stream, after]);
  return entriesPage(reply, Date.now());
}
