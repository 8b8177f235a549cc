import { describe, expect, it } from 'vitest';
import type { Revocation } from '../../lib/index.js';
import { createRedisLogoutBackend, redisKeys } from '../../lib/redis/index.js';
import { RevocationLogCompactor } from '../../lib/redis/revocation-log-compactor.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { privateRedisForSuite, quietLogger, sidRevocation } from '../support/redis-test-helpers.js';
import { waitFor } from '../support/wait-for.js';

/* Compacting the shared revocation log: a snapshot of the live revocations replaces the history. */

const enabled = checkRedisForSuite('Redis log compaction tests');
const HOUR_MS = 3_600_000;

describe.skipIf(!enabled)('Redis revocation log compaction', () => {
  const suite = privateRedisForSuite();
  const { open } = suite;

  const entry = (revocations: Revocation[]) => ({
    r: JSON.stringify(revocations),
    x: String(Math.max(...revocations.map((revocation) => revocation.expiresAt))),
  });

  /** `live` sids published `copies` times each (as failovers re-publish them), between as many expired entries, behind a day-long head. */
  async function writeHistory(stream: string, live: string[], copies: number): Promise<void> {
    await suite.admin.xAdd(stream, '*', entry([sidRevocation('day-long', 24 * HOUR_MS)]));
    const expired = { ...sidRevocation('gone'), expiresAt: Date.now() - 1 };
    for (let copy = 0; copy < copies; copy += 1) {
      const multi = suite.admin.multi();
      for (const sid of live) multi.xAdd(stream, '*', entry([sidRevocation(sid, HOUR_MS)])).xAdd(stream, '*', entry([expired]));
      await multi.exec();
    }
  }

  async function sidsInLog(stream: string): Promise<string[]> {
    const entries = await suite.admin.xRange(stream, '-', '+');
    return entries.flatMap((e) => (JSON.parse(e.message.r!) as Array<{ sid: string }>).map((revocation) => revocation.sid));
  }

  it('replaces a history the trimmer cannot shorten by one snapshot of the live revocations, which is all a new instance reads', async () => {
    const keys = redisKeys('compact:');
    const live = Array.from({ length: 40 }, (_, i) => `live-${i}`);
    await writeHistory(keys.stream, live, 30);
    expect(await suite.admin.xLen(keys.stream)).toBe(1 + 40 * 30 * 2);

    const logger = quietLogger();
    const compacting = createRedisLogoutBackend({ url: suite.redis.url, keyPrefix: 'compact:', trimInterval: 1_000, logger });
    open.push(compacting);
    await compacting.revocationBus.start();
    await waitFor(async () => (await suite.admin.xLen(keys.stream)) <= 2, 'the log compacted', 10_000, 50);
    // One of each live revocation, the day-long one included; nothing expired, no duplicate.
    expect((await sidsInLog(keys.stream)).sort()).toEqual(['day-long', ...live].sort());
    expect(logger.lines).toContainEqual(expect.stringMatching(/^log compacted the revocation log: 41 live revocation\(s\) re-written, \d+ older entries removed/));

    const late = createRedisLogoutBackend({ url: suite.redis.url, keyPrefix: 'compact:', logger: quietLogger() });
    open.push(late);
    const received: string[] = [];
    late.revocationBus.subscribe((list) => received.push(...list.map((r) => (r.type === 'sid' ? r.sid : r.type))));
    await late.revocationBus.start();
    expect(received.sort()).toEqual(['day-long', ...live].sort());
  });

  it('leaves a log alone while it is small, and lets one instance at a time compact', async () => {
    const keys = redisKeys('compact-lock:');
    const live = Array.from({ length: 100 }, (_, i) => sidRevocation(`lock-${i}`, HOUR_MS));
    await writeHistory(keys.stream, live.map((r) => (r.type === 'sid' ? r.sid : '')), 4);
    const [last] = await suite.admin.xRevRange(keys.stream, '+', '-', { COUNT: 1 });
    const first = new RevocationLogCompactor(keys, 60_000);
    const second = new RevocationLogCompactor(keys, 60_000);

    // 801 entries: below the 1000 that make compacting worth it.
    expect(await first.compact(suite.admin, last!.id, live)).toBeUndefined();
    expect(first.due()).toBe(false);
    await writeHistory(keys.stream, live.map((r) => (r.type === 'sid' ? r.sid : '')), 1);
    const [newest] = await suite.admin.xRevRange(keys.stream, '+', '-', { COUNT: 1 });

    const results = await Promise.all([first.compact(suite.admin, newest!.id, live, Date.now() + 60_000), second.compact(suite.admin, newest!.id, live)]);
    expect(results.filter((result) => result !== undefined)).toEqual([{ snapshot: 100, removed: 1002 }]);
    expect(await suite.admin.xLen(keys.stream)).toBe(1);
    expect(await suite.admin.pTTL(keys.compaction)).toBeGreaterThan(0);
  });

  it('compacts a large log beside the reader: the view stays fresh meanwhile, and the compacting instance does not read its own snapshot back', async () => {
    const keys = redisKeys('compact-large:');
    const count = 200_000;
    for (let start = 0; start < count; start += 10_000) {
      const multi = suite.admin.multi();
      for (let i = start; i < start + 10_000; i += 1) multi.xAdd(keys.stream, '*', entry([sidRevocation(`large-${i}`, HOUR_MS)]));
      await multi.exec();
    }
    const logger = quietLogger();
    const instance = createRedisLogoutBackend({ url: suite.redis.url, keyPrefix: 'compact-large:', maxStaleness: 1_000, logger });
    open.push(instance);
    let received = 0;
    instance.revocationBus.subscribe((list) => void (received += list.length));
    await instance.revocationBus.start();
    expect(received).toBe(count);
    // Polled until the log is compacted (800 snapshot entries of 250): never stale in between.
    const staleAt: number[] = [];
    const started = Date.now();
    const watch = setInterval(() => {
      if (instance.revocationBus.health().stale) staleAt.push(Date.now() - started);
    }, 10);
    try {
      await waitFor(async () => (await suite.admin.xLen(keys.stream)) <= count / 250, 'the log compacted', 60_000, 50);
      // A read or two after the snapshot was written: it is passed over here.
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      clearInterval(watch);
    }
    expect(staleAt).toEqual([]);
    expect(logger.lines).toContainEqual(expect.stringMatching(/^log compacted the revocation log: 200000 live revocation\(s\) re-written/));
    expect(received).toBe(count);
    expect(logger.lines.filter((line) => !line.startsWith('log '))).toEqual([]);
  });
});
