import { createCache } from 'cache-manager';
import { describe, expect, it } from 'vitest';
import { CacheManagerSessionRegistry } from './cache-manager-session-registry.js';
import { MemorySessionRegistry } from './memory-session-registry.js';
import type { SessionRegistry } from './session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface Limits {
  ttlMs?: number;
  maxSessionsPerUser?: number;
}

/** Both in-process registries must behave alike: the same contract, the same tests. */
const IMPLEMENTATIONS: Array<[string, (limits?: Limits) => SessionRegistry]> = [
  [
    'CacheManagerSessionRegistry',
    ({ ttlMs = 60_000, maxSessionsPerUser }: Limits = {}) =>
      new CacheManagerSessionRegistry(createCache({ ttl: ttlMs }), { maxSessionsPerUser }),
  ],
  ['MemorySessionRegistry', ({ maxSessionsPerUser }: Limits = {}) => new MemorySessionRegistry({ maxSessionsPerUser })],
];

function record(fields: Partial<SessionRecord>): SessionRecord {
  return { sub: 'alice', clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 3600, ...fields };
}

describe.each(IMPLEMENTATIONS)('%s', (_name, registry) => {
  it('finds a session by adapter session id, by sid and by sub', async () => {
    const r = registry();
    const a = record({ adapterSessionId: 'sess-a', sid: 'kc-1' });
    const b = record({ adapterSessionId: 'sess-b', sid: 'kc-1' });
    const c = record({ adapterSessionId: 'sess-c', sid: 'kc-2', sub: 'bob' });
    for (const x of [a, b, c]) await r.register(x);
    expect(await r.findByAdapterSessionId('sess-a')).toEqual(a);
    expect((await r.findBySid('kc-1')).map((x) => x.adapterSessionId).sort()).toEqual(['sess-a', 'sess-b']);
    expect((await r.findBySubject('alice')).length).toBe(2);
    expect((await r.findBySubject('bob')).map((x) => x.sid)).toEqual(['kc-2']);
    expect(await r.findBySid('unknown')).toEqual([]);
  });

  it('keeps sid-only records (no adapter session) and refuses records with neither id', async () => {
    const r = registry();
    await r.register(record({ sid: 'kc-only' }));
    expect((await r.findBySid('kc-only')).length).toBe(1);
    await expect(r.register(record({}))).rejects.toThrow(/adapterSessionId or a sid/);
  });

  it('re-registering a session does not duplicate index entries', async () => {
    const r = registry();
    const a = record({ adapterSessionId: 'sess-a', sid: 'kc-1' });
    await r.register(a);
    await r.register(a);
    expect((await r.findBySid('kc-1')).length).toBe(1);
    expect((await r.findBySubject('alice')).length).toBe(1);
  });

  it('removes a session, and index readers skip it', async () => {
    const r = registry();
    await r.register(record({ adapterSessionId: 'sess-a', sid: 'kc-1' }));
    await r.remove({ adapterSessionId: 'sess-a' });
    expect(await r.findByAdapterSessionId('sess-a')).toBeUndefined();
    expect(await r.findBySid('kc-1')).toEqual([]);
  });

  it('expires records with their session', async () => {
    const r = registry();
    await r.register(record({ adapterSessionId: 'short', expiresAt: nowSeconds() + 1 }));
    expect(await r.findByAdapterSessionId('short')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await r.findByAdapterSessionId('short')).toBeUndefined();
    // Already expired: not stored at all.
    await r.register(record({ adapterSessionId: 'dead', expiresAt: nowSeconds() - 1 }));
    expect(await r.findByAdapterSessionId('dead')).toBeUndefined();
  });

  it('keeps the newest maxSessionsPerUser sessions of a user, findable by sub and by sid, and leaves other users alone', async () => {
    const r = registry({ maxSessionsPerUser: 3 });
    await r.register(record({ adapterSessionId: 'bob-1', sid: 'kc-bob-1', sub: 'bob' }));
    // The oldest of alice's sessions has only a Keycloak sid, the others an app session id too.
    await r.register(record({ sid: 'kc-alice-1' }));
    for (const n of [2, 3, 4, 5]) await r.register(record({ adapterSessionId: `alice-${n}`, sid: `kc-alice-${n}` }));
    await r.register(record({ adapterSessionId: 'bob-2', sid: 'kc-bob-2', sub: 'bob' }));

    expect((await r.findBySubject('alice')).map((x) => x.sid).sort()).toEqual(['kc-alice-3', 'kc-alice-4', 'kc-alice-5']);
    for (const n of [3, 4, 5]) {
      expect((await r.findBySid(`kc-alice-${n}`)).map((x) => x.adapterSessionId)).toEqual([`alice-${n}`]);
      expect(await r.findByAdapterSessionId(`alice-${n}`)).toBeDefined();
    }
    expect(await r.findBySid('kc-alice-1')).toEqual([]);
    expect(await r.findBySid('kc-alice-2')).toEqual([]);
    expect(await r.findByAdapterSessionId('alice-2')).toBeUndefined();
    expect((await r.findBySubject('bob')).map((x) => x.sid).sort()).toEqual(['kc-bob-1', 'kc-bob-2']);
    expect(await r.findByAdapterSessionId('bob-1')).toBeDefined();
  });

  it('counts a re-registered session as the newest against maxSessionsPerUser', async () => {
    const r = registry({ maxSessionsPerUser: 3 });
    for (const n of [1, 2, 3]) await r.register(record({ adapterSessionId: `s-${n}`, sid: `kc-${n}` }));
    await r.register(record({ adapterSessionId: 's-1', sid: 'kc-1' }));
    await r.register(record({ adapterSessionId: 's-4', sid: 'kc-4' }));
    expect((await r.findBySubject('alice')).map((x) => x.sid).sort()).toEqual(['kc-1', 'kc-3', 'kc-4']);
    expect(await r.findByAdapterSessionId('s-2')).toBeUndefined();
  });

  it('moves a session re-registered for another user out of the first user\'s index', async () => {
    const r = registry();
    await r.register(record({ adapterSessionId: 'shared', sid: 'kc-a' }));
    await r.register(record({ adapterSessionId: 'shared', sid: 'kc-b', sub: 'bob' }));
    expect(await r.findBySubject('alice')).toEqual([]);
    expect(await r.findBySid('kc-a')).toEqual([]);
    expect((await r.findBySubject('bob')).map((x) => x.sid)).toEqual(['kc-b']);
  });

  it('concurrent registrations of one user all reach the user\'s and the sid\'s index', async () => {
    const r = registry();
    await Promise.all(Array.from({ length: 10 }, (_, n) => r.register(record({ adapterSessionId: `s-${n}`, sid: 'kc-shared' }))));
    expect(await r.findBySubject('alice')).toHaveLength(10);
    expect(await r.findBySid('kc-shared')).toHaveLength(10);
  });

  it('claims a token id once, even under concurrent duplicates, and releases it', async () => {
    const r = registry();
    const results = await Promise.all(Array.from({ length: 10 }, () => r.claimTokenId('iss#jti-1', 5_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await r.claimTokenId('iss#jti-1', 5_000)).toBe(false);
    await r.releaseTokenId('iss#jti-1');
    expect(await r.claimTokenId('iss#jti-1', 5_000)).toBe(true);
  });

  it('forgets a claimed token id after its window', async () => {
    const r = registry();
    expect(await r.claimTokenId('iss#short', 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await r.claimTokenId('iss#short', 50)).toBe(true);
  });
});
