import { describe, expect, it } from 'vitest';
import type { Revocation } from '../../lib/index.js';
import { createRedisLogoutBackend, redisKeys, type RedisLogoutBackend } from '../../lib/redis/index.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { privateRedisForSuite, quietLogger, sidRevocation } from '../support/redis-test-helpers.js';

/*
 * A new instance catching up with the shared log: pages read by a script that passes over
 * expired entries on the server (lib/redis/live-log-page.ts), the next page asked for before
 * one is applied, and XREAD when the server refuses the script.
 */

const enabled = checkRedisForSuite('Redis log catch-up tests');
const FUTURE = () => String(Date.now() + 60_000);
const PAST = () => String(Date.now() - 60_000);

describe.skipIf(!enabled)('Redis revocation log catch-up', () => {
  const suite = privateRedisForSuite();

  /** A new instance on `prefix`, its compaction held off so that the log stays as written; `user` connects as that ACL user. */
  function newInstance(prefix: string, user?: string): { backend: RedisLogoutBackend; received: string[]; lines: string[] } {
    const logger = quietLogger();
    const url = user === undefined ? suite.redis.url : `redis://${user}:secret@127.0.0.1:${suite.redis.port}`;
    const backend = createRedisLogoutBackend({ url, keyPrefix: prefix, logger });
    suite.open.push(backend);
    const received: string[] = [];
    backend.revocationBus.subscribe((list) => received.push(...list.map((r) => (r.type === 'sid' ? r.sid : r.type))));
    return { backend, received, lines: logger.lines };
  }

  async function holdCompaction(prefix: string): Promise<void> {
    await suite.admin.set(redisKeys(prefix).compaction, 'test', { PX: 60_000 });
  }

  /** Appends entries of one revocation each, in order, in one round trip; resolves their ids. */
  async function append(stream: string, revocations: Array<{ revocation: Revocation; expired?: boolean }>): Promise<string[]> {
    return Promise.all(
      revocations.map(({ revocation, expired }) =>
        suite.admin.xAdd(stream, '*', { r: JSON.stringify([revocation]), x: expired ? PAST() : String(revocation.expiresAt) }),
      ),
    );
  }

  it('reads pages with the script while they are mostly expired, with XREAD while they are mostly live, and only live entries reach the client', async () => {
    const prefix = 'mixed:';
    const { stream } = redisKeys(prefix);
    const expected: string[] = [];
    const entries: Array<{ revocation: Revocation; expired?: boolean }> = [];
    const add = (sid: string, expired: boolean) => {
      entries.push({ revocation: sidRevocation(sid), expired });
      if (!expired) expected.push(sid);
    };
    // A script page of live entries only: XREAD reads on, its page (5,000) all expired: the script again,
    // a full page of expired entries, then 1,500 of which every tenth is live.
    for (let i = 0; i < 1_000; i += 1) add(`live-${i}`, false);
    for (let i = 0; i < 5_000; i += 1) add(`gone-${i}`, true);
    for (let i = 0; i < 1_000; i += 1) add(`gone-too-${i}`, true);
    for (let i = 0; i < 1_500; i += 1) add(`mixed-${i}`, i % 10 !== 0);
    const ids = await append(stream, entries);
    await holdCompaction(prefix);
    await suite.admin.configResetStat();

    const { backend, received, lines } = newInstance(prefix);
    const starting = backend.revocationBus.start();
    expect(backend.health()).toMatchObject({ status: 'down', stale: true });
    await starting;

    expect(received).toEqual(expected);
    expect(backend.health()).toMatchObject({ status: 'up', state: 'fresh', lastEntryId: ids.at(-1) });
    expect(lines.filter((line) => line.startsWith('warn'))).toEqual([]);
    // Script pages: the live one, the expired one, the mixed ones (1,000 + 500); XREAD read the 5,000 between.
    expect(/cmdstat_eval:calls=(\d+)/.exec(await suite.admin.info('commandstats'))?.[1]).toBe('4');
  });

  it.each([
    ['the script', undefined],
    ['XREAD, when the server refuses the script (an ACL user without @scripting)', 'no-scripts'],
  ])('skips and reports the entries a shared store corrupted, reading %s', async (_, user) => {
    if (user) await suite.admin.sendCommand(['ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-@scripting']);
    const prefix = `corrupt-${user ?? 'script'}:`;
    const { stream } = redisKeys(prefix);
    const batch = (...sids: string[]) => JSON.stringify(sids.map((sid) => sidRevocation(sid)));
    const ids = [
      await suite.admin.xAdd(stream, '*', { r: batch('before'), x: FUTURE() }),
      await suite.admin.xAdd(stream, '*', { x: FUTURE(), payload: 'not ours' }),
      await suite.admin.xAdd(stream, '*', { r: '[{"type":"sid"', x: FUTURE() }),
      await suite.admin.xAdd(stream, '*', { r: JSON.stringify(sidRevocation('an object')), x: FUTURE() }),
      // Of a batch, its valid revocations count.
      await suite.admin.xAdd(stream, '*', { r: JSON.stringify([sidRevocation('valid of three'), { type: 'sid' }, 42]), x: FUTURE() }),
      // Without a readable expiry, an entry is read (and its revocations expire on their own).
      await suite.admin.xAdd(stream, '*', { r: batch('without x') }),
      await suite.admin.xAdd(stream, '*', { r: batch('x not a number'), x: 'nan' }),
      // The entry's x rules: it says expired, so it is passed over.
      await suite.admin.xAdd(stream, '*', { r: batch('x says expired'), x: PAST() }),
      // A field given twice: the last one counts.
      await suite.admin.sendCommand<string>(['XADD', stream, '*', 'x', PAST(), 'r', batch('x given twice'), 'x', FUTURE()]),
      await suite.admin.xAdd(stream, '*', { r: batch('after'), x: FUTURE() }),
    ];
    await holdCompaction(prefix);

    const { backend, received, lines } = newInstance(prefix, user);
    await backend.revocationBus.start();

    expect(received).toEqual(['before', 'valid of three', 'without x', 'x not a number', 'x given twice', 'after']);
    expect(backend.health()).toMatchObject({ status: 'up', state: 'fresh', lastEntryId: ids.at(-1) });
    const warnings = lines.filter((line) => line.startsWith('warn'));
    const skipped = [1, 2, 3].map((i) => `warn skipped log entry ${ids[i]}: not a revocation batch`);
    if (user === undefined) expect(warnings).toEqual(skipped);
    else {
      expect(warnings).toEqual([expect.stringMatching(/^warn Redis refused the catch-up script \(NOPERM .*\): catching up with XREAD/), ...skipped]);
    }
  });

  it.each([
    ['script pages, a tenth of each live', 10, 'interrupted:'],
    ['XREAD pages, every entry live', 1, 'interrupted-live:'],
  ])('after losing its connection in the middle of a catch-up (%s), resumes after the last page applied: each live revocation once, in log order', async (_, liveEvery, prefix) => {
    const { stream } = redisKeys(prefix);
    // Fifty script pages or ten XREAD pages, each asked for before the previous one is applied.
    const total = 50_000;
    const expected: string[] = [];
    for (let start = 0; start < total; start += 5_000) {
      const entries = Array.from({ length: 5_000 }, (_, i) => ({ revocation: sidRevocation(`c-${start + i}`), expired: i % liveEvery !== 0 }));
      for (const { revocation, expired } of entries) if (!expired && revocation.type === 'sid') expected.push(revocation.sid);
      await append(stream, entries);
    }
    await holdCompaction(prefix);

    const { backend, received, lines } = newInstance(prefix);
    let kill: Promise<unknown> | undefined;
    backend.revocationBus.subscribe(() => {
      // At the first page applied, with the next one asked for: every connection but the admin's goes.
      kill ??= suite.admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    });
    await backend.revocationBus.start();
    await kill;

    expect(received).toEqual(expected);
    expect(backend.health()).toMatchObject({ status: 'up', lastEntryId: (await suite.admin.xRevRange(stream, '+', '-', { COUNT: 1 }))[0]!.id });
    // It was cut off in the middle, not at the end.
    const resumed = lines.find((line) => line.startsWith('log reconnected to Redis; catching up after log entry '));
    expect(resumed).toBeDefined();
    expect(resumed).not.toContain(backend.health().lastEntryId);
  });
});
