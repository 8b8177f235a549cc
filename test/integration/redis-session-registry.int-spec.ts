import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../lib/index.js';
import { createRedisLogoutBackend, redisKeys, type RedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { addressOf, REGISTRY_BUCKETS } from '../../lib/redis/registry-address.js';
import { checkRedisForSuite } from '../support/redis-server.js';
import {
  bucketKeyOf,
  indexedMembers,
  memberFingerprints,
  privateRedisForSuite,
  quietLogger,
  recordLineOf,
  registerInPreviousLayout,
  registryLines,
} from '../support/redis-test-helpers.js';

/* The Redis session registry's buckets: bounded per user, pruned of expired lines, the same few commands to write. */

const enabled = checkRedisForSuite('Redis session registry tests');

const nowSeconds = () => Math.floor(Date.now() / 1000);

function session(fields: Partial<SessionRecord> & Pick<SessionRecord, 'sub'>): SessionRecord {
  return { clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600, ...fields };
}

/** A MONITOR line, `<time> [<db> <addr>] "CMD" "arg" ...`: its quoted arguments, and whether a Lua script sent it (`[0 lua]`). */
function monitorCommand(line: string): { args: string[]; lua: boolean } {
  return { args: [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!), lua: / lua\]/.test(line) };
}

describe.skipIf(!enabled)('Redis session registry buckets', () => {
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
      expect(await indexedMembers(suite.admin, 'cap:', 's', dropped.sid!)).toEqual([]);
    }
    // Their record lines are gone, not only unreachable.
    expect((await registryLines(suite.admin, 'cap:')).filter((line) => /^acap-[de] /.test(line))).toEqual([]);
    expect(await indexedMembers(suite.admin, 'cap:', 'u', 'capped')).toEqual(memberFingerprints('cap-a', 'cap-b', 'cap-c'));
  });

  it('prunes expired lines from the sid and sub indexes when a session is registered, before any lookup', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'prune:' });
    const brief = session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'brief', expiresAt: nowSeconds() + 1 });
    await registry.register(brief);
    await registry.register(session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'lasting-1' }));
    expect(await indexedMembers(suite.admin, 'prune:', 's', 'shared-sid')).toEqual(memberFingerprints('brief', 'lasting-1'));
    await new Promise((resolve) => setTimeout(resolve, brief.expiresAt * 1000 - Date.now() + 50));
    expect(await registry.findByAdapterSessionId('brief')).toBeUndefined();

    await registry.register(session({ sub: 'pruned', sid: 'shared-sid', adapterSessionId: 'lasting-2' }));
    // No findBy* removed anything: the registration's own rewrites dropped the expired lines of both indexes.
    expect(await indexedMembers(suite.admin, 'prune:', 's', 'shared-sid')).toEqual(memberFingerprints('lasting-1', 'lasting-2'));
    expect(await indexedMembers(suite.admin, 'prune:', 'u', 'pruned')).toEqual(memberFingerprints('lasting-1', 'lasting-2'));
  });

  it('keeps a record until its own expiresAt (a year at most), and a bucket as long as its longest-lived line', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'ttl:' });
    const expiryOf = async (adapterSessionId: string) => parseInt((await recordLineOf(suite.admin, 'ttl:', adapterSessionId))!.split(' ')[1]!, 36);
    const login = (adapterSessionId: string, lifetime: number, sid = 'ttl-sid') =>
      registry.register(session({ sub: 'ttl-user', sid, adapterSessionId, expiresAt: nowSeconds() + lifetime }));
    // Two days: longer than the module's default sessionTtl (ten hours), which no longer caps it here.
    await login('long', 172_800);
    await login('short', 60);
    expect((await expiryOf('long')) - nowSeconds()).toBeGreaterThan(172_790);
    expect((await expiryOf('short')) - nowSeconds()).toBeLessThanOrEqual(60);
    await login('longer', 259_200);
    await login('other-sid', 120, 'ttl-sid-2');
    // An expiry years ahead is kept a year, like the module's longest sessionTtl; the record still says when it claimed to end.
    const years = nowSeconds() + 10 * 31_536_000;
    await registry.register(session({ sub: 'ttl-user', sid: 'ttl-sid-3', adapterSessionId: 'years', expiresAt: years }));
    // (Whole seconds, rounded up.)
    expect((await expiryOf('years')) - nowSeconds()).toBeLessThanOrEqual(31_536_001);
    expect((await registry.findByAdapterSessionId('years'))?.expiresAt).toBe(years);

    // Every bucket expires with its longest-lived line: a shorter-lived line written later does not shorten it.
    const keys: string[] = [];
    for await (const found of suite.admin.scanIterator({ MATCH: 'ttl:registry:*' })) keys.push(...found);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) {
      const longest = Math.max(...((await suite.admin.get(key)) ?? '').split('\n').filter(Boolean).map((line) => parseInt(line.split(' ')[1]!, 36)));
      expect(await suite.admin.pExpireTime(key)).toBe(longest * 1000);
    }
  });

  it('finds a session again by its new sid and user only, once it is registered under them (the old index lines leave at once)', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'moved:' });
    await registry.register(session({ sub: 'first-user', sid: 'first-sid', adapterSessionId: 'same-browser' }));
    const again = session({ sub: 'second-user', sid: 'second-sid', adapterSessionId: 'same-browser' });
    await registry.register(again);
    expect(await indexedMembers(suite.admin, 'moved:', 's', 'first-sid')).toEqual([]);
    expect(await indexedMembers(suite.admin, 'moved:', 'u', 'first-user')).toEqual([]);

    expect(await registry.findBySid('first-sid')).toEqual([]);
    expect(await registry.findBySubject('first-user')).toEqual([]);
    expect(await registry.findBySid('second-sid')).toEqual([again]);
    expect(await registry.findBySubject('second-user')).toEqual([again]);
    expect(await registry.findByAdapterSessionId('same-browser')).toEqual(again);
  });

  it('removes a session by its ids alone, or by the whole record a lookup gave, even one registered again since elsewhere: nothing of it stays', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'removal:' });
    await registry.register(session({ sub: 'user-1', sid: 'sid-1', adapterSessionId: 'by-id' }));
    await registry.register(session({ sub: 'user-1', sid: 'sid-only' }));
    await registry.remove({ adapterSessionId: 'by-id' });
    await registry.remove({ sid: 'sid-only' });
    expect(await registry.findBySubject('user-1')).toEqual([]);

    await registry.register(session({ sub: 'user-2', sid: 'sid-2', adapterSessionId: 'moved' }));
    const [found] = await registry.findBySid('sid-2');
    await registry.register(session({ sub: 'user-3', sid: 'sid-3', adapterSessionId: 'moved' }));
    await registry.remove(found!);
    expect(await registry.findByAdapterSessionId('moved')).toBeUndefined();
    expect(await registry.findBySubject('user-3')).toEqual([]);
    // Not a line left: records and index lines of every sid and user it had.
    expect(await registryLines(suite.admin, 'removal:')).toEqual([]);
  });

  it('returns no record that names another sid or user than the index it was reached through, and drops such index lines', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'forged:' });
    const owned = session({ sub: 'owner', sid: 'owner-sid', adapterSessionId: 'owned' });
    await registry.register(owned);
    // Another client of the database points the indexes of another sid and user at that record.
    const ownedLine = (await suite.admin.get(bucketKeyOf('forged:', 'sowner-sid')))!.split('\n').find((line) => line.startsWith('i'))!;
    const [ownedMember] = memberFingerprints('owned');
    for (const [kind, id] of [['s', 'other-sid'], ['u', 'other-user']] as const) {
      const index = addressOf(kind + id);
      await suite.admin.append(redisKeys('forged:').registryBucket(index.bucket), `i${index.fingerprint}${ownedMember} ${ownedLine.split(' ')[1]}\n`);
      expect(await indexedMembers(suite.admin, 'forged:', kind, id)).toEqual([ownedMember]);
    }
    expect(await registry.findBySid('other-sid')).toEqual([]);
    expect(await registry.findBySubject('other-user')).toEqual([]);
    expect(await indexedMembers(suite.admin, 'forged:', 's', 'other-sid')).toEqual([]);
    expect(await indexedMembers(suite.admin, 'forged:', 'u', 'other-user')).toEqual([]);
    expect(await registry.findBySid('owner-sid')).toEqual([owned]);
  });

  it('tells apart two sids whose index lines share a bucket and a fingerprint: reading one keeps the other\'s lines', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'twins:' });
    // Found by a search over 40M ids: 48-bit fingerprints collide about once in 2^24 ids.
    const [one, other] = ['collide-10696847', 'collide-23023777'];
    expect(addressOf(`s${one}`)).toEqual(addressOf(`s${other}`));
    const first = session({ sub: 'twin-1', sid: one, adapterSessionId: 'twin-browser-1' });
    const second = session({ sub: 'twin-2', sid: other, adapterSessionId: 'twin-browser-2' });
    await registry.register(first);
    await registry.register(second);
    expect(await registry.findBySid(one)).toEqual([first]);
    expect(await registry.findBySid(other)).toEqual([second]);
    expect(await registry.findBySid(one)).toEqual([first]);
    expect(await indexedMembers(suite.admin, 'twins:', 's', one)).toEqual(memberFingerprints('twin-browser-1', 'twin-browser-2'));
    // Removing one leaves the other's line.
    await registry.remove(first);
    expect(await registry.findBySid(one)).toEqual([]);
    expect(await registry.findBySid(other)).toEqual([second]);
  });

  it('keeps a session in one record line of its fields (no names, ids once, times short) and two index lines of 24 characters', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'compact:' });
    const record = session({ sub: 'c0ffee00-0000-4000-a000-000000000001', sid: 'c0ffee00-0000-4000-a000-000000000002', adapterSessionId: 'c0ffee000000000000000000000000aa' });
    await registry.register(record);
    const lines = await registryLines(suite.admin, 'compact:');
    expect(lines).toHaveLength(3);
    const expiry = record.expiresAt.toString(36);
    expect(lines.filter((line) => line.startsWith('a'))).toEqual([`a${record.adapterSessionId!} ${expiry} ${record.sid!} ${record.sub} app 0 ${(600).toString(36)}`]);
    expect(lines.filter((line) => line.startsWith('i')).map((line) => line.length)).toEqual([24, 24]);
    expect(lines.join('\n').length).toBeLessThan(JSON.stringify(record).length * 1.2);
  });

  it('skips a line it cannot read and a bucket of garbage, rewrites past them, and rejects on a read that fails', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'odd:' });
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'fine' }));
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'garbled' }));
    // The record line keeps its name and expiry, the rest is not a record (a later version's line, or garbage).
    const garbledKey = bucketKeyOf('odd:', 'agarbled');
    const garbledLine = (await recordLineOf(suite.admin, 'odd:', 'garbled'))!;
    const bucket = (await suite.admin.get(garbledKey))!;
    await suite.admin.set(garbledKey, bucket.replace(garbledLine, `${garbledLine.split(' ').slice(0, 2).join(' ')} {"sub": "odd-user"`), { KEEPTTL: true });
    expect(await registry.findByAdapterSessionId('garbled')).toBeUndefined();
    expect((await registry.findBySid('odd-sid')).map((r) => r.adapterSessionId)).toEqual(['fine']);
    // Present but unreadable: its index lines stay (only a line that leads to no record leaves).
    expect(await indexedMembers(suite.admin, 'odd:', 's', 'odd-sid')).toEqual(memberFingerprints('fine', 'garbled'));

    // Bytes that are no line at all, in the buckets every lookup of this user reads: skipped.
    const garbage = '\u0000\u00ff no expiry\n\n \ni\n%%%% zz!\nagarbled -1 x\n';
    const buckets = ['afine', 'sodd-sid', 'uodd-user'].map((name) => bucketKeyOf('odd:', name));
    for (const key of buckets) await suite.admin.append(key, garbage);
    expect((await registry.findBySid('odd-sid')).map((r) => r.adapterSessionId)).toEqual(['fine']);
    expect((await registry.findBySubject('odd-user')).map((r) => r.adapterSessionId)).toEqual(['fine']);
    expect((await registry.findByAdapterSessionId('fine'))?.sid).toBe('odd-sid');
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'fine' }));
    expect((await registry.findBySubject('odd-user')).map((r) => r.adapterSessionId)).toEqual(['fine']);
    // A bucket the registry did not write (no expiry of its own) is rewritten line by line: the garbage goes.
    for (const key of buckets) await suite.admin.persist(key);
    await registry.register(session({ sub: 'odd-user', sid: 'odd-sid', adapterSessionId: 'fine' }));
    for (const key of buckets) expect(await suite.admin.get(key)).not.toContain('no expiry');
    expect((await registry.findBySubject('odd-user')).map((r) => r.adapterSessionId)).toEqual(['fine']);

    await suite.admin.del(bucketKeyOf('odd:', 'afine'));
    await suite.admin.hSet(bucketKeyOf('odd:', 'afine'), 'not', 'a string');
    await expect(registry.findByAdapterSessionId('fine')).rejects.toThrow(/WRONGTYPE/);
    await expect(registry.register(session({ sub: 'odd-user', adapterSessionId: 'fine' }))).rejects.toThrow(/WRONGTYPE/);
  });

  it('refuses a record it could not read back: no member, or times that are not finite numbers', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'refused:' });
    await expect(registry.register(session({ sub: 'u' }))).rejects.toThrow(TypeError);
    await expect(registry.register(session({ sub: 'u', sid: 's', expiresAt: Number.NaN }))).rejects.toThrow(TypeError);
    await expect(registry.register(session({ sub: 'u', sid: 's', issuedAt: Number.POSITIVE_INFINITY }))).rejects.toThrow(TypeError);
    expect(await registryLines(suite.admin, 'refused:')).toEqual([]);
  });

  it('keeps ids with spaces, newlines, percent signs and non-ASCII characters, and records of further realms', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'chars:' });
    const odd = session({ sub: 'user with\nnewline %41', sid: 'sïd 😀', adapterSessionId: 'app session\u0000\ud800', clientId: '', issuer: 'https://kc/realms/other realm' });
    const sidOnly = session({ sub: 'user with\nnewline %41', sid: ' ' });
    await registry.register(odd);
    await registry.register(sidOnly);
    expect(await registry.findByAdapterSessionId(odd.adapterSessionId!)).toEqual(odd);
    expect(await registry.findBySid(odd.sid!)).toEqual([odd]);
    expect(await registry.findBySid(' ')).toEqual([sidOnly]);
    expect((await registry.findBySubject(odd.sub)).sort((a, b) => a.sid!.localeCompare(b.sid!))).toEqual([sidOnly, odd]);
    expect((await registryLines(suite.admin, 'chars:')).every((line) => /^[!-~ ]+$/.test(line))).toBe(true);
    await registry.remove({ sid: ' ' });
    expect(await registry.findBySubject(odd.sub)).toEqual([odd]);
  });

  it('registering a session sends the same few commands whatever the user has, and reads back no index', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'o1:', maxSessionsPerUser: 100 });
    // Connected before MONITOR starts: the handshake is not the registration's work.
    await registry.register(session({ sub: 'someone-else', sid: 'o1-other' }));
    const monitor = suite.admin.duplicate();
    await monitor.connect();
    const lines: string[] = [];
    await monitor.monitor((line: string) => lines.push(line));
    let marks = 0;
    /** The commands run since the last call: MONITOR streams in execution order, so a marker command ends them. */
    const commandsSoFar = async () => {
      const marker = `o1:marker-${++marks}`;
      await suite.admin.get(marker);
      await new Promise<void>((resolve) => {
        const poll = () => (lines.some((line) => line.includes(marker)) ? resolve() : setTimeout(poll, 5));
        poll();
      });
      const commands = lines.splice(0).map(monitorCommand);
      return commands.slice(0, commands.findIndex(({ args }) => args.includes(marker)));
    };
    const commandsOf = async (record: SessionRecord) => {
      await commandsSoFar();
      await registry.register(record);
      return commandsSoFar();
    };
    // Successive logins: each expires a second after the one before.
    const login = (i: number) => session({ sub: 'busy', sid: `o1-sid-${i}`, adapterSessionId: `o1-${i}`, expiresAt: nowSeconds() + 600 + i });
    const sent = (commands: Array<{ args: string[]; lua: boolean }>) => commands.filter(({ lua }) => !lua).map(({ args }) => args[0]!.toUpperCase());
    try {
      const first = await commandsOf(login(0));
      for (let i = 1; i < 99; i += 1) await registry.register(login(i));
      const hundredth = await commandsOf(login(99));
      // One past the cap: the same commands, then a few about the one session it drops (the oldest, o1-0).
      const pastCap = await commandsOf(login(100));

      expect(sent(first)).toEqual(['EVALSHA', 'UNLINK', 'EVALSHA', 'EVALSHA']);
      expect(sent(hundredth)).toEqual(sent(first));
      expect(sent(pastCap).slice(0, 4)).toEqual(sent(first));
      const dropping = pastCap.filter(({ lua }) => !lua).slice(4);
      expect(dropping.map(({ args }) => args[0]!.toUpperCase())).toEqual(['GET', 'EVALSHA', 'EVALSHA']);
      // They touch the dropped session's record bucket and its sid's index bucket only.
      const droppedKeys = [bucketKeyOf('o1:', 'ao1-0'), bucketKeyOf('o1:', 'so1-sid-0')];
      for (const { args } of dropping) expect(droppedKeys).toContain(args[0] === 'GET' ? args[1] : args[3]);
      for (const { args } of [...first, ...hundredth, ...pastCap]) {
        expect(['SMEMBERS', 'SSCAN', 'ZSCAN', 'ZCARD', 'KEYS', 'SCAN', 'ZRANGE', 'ZRANGEBYSCORE', 'HGETALL']).not.toContain(args[0]!.toUpperCase());
      }
      // The user's index is never read back: the only GET sent is of the dropped record's bucket.
      expect([...first, ...hundredth, ...pastCap].filter(({ args, lua }) => !lua && args[0]!.toUpperCase() === 'GET').map(({ args }) => args[1])).toEqual([droppedKeys[0]]);
      expect(await indexedMembers(suite.admin, 'o1:', 'u', 'busy')).toHaveLength(100);
      expect(await registry.findByAdapterSessionId('o1-0')).toBeUndefined();
    } finally {
      await monitor.close();
    }
  });

  it('runs its script on a server that does not have it (SCRIPT FLUSH, as after a restart or on a promoted replica)', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'flushed:' });
    await registry.register(session({ sub: 'flushed-user', sid: 'flushed-sid', adapterSessionId: 'before' }));
    await suite.admin.scriptFlush();
    await registry.register(session({ sub: 'flushed-user', sid: 'flushed-sid', adapterSessionId: 'after' }));
    expect((await registry.findBySid('flushed-sid')).map((r) => r.adapterSessionId).sort()).toEqual(['after', 'before']);
  });

  it('names buckets registry:0 to registry:16383 under the key prefix, and nothing else for sessions', async () => {
    const { sessionRegistry: registry } = backend({ keyPrefix: 'names:' });
    for (let i = 0; i < 50; i += 1) await registry.register(session({ sub: `user-${i % 7}`, sid: `sid-${i}`, adapterSessionId: `app-${i}` }));
    const keys: string[] = [];
    for await (const found of suite.admin.scanIterator({ MATCH: 'names:*' })) keys.push(...found);
    expect(keys.length).toBeGreaterThan(50);
    for (const key of keys) {
      const bucket = Number(/^names:registry:(\d+)$/.exec(key)?.[1]);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(REGISTRY_BUCKETS);
    }
  });

  describe('beside instances of the previous layout (a key per record and per index), during a rolling upgrade', () => {
    const older = (fields: Partial<SessionRecord>) => session({ sub: 'upgrading', sid: 'old-sid', adapterSessionId: 'old-browser', ...fields });

    it('finds the sessions they registered by all three lookups, merged with its own', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'up-a:' });
      const theirs = older({});
      const theirsWithoutAppSession = older({ adapterSessionId: undefined, sid: 'old-sid-only' });
      await registerInPreviousLayout(suite.admin, 'up-a:', theirs);
      await registerInPreviousLayout(suite.admin, 'up-a:', theirsWithoutAppSession);
      const ours = older({ adapterSessionId: 'new-browser' });
      await registry.register(ours);

      expect(await registry.findByAdapterSessionId('old-browser')).toEqual(theirs);
      expect((await registry.findBySid('old-sid')).map((r) => r.adapterSessionId).sort()).toEqual(['new-browser', 'old-browser']);
      expect(await registry.findBySid('old-sid-only')).toEqual([theirsWithoutAppSession]);
      expect(await registry.findBySubject('upgrading')).toHaveLength(3);
      expect(await registry.findBySid('unknown-sid')).toEqual([]);
    });

    it('removes their sessions from their keys, and its own from its buckets', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'up-b:' });
      const keys = redisKeys('up-b:');
      const theirs = older({});
      await registerInPreviousLayout(suite.admin, 'up-b:', theirs);
      await registry.remove(theirs);
      expect(await registry.findByAdapterSessionId('old-browser')).toBeUndefined();
      expect(await registry.findBySid('old-sid')).toEqual([]);
      expect(await suite.admin.exists([keys.record('a:old-browser')])).toBe(0);
      expect(await suite.admin.zRange(keys.sidIndex('old-sid'), 0, -1)).toEqual([]);
      expect(await suite.admin.zRange(keys.subIndex('upgrading'), 0, -1)).toEqual([]);
    });

    it('registering one of their sessions again (another login) deletes their record, so that their old index cannot return it', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'up-c:' });
      await registerInPreviousLayout(suite.admin, 'up-c:', older({}));
      const again = older({ sid: 'new-sid', sub: 'someone' });
      await registry.register(again);
      expect(await suite.admin.exists(redisKeys('up-c:').record('a:old-browser'))).toBe(0);
      expect(await registry.findBySid('old-sid')).toEqual([]);
      expect(await registry.findBySubject('upgrading')).toEqual([]);
      expect(await registry.findByAdapterSessionId('old-browser')).toEqual(again);
    });

    it('returns a session registered in both layouts once: the registration that expires last', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'up-d:' });
      await registry.register(older({ expiresAt: nowSeconds() + 600 }));
      // An instance of the previous layout registered it again afterwards.
      const later = older({ expiresAt: nowSeconds() + 900, clientId: 'other-app' });
      await registerInPreviousLayout(suite.admin, 'up-d:', later);
      expect(await registry.findByAdapterSessionId('old-browser')).toEqual(later);
      expect(await registry.findBySid('old-sid')).toEqual([later]);
      expect(await registry.findBySubject('upgrading')).toEqual([later]);
    });

    it('skips a record of theirs it cannot read, and an index member whose record is gone', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'up-e:' });
      const keys = redisKeys('up-e:');
      await registerInPreviousLayout(suite.admin, 'up-e:', older({}));
      await registerInPreviousLayout(suite.admin, 'up-e:', older({ adapterSessionId: 'gone-browser' }));
      await suite.admin.set(keys.record('a:old-browser'), '["old-sid", 42', { KEEPTTL: true });
      await suite.admin.del(keys.record('a:gone-browser'));
      expect(await registry.findByAdapterSessionId('old-browser')).toBeUndefined();
      expect(await registry.findBySid('old-sid')).toEqual([]);
      expect(await registry.findBySubject('upgrading')).toEqual([]);
    });
  });
});
