import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionRegistry } from './memory-session-registry.js';
import type { SessionRecord } from './session-record.interface.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

function session(fields: Partial<SessionRecord>): SessionRecord {
  return { sub: 'alice', clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 3600, ...fields };
}

/** The indexes and claims must empty with the records, not only the record maps. */
function internals(registry: MemorySessionRegistry) {
  return registry as unknown as { bySid: Map<string, unknown>; bySub: Map<string, unknown>; claims: Map<string, number> };
}

describe('MemorySessionRegistry sweep and limits', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps 50,000 expired records, their indexes and expired claims on its minute timer, unread', async () => {
    vi.useFakeTimers();
    const registry = new MemorySessionRegistry();
    // 1,000 users with 50 sessions each; every fifth session has only a Keycloak sid.
    for (let i = 0; i < 50_000; i++) {
      const ids = i % 5 === 0 ? { sid: `kc-${i}` } : { adapterSessionId: `app-${i}`, sid: `kc-${i}` };
      await registry.register(session({ ...ids, sub: `user-${i % 1_000}`, expiresAt: nowSeconds() + 30 }));
    }
    for (let i = 0; i < 1_000; i++) await registry.claimTokenId(`iss#jti-${i}`, 10_000);
    expect(registry.size).toBe(50_000);

    vi.advanceTimersByTime(59_999);
    expect(registry.size).toBe(50_000); // expired, but the sweep has not run yet
    vi.advanceTimersByTime(1);
    expect(registry.size).toBe(0);
    expect(internals(registry).bySid.size).toBe(0);
    expect(internals(registry).bySub.size).toBe(0);
    expect(internals(registry).claims.size).toBe(0);
    registry.close();
  });

  it('prune(now) drops only what expired by then', async () => {
    const registry = new MemorySessionRegistry();
    await registry.register(session({ adapterSessionId: 'short', expiresAt: nowSeconds() + 10 }));
    await registry.register(session({ adapterSessionId: 'long', expiresAt: nowSeconds() + 3_600 }));
    registry.prune(Date.now() + 60_000);
    expect(registry.size).toBe(1);
    expect((await registry.findBySubject('alice')).map((s) => s.adapterSessionId)).toEqual(['long']);
    registry.close();
  });

  it('starts its sweep timer on the first write, stops it at module destroy, and restarts it on reuse', async () => {
    vi.useFakeTimers();
    const registry = new MemorySessionRegistry();
    expect(vi.getTimerCount()).toBe(0);
    await registry.register(session({ adapterSessionId: 'a' }));
    await registry.register(session({ adapterSessionId: 'b' }));
    expect(vi.getTimerCount()).toBe(1);
    registry.onModuleDestroy();
    expect(vi.getTimerCount()).toBe(0);
    await registry.claimTokenId('iss#jti', 1_000);
    expect(vi.getTimerCount()).toBe(1);
    registry.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a record no longer than sessionTtl when its own expiresAt is later', async () => {
    vi.useFakeTimers();
    const registry = new MemorySessionRegistry({ sessionTtl: 60 });
    await registry.register(session({ adapterSessionId: 'long-lived', expiresAt: nowSeconds() + 3_600 }));
    expect(await registry.findByAdapterSessionId('long-lived')).toBeDefined();
    vi.advanceTimersByTime(61_000);
    expect(await registry.findByAdapterSessionId('long-lived')).toBeUndefined();
    vi.advanceTimersByTime(60_000);
    expect(registry.size).toBe(0);
    registry.close();
  });

  it('drops one user\'s oldest sessions under maxSessionsPerUser: 1 without touching the newest', async () => {
    const registry = new MemorySessionRegistry({ maxSessionsPerUser: 1 });
    for (let n = 1; n <= 100; n++) await registry.register(session({ adapterSessionId: `s-${n}`, sid: `kc-${n}` }));
    expect(registry.size).toBe(1);
    expect((await registry.findBySubject('alice')).map((s) => s.sid)).toEqual(['kc-100']);
    registry.close();
  });

  it('refuses an out-of-range maxSessionsPerUser or sessionTtl when constructed', () => {
    for (const maxSessionsPerUser of [0, -1, 1.5, 100_001, Number.NaN]) {
      expect(() => new MemorySessionRegistry({ maxSessionsPerUser })).toThrow(RangeError);
    }
    for (const sessionTtl of [0, -60, 0.5]) expect(() => new MemorySessionRegistry({ sessionTtl })).toThrow(RangeError);
    expect(() => new MemorySessionRegistry({ maxSessionsPerUser: 100_000, sessionTtl: 1 })).not.toThrow();
  });
});
