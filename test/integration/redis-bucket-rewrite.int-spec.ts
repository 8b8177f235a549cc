import { createClient, type RedisClientType } from 'redis';
import { beforeEach, describe, expect, it } from 'vitest';
import { rewriteBucket } from '../../lib/redis/bucket-rewrite-script.js';
import type { RedisCommands } from '../../lib/redis/redis-link.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { privateRedisForSuite } from '../support/redis-test-helpers.js';

/* The Lua script that every write of the session registry is: one bucket, rewritten atomically. */

const enabled = checkRedisForSuite('registry bucket script tests');

/** Each test reads the clock once, so that two expiries it compares never straddle a second's boundary. */
let testStart = 0;
const inSeconds = (seconds: number) => testStart + seconds;
/** A line the script can read: a name, then its expiry (epoch seconds, base 36). */
const line = (name: string, expiry: number, rest = 'x') => `${name} ${expiry.toString(36)} ${rest}`;

describe.skipIf(!enabled)('registry bucket rewrite script', () => {
  const suite = privateRedisForSuite();
  let keys = 0;
  const redis = () => suite.admin as unknown as RedisCommands;
  const newKey = () => `bucket:${++keys}`;
  const linesOf = async (key: string) => ((await suite.admin.get(key)) ?? '').split('\n').filter(Boolean);
  beforeEach(() => {
    testStart = Math.floor(Date.now() / 1000);
  });

  it('adds a line, replacing the lines it is told to remove, and replies with them', async () => {
    const key = newKey();
    const first = line('a1', inSeconds(600), 'first');
    expect(await rewriteBucket(redis(), key, { add: first, remove: ['a1 '] })).toEqual({ removed: [], dropped: [] });
    await rewriteBucket(redis(), key, { add: line('a10', inSeconds(600)) });
    const second = line('a1', inSeconds(700), 'second');
    // 'a1 ' is a name and its space: a1's line goes, a10's stays.
    expect(await rewriteBucket(redis(), key, { add: second, remove: ['a1 '] })).toEqual({ removed: [first], dropped: [] });
    expect(await linesOf(key)).toEqual([line('a10', inSeconds(600)), second]);
    expect(await suite.admin.get(key)).toMatch(/\n$/);
  });

  it('removes a whole line only when it is still that line (newline included)', async () => {
    const key = newKey();
    const old = line('i1', inSeconds(600));
    await rewriteBucket(redis(), key, { add: old });
    expect((await rewriteBucket(redis(), key, { remove: [`${line('i1', inSeconds(601))}\n`] })).removed).toEqual([]);
    expect((await rewriteBucket(redis(), key, { remove: [old.slice(0, -1) + '\n'] })).removed).toEqual([]);
    expect((await rewriteBucket(redis(), key, { remove: [`${old}\n`] })).removed).toEqual([old]);
    // Nothing left: the bucket is deleted.
    expect(await suite.admin.exists(key)).toBe(0);
  });

  it('rewrites a bucket it did not write line by line: expired and unreadable lines dropped, the others in order of expiry', async () => {
    const key = newKey();
    await suite.admin.set(key, [line('a1', inSeconds(-1)), line('a2', inSeconds(900)), 'no-expiry', 'a3 !!', 'a4 -5 x', '', line('a5', inSeconds(300))].join('\n'));
    await rewriteBucket(redis(), key, {});
    expect(await linesOf(key)).toEqual([line('a5', inSeconds(300)), line('a2', inSeconds(900))]);
    expect(await suite.admin.pExpireTime(key)).toBe(inSeconds(900) * 1000);
  });

  it('keeps lines in order of expiry, the bucket expiring with the last one, whatever order they come in and leave', async () => {
    const key = newKey();
    const now = testStart;
    const lines = Object.fromEntries(([['a1', 300], ['a2', 900], ['a3', 60], ['a4', 900], ['a5', 600]] as const).map(([name, life]) => [name, line(name, now + life)]));
    for (const added of Object.values(lines)) await rewriteBucket(redis(), key, { add: added });
    expect(await linesOf(key)).toEqual([lines.a3, lines.a1, lines.a5, lines.a2, lines.a4]);
    expect(await suite.admin.pExpireTime(key)).toBe((now + 900) * 1000);
    // Removing the last lines shortens the bucket's life to the new last one's; removing others does not.
    await rewriteBucket(redis(), key, { remove: ['a4 ', 'a2 '] });
    expect(await suite.admin.pExpireTime(key)).toBe((now + 600) * 1000);
    await rewriteBucket(redis(), key, { remove: ['a3 '] });
    expect(await suite.admin.pExpireTime(key)).toBe((now + 600) * 1000);
    expect(await linesOf(key)).toEqual([lines.a1, lines.a5]);
  });

  it('drops the expired lines at the front of a bucket it keeps in order', async () => {
    const key = newKey();
    const [brief, lasting] = [line('a1', inSeconds(2)), line('a2', inSeconds(600))];
    await rewriteBucket(redis(), key, { add: brief });
    await rewriteBucket(redis(), key, { add: lasting });
    // Until the second after the brief line's last one has begun.
    await new Promise((resolve) => setTimeout(resolve, inSeconds(3) * 1000 - Date.now()));
    const later = line('a3', inSeconds(700));
    await rewriteBucket(redis(), key, { add: later });
    expect(await linesOf(key)).toEqual([lasting, later]);
  });

  it('takes no expiry beyond a year and a day, nor a signed one, so that no line keeps a bucket alive for long', async () => {
    const key = newKey();
    const ours = line('a1', inSeconds(31_536_000));
    const farOff = [line('a2', inSeconds(2 * 31_536_000)), 'a3 zzzzzzzzz x', 'a4 zzzzzzzzzzzzzzzzzzzz x', `a5 +${inSeconds(600).toString(36)} x`, `a6 -1 x`, 'a7 1.5 x'];
    await suite.admin.set(key, [ours, ...farOff].join('\n'));
    await rewriteBucket(redis(), key, {});
    expect(await linesOf(key)).toEqual([ours]);
    expect(await suite.admin.pExpireTime(key)).toBe(inSeconds(31_536_000) * 1000);
  });

  it('does not write a bucket when nothing changes (no replication, no new expiry)', async () => {
    const key = newKey();
    await rewriteBucket(redis(), key, { add: line('a1', inSeconds(600)) });
    await suite.admin.pExpire(key, 5_000_000);
    await rewriteBucket(redis(), key, { remove: ['b '] });
    expect(await suite.admin.pTTL(key)).toBeGreaterThan(4_000_000);
    const absent = newKey();
    await rewriteBucket(redis(), absent, { remove: ['b '] });
    expect(await suite.admin.exists(absent)).toBe(0);
  });

  it('keeps at most the cap of the lines starting with a prefix, dropping those that expire first, and replies with them', async () => {
    const key = newKey();
    // Names against the order of expiry: a tie broken by name would drop the wrong ones.
    for (const [name, life] of [['iUz', 500], ['iUy', 400], ['iUx', 300], ['iV1', 100]] as const) await rewriteBucket(redis(), key, { add: line(name, inSeconds(life)) });
    const reply = await rewriteBucket(redis(), key, { add: line('iUw', inSeconds(600)), cap: { prefix: 'iU', max: 2 } });
    expect(reply).toEqual({ removed: [], dropped: [line('iUx', inSeconds(300)), line('iUy', inSeconds(400))] });
    expect((await linesOf(key)).sort()).toEqual([line('iUw', inSeconds(600)), line('iUz', inSeconds(500)), line('iV1', inSeconds(100))].sort());
    // The line being added is dropped too when it expires first.
    expect((await rewriteBucket(redis(), key, { add: line('iUv', inSeconds(200)), cap: { prefix: 'iU', max: 2 } })).dropped).toEqual([line('iUv', inSeconds(200))]);
  });

  it('keeps every line when many clients rewrite one bucket at once', async () => {
    const key = newKey();
    const clients = await Promise.all(
      [1, 2, 3].map(async () => {
        const client: RedisClientType = createClient({ url: suite.redis.url });
        await client.connect();
        return client;
      }),
    );
    try {
      await Promise.all(Array.from({ length: 90 }, (_, i) => rewriteBucket(clients[i % 3] as unknown as RedisCommands, key, { add: line(`a${i}`, inSeconds(600)) })));
      expect(await linesOf(key)).toHaveLength(90);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('fails, rather than misses, on a key that is not a string', async () => {
    const key = newKey();
    await suite.admin.hSet(key, 'f', 'v');
    await expect(rewriteBucket(redis(), key, { add: line('a1', inSeconds(60)) })).rejects.toThrow(/WRONGTYPE/);
  });
});
