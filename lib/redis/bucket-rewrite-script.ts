import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisCommands } from './redis-link.js';

/**
 * The one write of the session registry: rewrites a bucket (KEYS[1], a string of lines `<name>
 * <expiry> …\n`, the expiry in epoch seconds, base 36, see registry-line-codec.ts) atomically.
 * ARGV: now (epoch seconds), a line to add (empty: none), the prefix of the lines the cap counts
 * (empty: none), the cap, then what to remove: the lines that start with one of the remaining
 * arguments (a name and its space), or are one of them without its final newline (a whole line).
 * Expired and unreadable lines are dropped (an expiry more than a year and a day ahead is
 * unreadable: the bucket's own expiry stays bounded); when more lines than the cap start with its prefix,
 * those expiring first are dropped. The bucket then expires with its longest-lived line, or is
 * deleted when none is left; it is not written when nothing changed.
 * Replies { removed lines, lines the cap dropped }.
 */
const SOURCE = `
local now, added, capped, cap = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local bucket = redis.call('GET', KEYS[1]) or ''
-- No line lives more than a year and a day from now (the registry keeps no record longer than a
-- year; the day absorbs clock differences between instances): a later expiry is not ours.
local latest = now + 31622400
-- Lines are read in place, by offsets into the text: never copied one by one.
local function expiryAt(text, first, last)
  local space = string.find(text, ' ', first, true)
  if not space or space >= last then return nil end
  local stop = string.find(text, ' ', space + 1, true)
  if not stop or stop > last then stop = last + 1 end
  if stop - space < 2 or stop - space > 9 then return nil end
  -- Base-36 digits as the registry writes them: no sign or space in front, which tonumber would take.
  local digit = string.byte(text, space + 1)
  if not ((digit >= 48 and digit <= 57) or (digit >= 97 and digit <= 122)) then return nil end
  local expiry = tonumber(string.sub(text, space + 1, stop - 1), 36)
  if expiry and expiry > now and expiry <= latest then return expiry end
  return nil
end
-- Where the lines that start with a text start (one search of the whole bucket each).
local function startsOf(text, into)
  if string.sub(bucket, 1, #text) == text then into[1] = true end
  local at = string.find(bucket, '\\n' .. text, 1, true)
  while at do
    into[at + 1] = true
    at = string.find(bucket, '\\n' .. text, at + 1, true)
  end
end
-- What to remove: lines that start with a prefix, or whole lines (given with their newline,
-- which then must be the line's own).
local removing = {}
for i = 5, #ARGV do startsOf(ARGV[i], removing) end
local grouped = {}
if capped ~= '' then startsOf(capped, grouped) end
-- The kept lines, as offsets; removed ones are copied out for the reply.
local firsts, lasts, expiries, group, removed, dropped, changed = {}, {}, {}, {}, {}, {}, false
local first = 1
while first <= #bucket do
  local newline = string.find(bucket, '\\n', first, true)
  local last = (newline or #bucket + 1) - 1
  local expiry = expiryAt(bucket, first, last)
  if not expiry then
    changed = true
  elseif removing[first] then
    removed[#removed + 1] = string.sub(bucket, first, last)
    changed = true
  else
    local i = #firsts + 1
    firsts[i], lasts[i], expiries[i] = first, last, expiry
    if grouped[first] then group[#group + 1] = i end
  end
  first = last + 2
end
local addedExpiry = added ~= '' and expiryAt(added, 1, #added) or nil
if addedExpiry and capped ~= '' and string.sub(added, 1, #capped) == capped then group[#group + 1] = 0 end
if #group > cap and capped ~= '' then
  -- Drop the lines of the group that expire first (the added one is index 0).
  local function expiryOf(i) return i == 0 and addedExpiry or expiries[i] end
  local function lineOf(i) return i == 0 and added or string.sub(bucket, firsts[i], lasts[i]) end
  table.sort(group, function(a, b)
    if expiryOf(a) ~= expiryOf(b) then return expiryOf(a) < expiryOf(b) end
    return lineOf(a) < lineOf(b)
  end)
  for j = 1, #group - cap do
    dropped[#dropped + 1] = lineOf(group[j])
    if group[j] == 0 then addedExpiry = nil else expiries[group[j]] = false end
  end
  changed = true
end
if addedExpiry then changed = true end
if not changed then return { removed, dropped } end
-- Runs of kept lines are copied whole.
local pieces, longest, runFirst, runLast = {}, 0, nil, nil
for i = 1, #firsts do
  if expiries[i] then
    if expiries[i] > longest then longest = expiries[i] end
    if runFirst and firsts[i] == runLast + 2 then
      runLast = lasts[i]
    else
      if runFirst then pieces[#pieces + 1] = string.sub(bucket, runFirst, runLast) .. '\\n' end
      runFirst, runLast = firsts[i], lasts[i]
    end
  end
end
if runFirst then pieces[#pieces + 1] = string.sub(bucket, runFirst, runLast) .. '\\n' end
if addedExpiry then
  pieces[#pieces + 1] = added .. '\\n'
  if addedExpiry > longest then longest = addedExpiry end
end
if #pieces == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], table.concat(pieces), 'PXAT', string.format('%d', longest * 1000))
end
return { removed, dropped }
`;
const SHA1 = createHash('sha1').update(SOURCE).digest('hex');

export interface BucketRewrite {
  /** A line to add. */
  add?: string;
  /** Remove the lines that start with one of these, or that are one of these ending with a newline, without it. */
  remove?: readonly string[];
  /** Keep at most `max` lines that start with `prefix`, dropping those that expire first. */
  cap?: { prefix: string; max: number };
}

export interface BucketRewriteResult {
  removed: string[];
  dropped: string[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/**
 * Runs the rewrite on one bucket: EVALSHA, and EVAL when that server does not have the script
 * yet (a new server, or a replica promoted since). One key per call: in a Redis Cluster every
 * bucket is a slot of its own.
 */
export async function rewriteBucket(redis: RedisCommands, key: string, rewrite: BucketRewrite): Promise<BucketRewriteResult> {
  const options = {
    keys: [key],
    arguments: [String(Date.now() / 1000), rewrite.add ?? '', rewrite.cap?.prefix ?? '', String(rewrite.cap?.max ?? 0), ...(rewrite.remove ?? [])],
  };
  let reply: unknown;
  try {
    reply = await redis.evalSha(SHA1, options);
  } catch (error) {
    if (!(error instanceof ErrorReply && error.message.startsWith('NOSCRIPT'))) throw error;
    reply = await redis.eval(SOURCE, options);
  }
  const [removed, dropped] = Array.isArray(reply) ? (reply as unknown[]) : [];
  return { removed: strings(removed), dropped: strings(dropped) };
}
