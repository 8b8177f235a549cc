import { describe, expect, it } from 'vitest';
import type { Revocation } from '../../lib/index.js';
import { createRedisLogoutBackend, type RedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { RevocationLogTrimmer } from '../../lib/redis/revocation-log-trimmer.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { privateRedisForSuite, quietLogger, sidRevocation } from '../support/redis-test-helpers.js';
import { waitFor } from '../support/wait-for.js';

/* Trimming the shared revocation log when an entry claims an absurd expiry. */

const enabled = checkRedisForSuite('Redis log trimming tests');
const YEAR_3000 = Date.UTC(3000, 0, 1);
const DAY_MS = 86_400_000;

describe.skipIf(!enabled)('Redis revocation log trimming', () => {
  const suite = privateRedisForSuite();

  function backend(options: Partial<RedisLogoutBackendOptions>): RedisLogoutBackend {
    const created = createRedisLogoutBackend({ url: suite.redis.url, logger: quietLogger(), ...options });
    suite.open.push(created);
    return created;
  }

  /** An entry as a misbehaving instance (or a hand) writes it: a valid revocation that claims to live until year 3000. */
  async function addAbsurdEntry(stream: string, sid: string, id = '*'): Promise<void> {
    const revocation: Revocation = { ...sidRevocation(sid), expiresAt: YEAR_3000 };
    await suite.admin.xAdd(stream, id, { r: JSON.stringify([revocation]), x: String(YEAR_3000) });
  }

  async function sidsOf(stream: string): Promise<string[]> {
    const entries = await suite.admin.xRange(stream, '-', '+');
    return entries.map((entry) => (JSON.parse(entry.message.r!) as Array<{ sid: string }>)[0]!.sid);
  }

  it('removes expired entries queued behind an entry that claims to expire in year 3000, keeping the live ones', async () => {
    const stream = 'trim-absurd:revocations';
    await addAbsurdEntry(stream, 'absurd');
    const bus = backend({ keyPrefix: 'trim-absurd:', trimInterval: 1_000 });
    await bus.revocationBus.start();
    // More than one trim page (200 entries) of short-lived revocations, with a live one among them.
    for (let i = 0; i < 250; i += 1) {
      await bus.revocationBus.publish([sidRevocation(`brief-${i}`, 300)]);
      if (i === 120) await bus.revocationBus.publish([sidRevocation('lasting', 120_000)]);
    }
    expect(await suite.admin.xLen(stream)).toBe(252);

    await waitFor(async () => (await suite.admin.xLen(stream)) === 2, 'expired entries behind the year-3000 entry removed', 10_000);
    expect(await sidsOf(stream)).toEqual(['absurd', 'lasting']);

    // The live revocations still reach an instance that starts now.
    const late = backend({ keyPrefix: 'trim-absurd:' });
    const received: string[] = [];
    late.revocationBus.subscribe((list) => received.push(...list.map((r) => (r.type === 'sid' ? r.sid : r.type))));
    await late.revocationBus.start();
    expect(received.sort()).toEqual(['absurd', 'lasting']);
  });

  it('drops an entry a year and a day after Redis stamped it, whatever expiry it claims', async () => {
    const stream = 'trim-stamped:revocations';
    // Stream ids are Redis' clock at XADD: this entry was written a year and two days ago.
    await addAbsurdEntry(stream, 'ancient', `${Date.now() - 367 * DAY_MS}-0`);
    const bus = backend({ keyPrefix: 'trim-stamped:', trimInterval: 1_000 });
    await bus.revocationBus.start();
    await bus.revocationBus.publish([sidRevocation('brief', 300)]);
    await bus.revocationBus.publish([sidRevocation('lasting', 120_000)]);

    await waitFor(async () => (await suite.admin.xLen(stream)) === 1, 'the year-old entry and the expired one trimmed', 10_000);
    expect(await sidsOf(stream)).toEqual(['lasting']);
  });
  it('bounds the work of one trim round and resumes where it stopped, until the whole log is swept', async () => {
    const stream = 'trim-rounds:revocations';
    await addAbsurdEntry(stream, 'absurd');
    const expired = JSON.stringify([{ ...sidRevocation('gone'), expiresAt: Date.now() - 1 }]);
    // More expired entries than one round examines (50 pages of 200), then a live one.
    for (let i = 0; i < 12_000; i += 2_000) {
      const multi = suite.admin.multi();
      for (let j = 0; j < 2_000; j += 1) multi.xAdd(stream, '*', { r: expired, x: String(Date.now() - 1) });
      await multi.exec();
    }
    await suite.admin.xAdd(stream, '*', { r: JSON.stringify([sidRevocation('lasting')]), x: String(Date.now() + 120_000) });
    const trimmer = new RevocationLogTrimmer(() => suite.admin, stream);

    const first = await trimmer.round();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(12_000);
    expect(await trimmer.round()).toBe(12_000 - first);
    expect(await sidsOf(stream)).toEqual(['absurd', 'lasting']);
    // The next round starts again from the head, and has nothing left to do.
    expect(await trimmer.round()).toBe(0);
  });
});
