import type { RedisCommands } from './redis-link.js';

/**
 * Reads one page of the revocation log on the server and sends back only its live entries: a
 * new instance catching up reads a log that is mostly expired history (until the trimmer or a
 * compaction removes it), and an entry whose revocations have all expired could refuse nothing.
 * Passing over those on the server spares the transfer and the decoding of each (most of a
 * catch-up's time, bench/RESULTS.md section 9), and the reply comes back as plain arrays rather
 * than node-redis' object per entry.
 *
 * KEYS[1] is the log; ARGV: the first id to read, the page size, now (epoch ms). The reply:
 * `[last id read ('' for none), entries read, ids of the live entries, their batches]`, where
 * a batch is the entry's `r` field, or false (nil) when it has none. An entry is live unless
 * its `x` field (the latest expiry of its batch) is a number that is not after now: like the
 * XREAD path, an entry without a readable `x` is sent, for the client to check and skip.
 * Read-only (`no-writes`, https://redis.io/docs/latest/develop/interact/programmability/lua-api/#script-flags),
 * on one key: in a Cluster it runs on the log's shard.
 */
const LIVE_PAGE_SCRIPT = `#!lua flags=no-writes
local page = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
local now = tonumber(ARGV[3])
local ids, batches = {}, {}
for i = 1, #page do
  local fields = page[i][2]
  local batch, expiresAt = false, nil
  for j = 1, #fields, 2 do
    local name = fields[j]
    if name == 'r' then batch = fields[j + 1] elseif name == 'x' then expiresAt = tonumber(fields[j + 1]) end
  end
  -- NaN compares false: an x of 'nan' does not pass for expired.
  if not (expiresAt ~= nil and expiresAt <= now) then
    ids[#ids + 1] = page[i][1]
    batches[#batches + 1] = batch
  end
end
local last = ''
if #page > 0 then last = page[#page][1] end
return { last, #page, ids, batches }
`;

/** One page read by the script. */
export interface LivePage {
  /** Id of the last entry read (live or not); undefined when the page is empty. */
  lastId: string | undefined;
  /** Entries read, expired ones included: fewer than asked for means the end of the log. */
  read: number;
  /** Ids of the live entries, in log order: as text, or as the bytes Redis sent (XREAD pages, see log-entries-page.ts). */
  ids: Array<string | Buffer>;
  /** Their `r` fields, null for an entry without one. */
  batches: Array<string | null>;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBatch = (value: unknown): value is string | null => value === null || typeof value === 'string';

/** The script's reply, checked: anything else (another server's idea of Lua) is undefined. */
export function parseLivePage(reply: unknown): LivePage | undefined {
  if (!Array.isArray(reply) || reply.length !== 4) return undefined;
  const [last, read, ids, batches] = reply as unknown[];
  if (!isString(last) || typeof read !== 'number' || !Number.isInteger(read) || read < 0 || (last === '') !== (read === 0)) return undefined;
  if (!Array.isArray(ids) || !ids.every(isString) || !Array.isArray(batches) || !batches.every(isBatch)) return undefined;
  if (ids.length !== batches.length || ids.length > read) return undefined;
  return { lastId: last === '' ? undefined : last, read, ids, batches };
}

/** Sent back when the server ran the script but its reply is not what the script returns. */
export class UnexpectedPageReply extends Error {
  constructor() {
    super('unexpected reply to the catch-up script');
  }
}

/** Reads up to `count` entries of `stream` from `from` (inclusive), its live ones only. */
export async function readLivePage(redis: RedisCommands, stream: string, from: string, count: number, now: number): Promise<LivePage> {
  const reply = await redis.eval(LIVE_PAGE_SCRIPT, { keys: [stream], arguments: [from, String(count), String(now)] });
  const page = parseLivePage(reply);
  if (page === undefined) throw new UnexpectedPageReply();
  return page;
}
