import { createCache, type Cache } from 'cache-manager';
import { describe, expect, it } from 'vitest';
import { CacheManagerSessionRegistry } from './cache-manager-session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const TTL_MS = 60_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function session(n: number, sub = 'alice'): SessionRecord {
  return { adapterSessionId: `${sub}-${n}`, sid: `kc-${sub}-${n}`, sub, clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 3600 };
}

/** A real cache-manager cache that counts the keys its calls touch: a `get` is one, an `mget` of n keys is n. */
function countingCache(): { cache: Cache; touched: () => number } {
  const cache = createCache({ ttl: TTL_MS });
  let keys = 0;
  const counted = new Proxy(cache, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        keys += Array.isArray(args[0]) ? args[0].length : 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { cache: counted, touched: () => keys };
}

/** Cache keys each registration touched, in order. */
async function registrationCosts(registry: CacheManagerSessionRegistry, touched: () => number, count: number): Promise<number[]> {
  const costs: number[] = [];
  for (let n = 1; n <= count; n++) {
    const before = touched();
    await registry.register(session(n));
    costs.push(touched() - before);
  }
  return costs;
}

describe('CacheManagerSessionRegistry cost and limits', () => {
  it('touches as many cache keys for the 4,000th session of a user as for the 1st', async () => {
    const { cache, touched } = countingCache();
    const registry = new CacheManagerSessionRegistry(cache, { maxSessionsPerUser: 10_000 });
    const costs = await registrationCosts(registry, touched, 4_000);
    expect(costs[3_999]).toBe(costs[0]);
    expect(new Set(costs)).toEqual(new Set([costs[0]]));
    expect(await registry.findBySubject('alice')).toHaveLength(4_000);
  });

  it('at maxSessionsPerUser, each further registration touches the same number of cache keys', async () => {
    const { cache, touched } = countingCache();
    const registry = new CacheManagerSessionRegistry(cache, { maxSessionsPerUser: 100 });
    const costs = await registrationCosts(registry, touched, 1_000);
    expect(new Set(costs.slice(100))).toEqual(new Set([costs[100]]));
    expect(await registry.findBySubject('alice')).toHaveLength(100);
  });

  it('dropping a user\'s oldest key spares it when it now holds another user\'s session', async () => {
    const registry = new CacheManagerSessionRegistry(createCache({ ttl: TTL_MS }), { maxSessionsPerUser: 2 });
    await registry.register(session(1));
    await registry.register(session(2));
    // alice-1's app session now belongs to bob; alice's index still names it until it is dropped.
    await registry.register({ ...session(1), sub: 'bob' });
    await registry.register(session(3));
    expect((await registry.findBySubject('alice')).map((s) => s.adapterSessionId).sort()).toEqual(['alice-2', 'alice-3']);
    expect(await registry.findByAdapterSessionId('alice-1')).toMatchObject({ sub: 'bob' });
    expect(await registry.findBySubject('bob')).toHaveLength(1);
  });

  it('refuses an out-of-range maxSessionsPerUser when constructed', () => {
    for (const maxSessionsPerUser of [0, 100_001, 2.5]) {
      expect(() => new CacheManagerSessionRegistry(createCache(), { maxSessionsPerUser })).toThrow(RangeError);
    }
  });
});
