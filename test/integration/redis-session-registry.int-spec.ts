import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../lib/index.js';
import { createRedisLogoutBackend, type RedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import { indexMembers, privateRedisForSuite, quietLogger } from '../support/redis-test-helpers.js';
import { waitFor } from '../support/wait-for.js';

/* The Redis session registry's indexes: bounded per user, pruned of expired members, O(1) to write. */

const enabled = checkRedisForSuite('Redis session registry tests');

const nowSeconds = () => Math.floor(Date.now() / 1000);

function session(fields: Partial<SessionRecord> & Pick<SessionRecord, 'sub'>): SessionRecord {
  return { clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600, ...fields };
}

/** The quoted arguments of a MONITOR line: `<time> [<db> <addr>] "CMD" "arg" ...`. */
function monitorArgs(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
}

describe.skipIf(!enabled)('Redis session registry indexes', () => {
  const suite = privateRedisForSuite();

  function backend(options: Partial<RedisLogoutBackendOptions>): RedisLogoutBackend {
    const created = createRedisLogoutBackend({ url: suite.redis.url, logger: quietLogger(), ...options });
    suite.open.push(created);
    return created;
  }

  it('keeps the maxSessionsPerUser newest sessions of a user: older ones leave the registry, findable by nothing', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'cap:', maxSessionsPerUser: 3 });
    // Five logins a second apart (the module's login sets expiresAt = login time + sessionTtl). The
    // names run against the order of the logins, so a tie broken by name would keep the wrong ones.
    const logins = ['e', 'd', 'c', 'b', 'a'].map((name, i) =>
      session({ sub: 'capped', adapterSessionId: `cap-${name}`, sid: `sid-${name}`, issuedAt: nowSeconds() - 4 + i, expiresAt: nowSeconds() + 596 + i }),
    );
    for (const login of logins) await registry.register(login);

    const newest = logins.slice(2);
    expect((await registry.findBySubject('capped')).map((r) => r.adapterSessionId).sort()).toEqual(['cap-a', 'cap-b', 'cap-c']);
    for (const login of newest) expect(await registry.findBySid(login.sid!)).toEqual([login]);
    for (const dropped of logins.slice(0, 2)) {
      expect(await registry.findBySid(dropped.sid!)).toEqual([]);
      expect(await registry.findByAdapterSessionId(dropped.adapterSessionId!)).toBeUndefined();
    }
    expect(await suite.admin.exists(['cap:record:a:cap-e', 'cap:record:a:cap-d'])).toBe(0);
    expect(await indexMembers(suite.admin, 'cap:sub-index:capped')).toHaveLength(3);
  });

  it('prunes expired members from the sid and sub indexes when a session is registered, before any lookup', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'prune:' });
    await registry.register(session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'brief', expiresAt: nowSeconds() + 1 }));
    await registry.register(session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'lasting-1' }));
    await waitFor(async () => (await suite.admin.exists('prune:record:a:brief')) === 0, 'the brief record expired', 3_000);

    await registry.register(session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'lasting-2' }));
    // No findBy* ran: the registration itself dropped the expired member from both indexes.
    expect(await indexMembers(suite.admin, 'prune:sid-index:shared-sid')).toEqual(['a:lasting-1', 'a:lasting-2']);
    expect(await indexMembers(suite.admin, 'prune:sub-index:pruned')).toEqual(['a:lasting-1', 'a:lasting-2']);
  });

  it('keeps a record until its own expiresAt (a year at most), and an index as long as its longest-lived member', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'ttl:' });
    const pTtlSeconds = async (key: string) => Math.round((await suite.admin.pTTL(key)) / 1000);
    const login = (adapterSessionId: string, lifetime: number, sid = 'ttl-sid') =>
      registry.register(session({ sub: 'ttl-user', sid, adapterSessionId, expiresAt: nowSeconds() + lifetime }));
    // Two days: longer than the module's default sessionTtl (ten hours), which no longer caps it here.
    await login('long', 172_800);
    await login('short', 60);
    expect(await pTtlSeconds('ttl:record:a:long')).toBeGreaterThan(172_790);
    expect(await pTtlSeconds('ttl:record:a:short')).toBeLessThanOrEqual(60);
    // A shorter-lived member registered later does not shorten the indexes...
    for (const index of ['ttl:sid-index:ttl-sid', 'ttl:sub-index:ttl-user']) expect(await pTtlSeconds(index)).toBeGreaterThan(172_790);
    // ...a longer-lived one lengthens them; a new index starts at its first member's expiry.
    await login('longer', 259_200);
    await login('other-sid', 120, 'ttl-sid-2');
    for (const index of ['ttl:sid-index:ttl-sid', 'ttl:sub-index:ttl-user']) {
      expect(await pTtlSeconds(index)).toBeGreaterThan(259_190);
      expect(await pTtlSeconds(index)).toBeLessThanOrEqual(259_200);
    }
    expect(await pTtlSeconds('ttl:sid-index:ttl-sid-2')).toBeGreaterThan(110);
    expect(await pTtlSeconds('ttl:sid-index:ttl-sid-2')).toBeLessThanOrEqual(120);
    // An expiry years ahead is kept a year, like the module's longest sessionTtl.
    await login('years', 10 * 31_536_000, 'ttl-sid-3');
    expect(await pTtlSeconds('ttl:record:a:years')).toBeLessThanOrEqual(31_536_000);
    expect(await pTtlSeconds('ttl:sid-index:ttl-sid-3')).toBeLessThanOrEqual(31_536_000);
  });

  it('finds a session again by its new sid and user only, once it is registered under them (an old index entry is not trusted)', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'moved:' });
    await registry.register(session({ sub: 'first-user', sid: 'first-sid', adapterSessionId: 'same-browser' }));
    const again = session({ sub: 'second-user', sid: 'second-sid', adapterSessionId: 'same-browser' });
    await registry.register(again);
    // The old indexes still list the member until they expire: what they point to now belongs elsewhere.
    expect(await indexMembers(suite.admin, 'moved:sid-index:first-sid')).toEqual(['a:same-browser']);

    expect(await registry.findBySid('first-sid')).toEqual([]);
    expect(await registry.findBySubject('first-user')).toEqual([]);
    expect(await registry.findBySid('second-sid')).toEqual([again]);
    expect(await registry.findBySubject('second-user')).toEqual([again]);
    expect(await registry.findByAdapterSessionId('same-browser')).toEqual(again);
    // Read once, the stale entries leave the old indexes.
    expect(await indexMembers(suite.admin, 'moved:sid-index:first-sid')).toEqual([]);
    expect(await indexMembers(suite.admin, 'moved:sub-index:first-user')).toEqual([]);
  });

  it('returns no record that names another sid or user than the index it was reached through', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'forged:' });
    await registry.register(session({ sub: 'owner', sid: 'owner-sid', adapterSessionId: 'owned' }));
    // Another client of the database points an index at that record.
    await suite.admin.zAdd('forged:sid-index:other-sid', { score: Date.now() + 600_000, value: 'a:owned' });
    await suite.admin.zAdd('forged:sub-index:other-user', { score: Date.now() + 600_000, value: 'a:owned' });
    expect(await registry.findBySid('other-sid')).toEqual([]);
    expect(await registry.findBySubject('other-user')).toEqual([]);
    expect((await registry.findBySid('owner-sid')).map((r) => r.adapterSessionId)).toEqual(['owned']);
  });

  it('keeps a record in about half the bytes of its JSON object: its fields without names or the id its key carries', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'compact:' });
    const record = session({ sub: 'c0ffee00-0000-4000-a000-000000000001', sid: 'c0ffee00-0000-4000-a000-000000000002', adapterSessionId: 'c0ffee000000000000000000000000aa' });
    await registry.register(record);
    const stored = (await suite.admin.get(`compact:record:a:${record.adapterSessionId!}`))!;
    expect(JSON.parse(stored)).toEqual([record.sid, record.sub, record.clientId, record.issuedAt, record.expiresAt]);
    expect(stored.length).toBeLessThan(JSON.stringify(record).length * 0.6);
  });

  it('reads a stored value that is not a record as no record, and a failed read as a failure, not a miss', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'odd:' });
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'fine' }));
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'garbled' }));
    await suite.admin.set('odd:record:a:garbled', '{"sub": "odd-user"', { KEEPTTL: true });
    expect(await registry.findByAdapterSessionId('garbled')).toBeUndefined();
    expect((await registry.findBySid('odd-sid')).map((r) => r.adapterSessionId)).toEqual(['fine']);
    // Present but unreadable: it stays in the index (only a missing record leaves it).
    expect(await indexMembers(suite.admin, 'odd:sid-index:odd-sid')).toEqual(['a:fine', 'a:garbled']);

    await suite.admin.del('odd:record:a:fine');
    await suite.admin.hSet('odd:record:a:fine', 'not', 'a string');
    await expect(registry.findByAdapterSessionId('fine')).rejects.toThrow(/WRONGTYPE/);
  });

  it('registering a session sends the same few commands whatever the user has, none reading the whole index', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'o1:', maxSessionsPerUser: 100 });
    // Connected before MONITOR starts: the handshake is not the registration's work.
    await registry.register(session({ sub: 'someone-else', sid: 'o1-other' }));
    const monitor = suite.admin.duplicate();
    await monitor.connect();
    const lines: string[] = [];
    await monitor.monitor((line: string) => lines.push(line));
    let marks = 0;
    /** The commands run since the last call: MONITOR streams in execution order, so a marker command ends them. */
    const commandsSoFar = async (): Promise<string[][]> => {
      const marker = `o1:marker-${++marks}`;
      await suite.admin.get(marker);
      await waitFor(() => lines.some((line) => line.includes(marker)), 'the marker reached MONITOR', 2_000);
      const commands = lines.splice(0).map(monitorArgs);
      return commands.slice(0, commands.findIndex((args) => args.includes(marker)));
    };
    const commandsOf = async (record: SessionRecord): Promise<string[][]> => {
      await commandsSoFar();
      await registry.register(record);
      return commandsSoFar();
    };
    // Successive logins: each expires a second after the one before.
    const login = (i: number) => session({ sub: 'busy', sid: `o1-sid-${i}`, adapterSessionId: `o1-${i}`, expiresAt: nowSeconds() + 600 + i });
    const names = (commands: string[][]) => commands.map((args) => args[0]!.toUpperCase());
    try {
      const first = await commandsOf(login(0));
      for (let i = 1; i < 99; i += 1) await registry.register(login(i));
      const hundredth = await commandsOf(login(99));
      // One past the cap: the same commands, then a few about the one session it drops (the oldest, o1-0).
      const pastCap = await commandsOf(login(100));

      expect(names(hundredth)).toEqual(names(first));
      expect(names(pastCap.slice(0, first.length))).toEqual(names(first));
      const dropping = pastCap.slice(first.length);
      expect(dropping.length).toBeGreaterThan(0);
      expect(dropping.length).toBeLessThanOrEqual(5);
      for (const args of dropping) expect(args.slice(1).every((arg) => arg.includes('o1-0') || arg.includes('o1-sid-0'))).toBe(true);
      for (const args of [...first, ...hundredth, ...pastCap]) {
        const [name, , start, stop] = [args[0]!.toUpperCase(), ...args.slice(1)];
        expect(['SMEMBERS', 'SSCAN', 'ZSCAN', 'ZCARD', 'KEYS', 'SCAN', 'ZRANGEBYSCORE', 'ZREVRANGE']).not.toContain(name);
        // A ZRANGE may only read what is beyond the cap (ranks 0 .. -(cap + 1)), never the whole index.
        if (name === 'ZRANGE') expect([start, stop]).toEqual(['0', '-101']);
      }
      expect(await indexMembers(suite.admin, 'o1:sub-index:busy')).toHaveLength(100);
      expect(await registry.findByAdapterSessionId('o1-0')).toBeUndefined();
    } finally {
      await monitor.close();
    }
  });
});
