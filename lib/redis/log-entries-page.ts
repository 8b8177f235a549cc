import type { LivePage } from './live-log-page.js';
import type { RedisLink } from './redis-link.js';
import { compareStreamIds } from './revocation-codec.js';

/** Sent back when a reply to XREAD is not one (another server's idea of the command). */
export class UnexpectedEntriesReply extends Error {
  constructor() {
    super('unexpected reply to XREAD');
  }
}

const R = 0x72;
const X = 0x78;
const C = 0x63;
const ZERO = 0x30;
/** Up to this many digits, a number read digit by digit is exact (below 2^53). */
const EXACT_DIGITS = 15;

/**
 * The value of an `x` field as `Number()` reads its text: digit by digit when it is only digits
 * (what this library writes), else from the text.
 */
function numberOf(value: Buffer): number {
  if (value.length === 0 || value.length > EXACT_DIGITS) return Number(value.toString('latin1'));
  let number = 0;
  for (let i = 0; i < value.length; i += 1) {
    const digit = value[i]! - ZERO;
    if (digit < 0 || digit > 9) return Number(value.toString('latin1'));
    number = number * 10 + digit;
  }
  return number;
}

/** Whether a snapshot entry's `c` names an entry at or before `applied` (a `c` that is no stream id covers nothing). */
function coveredBy(covers: Buffer, applied: string): boolean {
  const text = covers.toString('latin1');
  return /^\d{1,20}-\d{1,20}$/.test(text) && compareStreamIds(text, applied) <= 0;
}

/** Whether a field name is the one-letter `letter`. */
const isField = (name: Buffer, letter: number) => name.length === 1 && name[0] === letter;

/**
 * XREAD's reply, as Redis sends it (RESP2: `[[stream, [[id, [field, value, ...]], ...]]]`, or
 * nil when nothing was read) with its strings as Buffers, as a page like the catch-up script's
 * (live-log-page.ts): every entry counts as read, and only the live ones are kept. An entry is
 * live unless its `x` field (the latest expiry of its batch) is a number that is not after
 * `now`: one whose revocations have all expired is passed over unparsed (nothing in it could
 * still refuse a token), one without a readable `x` is kept, for the client to check and skip.
 * Of a field given twice, the last counts.
 *
 * A compaction's snapshot entry (field `c`: the last entry it covers) holds live revocations of
 * the entries up to `c`: when `applied` (what the reader has applied, the id it reads after) is
 * at or past `c`, it holds nothing new there and is passed over unparsed too. So the instance that
 * compacted, and every one that was running, does not read a million revocations again.
 *
 * At start-up pages come by the thousand, so the reply is read as it is: no object per entry
 * (node-redis' xRead), and text decoded only for the batches and the last id (the other ids
 * when an entry is reported).
 */
export function entriesPage(reply: unknown, now: number, applied = '0-0'): LivePage {
  const page: LivePage = { lastId: undefined, read: 0, ids: [], batches: [] };
  if (reply === null) return page;
  const stream: unknown = Array.isArray(reply) && reply.length === 1 ? reply[0] : undefined;
  const entries: unknown = Array.isArray(stream) && stream.length === 2 ? stream[1] : undefined;
  if (!Array.isArray(entries)) throw new UnexpectedEntriesReply();
  let lastId: Buffer | undefined;
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry) || !Buffer.isBuffer(entry[0]) || !Array.isArray(entry[1])) throw new UnexpectedEntriesReply();
    const id = entry[0];
    const fields = entry[1] as unknown[];
    let batch: Buffer | undefined;
    let expiresAt: Buffer | undefined;
    let covers: Buffer | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i];
      const value = fields[i + 1];
      if (!Buffer.isBuffer(name) || !Buffer.isBuffer(value)) throw new UnexpectedEntriesReply();
      if (isField(name, R)) batch = value;
      else if (isField(name, X)) expiresAt = value;
      else if (isField(name, C)) covers = value;
    }
    lastId = id;
    page.read += 1;
    if (expiresAt !== undefined && numberOf(expiresAt) <= now) continue;
    if (covers !== undefined && coveredBy(covers, applied)) continue;
    page.ids.push(id);
    page.batches.push(batch === undefined ? null : batch.toString());
  }
  page.lastId = lastId?.toString('latin1');
  return page;
}

/** Reads up to `count` entries of `stream` after `after` with XREAD, blocking up to `blockMs` when given; its live entries only. */
export async function readEntriesPage(link: RedisLink, stream: string, after: string, count: number, blockMs?: number): Promise<LivePage> {
  const block = blockMs === undefined ? [] : ['BLOCK', String(blockMs)];
  const reply = await link.readBinary(stream, ['XREAD', 'COUNT', String(count), ...block, 'STREAMS', stream, after]);
  return entriesPage(reply, Date.now(), after);
}
