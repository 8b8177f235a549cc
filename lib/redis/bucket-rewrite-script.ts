import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisCommands } from './redis-link.js';

/**
 * The one write of the session registry: rewrites a bucket (KEYS[1], a string of lines `<name>
 * <expiry> …\n`, the expiry in epoch seconds, base 36, see registry-line-codec.ts) atomically.
 * ARGV: now (epoch seconds), a line to add (empty: none), the prefix of the lines the cap counts
 * (empty: none), the cap, then what to remove: the lines that start with one of the remaining
 * arguments (a name and its space), or are one of them without its final newline (a whole line).
 *
 * A bucket keeps its lines in order of expiry, and expires with its last line: the expired lines
 * are the first ones, and a line that expires last (every login of the module lives
 * `sessionTtl`) is appended. So a write usually reads no line but the first and the ones it
 * names, found by a search of the whole string (C, not Lua, per line). A line that expires before
 * the bucket, or a bucket out of order (no expiry, no final newline: not written here), has the
 * bucket rewritten line by line: unreadable lines dropped, the rest sorted.
 * When more lines than the cap start with its prefix, those expiring first (the first ones) are
 * dropped. An expiry more than a year and a day ahead is unreadable, so the bucket's own stays
 * bounded. An empty bucket is deleted; one where nothing changed is not written.
 * Replies { removed lines, lines the cap dropped }.
 */
const SOURCE = `
local now, added, capped, cap = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = KEYS[1]
local bucket = redis.call('GET', key) or ''
-- No line lives more than a year and a day from now (the registry keeps no record longer than a
-- year; the day absorbs clock differences between instances): a later expiry is not ours.
local latest = now + 31622400
-- Lines are read in place, by offsets into the text, and copied only when they leave it.
local function lastOf(text, first) return (string.find(text, '\\n', first, true) or #text + 1) - 1 end
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
  if expiry and expiry <= latest then return expiry end
  return nil
end
-- Where the lines that start with a text start, in order (one search of the whole text).
local function startsOf(text, prefix)
  local starts = {}
  if string.sub(text, 1, #prefix) == prefix then starts[1] = 1 end
  local at = string.find(text, '\\n' .. prefix, 1, true)
  while at do
    starts[#starts + 1] = at + 1
    at = string.find(text, '\\n' .. prefix, at + 1, true)
  end
  return starts
end
-- The lines to remove: those starting with one of the arguments.
local function removals(text)
  local starts = {}
  for i = 5, #ARGV do
    for _, first in ipairs(startsOf(text, ARGV[i])) do starts[#starts + 1] = first end
  end
  return starts
end
-- The text without the lines starting at starts (text ends with a newline), the lines cut, and
-- whether its last line was cut.
local function cut(text, starts)
  table.sort(starts)
  local pieces, lines, from = {}, {}, 1
  for _, first in ipairs(starts) do
    if first >= from then
      local last = lastOf(text, first)
      pieces[#pieces + 1] = string.sub(text, from, first - 1)
      lines[#lines + 1] = string.sub(text, first, last)
      from = last + 2
    end
  end
  pieces[#pieces + 1] = string.sub(text, from)
  return table.concat(pieces), lines, from > #text
end
-- The expiry of the last line of an ordered text (the longest-lived).
local function lastExpiry(text)
  local first, at = 1, string.find(text, '\\n', 1, true)
  while at and at < #text do
    first = at + 1
    at = string.find(text, '\\n', first, true)
  end
  return expiryAt(text, first, lastOf(text, first)) or latest
end

local addedExpiry = added ~= '' and expiryAt(added, 1, #added) or nil
if addedExpiry and addedExpiry <= now then addedExpiry = nil end
local expireTime = tonumber(redis.call('PEXPIRETIME', key))
local inOrder = #bucket == 0 or (expireTime > 0 and string.sub(bucket, -1) == '\\n')
if addedExpiry and inOrder and #bucket > 0 and addedExpiry * 1000 < expireTime then inOrder = false end
local changed, removed, dropped, longest = addedExpiry ~= nil, {}, {}, nil
if inOrder then
  -- The expired (or unreadable) lines are the first ones.
  local first = 1
  while first <= #bucket do
    local last = lastOf(bucket, first)
    local expiry = expiryAt(bucket, first, last)
    if expiry and expiry > now then break end
    first = last + 2
  end
  if first > 1 then
    bucket = string.sub(bucket, first)
    changed = true
  end
  local starts, tailCut = removals(bucket), false
  if #starts > 0 then
    bucket, removed, tailCut = cut(bucket, starts)
    changed = true
  end
  if addedExpiry then bucket = bucket .. added .. '\\n' end
  if tailCut and not addedExpiry then
    longest = #bucket > 0 and lastExpiry(bucket) or nil
  else
    longest = math.max(expireTime / 1000, addedExpiry or 0)
  end
else
  -- Line by line: readable live lines, not removed, sorted by expiry (then by place).
  local removing, lines = {}, {}
  for _, first in ipairs(removals(bucket)) do removing[first] = true end
  local first = 1
  while first <= #bucket do
    local last = lastOf(bucket, first)
    local expiry = expiryAt(bucket, first, last)
    if expiry and expiry > now then
      if removing[first] then
        removed[#removed + 1] = string.sub(bucket, first, last)
      else
        lines[#lines + 1] = { expiry, first, string.sub(bucket, first, last) }
      end
    end
    first = last + 2
  end
  if addedExpiry then lines[#lines + 1] = { addedExpiry, #bucket + 1, added } end
  table.sort(lines, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local texts = {}
  for i, line in ipairs(lines) do texts[i] = line[3] end
  bucket = #texts > 0 and table.concat(texts, '\\n') .. '\\n' or ''
  longest = #lines > 0 and lines[#lines][1] or nil
  changed = true
end
if capped ~= '' then
  local starts = startsOf(bucket, capped)
  if #starts > cap then
    local first = {}
    for j = 1, #starts - cap do first[j] = starts[j] end
    local tailCut
    bucket, dropped, tailCut = cut(bucket, first)
    if tailCut then longest = #bucket > 0 and lastExpiry(bucket) or nil end
    changed = true
  end
end
if not changed then return { removed, dropped } end
if #bucket == 0 then
  redis.call('DEL', key)
else
  redis.call('SET', key, bucket, 'PXAT', string.format('%d', longest * 1000))
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
 * yet (a new server, or a replica promoted since). One key per call, so that it runs on a Redis
 * Cluster too, on the shard of that key's slot.
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
