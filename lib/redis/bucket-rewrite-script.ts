import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisCommands } from './redis-link.js';

/**
 * The one write of the session registry: rewrites a bucket (KEYS[1], a string of lines `<name>
 * <expiry> …\n`, the expiry in epoch seconds, base 36, see registry-line-codec.ts) atomically.
 * ARGV: now (epoch seconds), a line to add (empty: none), the prefix of the lines the cap counts
 * (empty: none), the cap, then what to remove: the lines that, their newline included, start with
 * one of the remaining arguments (a name and its space, or a whole line and its newline).
 * Expired and unreadable lines are dropped; when more lines than the cap start with its prefix,
 * those expiring first are dropped. The bucket then expires with its longest-lived line, or is
 * deleted when none is left; it is not written when nothing changed.
 * Replies { removed lines, lines the cap dropped }.
 */
const SOURCE = `
local now, added, capped, cap = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local function expiryOf(line) return tonumber(string.match(line, '^%S+ (%w+)') or '', 36) end
local function isRemoved(line)
  local ended = line .. '\\n'
  for i = 5, #ARGV do
    if string.sub(ended, 1, #ARGV[i]) == ARGV[i] then return true end
  end
  return false
end
local lines, expiries, removed, dropped, changed = {}, {}, {}, {}, false
for line in string.gmatch(redis.call('GET', KEYS[1]) or '', '[^\\n]+') do
  local expiry = expiryOf(line)
  if not expiry or expiry <= now then
    changed = true
  elseif isRemoved(line) then
    removed[#removed + 1] = line
    changed = true
  else
    lines[#lines + 1] = line
    expiries[#lines] = expiry
  end
end
if added ~= '' and expiryOf(added) then
  lines[#lines + 1] = added
  expiries[#lines] = expiryOf(added)
  changed = true
end
if capped ~= '' then
  local group = {}
  for i, line in ipairs(lines) do
    if string.sub(line, 1, #capped) == capped then group[#group + 1] = i end
  end
  if #group > cap then
    table.sort(group, function(a, b)
      if expiries[a] ~= expiries[b] then return expiries[a] < expiries[b] end
      return lines[a] < lines[b]
    end)
    for j = 1, #group - cap do
      dropped[#dropped + 1] = lines[group[j]]
      expiries[group[j]] = false
    end
    changed = true
  end
end
if not changed then return { removed, dropped } end
local kept, longest = {}, 0
for i, line in ipairs(lines) do
  if expiries[i] then
    kept[#kept + 1] = line
    if expiries[i] > longest then longest = expiries[i] end
  end
end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], table.concat(kept, '\\n') .. '\\n', 'PXAT', string.format('%d', longest * 1000))
end
return { removed, dropped }
`;
const SHA1 = createHash('sha1').update(SOURCE).digest('hex');

export interface BucketRewrite {
  /** A line to add. */
  add?: string;
  /** Remove the lines that, newline included, start with one of these. */
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
