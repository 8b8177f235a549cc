import { describe, expect, it } from 'vitest';
import { RevocationStore } from './revocation-store.js';
import type { Revocation } from './revocation.interface.js';

const HOUR = 3_600_000;
let sequence = 0;

/** Now, on a whole second: the store keeps expiries in whole seconds, rounded up. */
function wholeSecondNow(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

function revocation<T extends Revocation['type']>(type: T, fields: Omit<Extract<Revocation, { type: T }>, 'id' | 'source' | 'revokedAt' | 'expiresAt' | 'type'>, now = Date.now(), ttl = HOUR): Revocation {
  return { type, ...fields, id: `r${++sequence}`, source: 'api', revokedAt: now, expiresAt: now + ttl } as unknown as Revocation;
}

describe('RevocationStore', () => {
  it('refuses a revoked sid, whatever the token\'s age, and nothing else', () => {
    const s = new RevocationStore();
    expect(s.apply(revocation('sid', { sid: 'kc-1' }))).toBe(true);
    expect(s.check({ sid: 'kc-1', sub: 'alice', iat: 1 })).toBe('sid');
    expect(s.check({ sid: 'kc-1', sub: 'alice', iat: Date.now() / 1000 + 1000 })).toBe('sid');
    expect(s.check({ sid: 'kc-2', sub: 'alice', iat: 1 })).toBeUndefined();
    s.onModuleDestroy();
  });

  it('a subject watermark refuses what was issued at or before it, not the user\'s later logins', () => {
    const s = new RevocationStore();
    s.apply(revocation('subject', { sub: 'alice', issuedBefore: 1_000 }));
    expect(s.check({ sub: 'alice', iat: 999 })).toBe('subject');
    expect(s.check({ sub: 'alice', iat: 1_000 })).toBe('subject');
    expect(s.check({ sub: 'alice', iat: 1_001 })).toBeUndefined();
    expect(s.check({ sub: 'bob', iat: 999 })).toBeUndefined();
    // A missing iat is treated as the oldest possible: refused.
    expect(s.check({ sub: 'alice' })).toBe('subject');
    s.onModuleDestroy();
  });

  it('keeps the highest watermark; an older one adds nothing', () => {
    const s = new RevocationStore();
    const now = Date.now();
    expect(s.apply(revocation('subject', { sub: 'alice', issuedBefore: 2_000 }, now))).toBe(true);
    expect(s.apply(revocation('subject', { sub: 'alice', issuedBefore: 1_000 }, now - 1))).toBe(false);
    expect(s.check({ sub: 'alice', iat: 1_500 })).toBe('subject');
    expect(s.apply(revocation('subject', { sub: 'alice', issuedBefore: 3_000 }, now))).toBe(true);
    expect(s.check({ sub: 'alice', iat: 2_500 })).toBe('subject');
    s.onModuleDestroy();
  });

  it('not-before follows Keycloak: iat < notBefore is refused, and it only moves forward', () => {
    const s = new RevocationStore();
    expect(s.apply(revocation('not-before', { notBefore: 5_000 }))).toBe(true);
    expect(s.check({ sub: 'x', iat: 4_999 })).toBe('not-before');
    expect(s.check({ sub: 'x', iat: 5_000 })).toBeUndefined();
    expect(s.apply(revocation('not-before', { notBefore: 4_000 }))).toBe(false);
    expect(s.currentNotBefore).toBe(5_000);
    s.onModuleDestroy();
  });

  it('refuses a revoked adapter session', () => {
    const s = new RevocationStore();
    s.apply(revocation('adapter-session', { adapterSessionId: 'sess-1' }));
    expect(s.check({ adapterSessionId: 'sess-1', sub: 'a', iat: 9e9 })).toBe('adapter-session');
    expect(s.check({ adapterSessionId: 'sess-2', sub: 'a', iat: 9e9 })).toBeUndefined();
    s.onModuleDestroy();
  });

  it('is idempotent: the same revocation applied again reports nothing new', () => {
    const s = new RevocationStore();
    const r = revocation('sid', { sid: 'dup' });
    expect(s.apply(r)).toBe(true);
    expect(s.apply(r)).toBe(false);
    expect(s.apply({ ...r, id: 'other-id' })).toBe(false);
    expect(s.size).toBe(1);
    s.onModuleDestroy();
  });

  it('forgets revocations when they expire, and ignores already-expired ones', () => {
    const s = new RevocationStore();
    const now = wholeSecondNow();
    s.apply(revocation('sid', { sid: 'short' }, now, 1_000));
    s.apply(revocation('subject', { sub: 'u', issuedBefore: 10 }, now, 1_000));
    expect(s.check({ sid: 'short' }, now + 999)).toBe('sid');
    expect(s.check({ sid: 'short' }, now + 1_000)).toBeUndefined();
    expect(s.check({ sub: 'u', iat: 5 }, now + 1_000)).toBeUndefined();
    s.prune(now + 1_000);
    expect(s.size).toBe(0);
    expect(s.apply(revocation('sid', { sid: 'stale' }, now - 2 * HOUR))).toBe(false);
    s.onModuleDestroy();
  });

  it('stays bounded: 100k revocations are all pruned after expiry', () => {
    const s = new RevocationStore();
    const now = wholeSecondNow();
    for (let i = 0; i < 100_000; i += 1) s.apply(revocation('sid', { sid: `s${i}` }, now, 1_000), now);
    expect(s.size).toBe(100_000);
    s.prune(now + 1_000);
    expect(s.size).toBe(0);
    s.onModuleDestroy();
  });

  it('a sid revoked again with a later expiry is not new, but is kept until the later expiry', () => {
    const s = new RevocationStore();
    const now = wholeSecondNow();
    expect(s.apply(revocation('sid', { sid: 'kc-again' }, now, 1_000))).toBe(true);
    // A retry or a second logout of the same session, with a longer lifetime.
    expect(s.apply(revocation('sid', { sid: 'kc-again' }, now, 5_000))).toBe(false);
    expect(s.check({ sid: 'kc-again' }, now + 2_000)).toBe('sid');
    expect(s.check({ sid: 'kc-again' }, now + 5_000)).toBeUndefined();
    s.onModuleDestroy();
  });

  it('keeps an expiry to the next whole second, never less: a revocation outlives its expiresAt by under a second', () => {
    const s = new RevocationStore();
    const now = wholeSecondNow();
    s.apply(revocation('sid', { sid: 'kc-rounded' }, now, 1_500), now);
    s.apply(revocation('subject', { sub: 'rounded', issuedBefore: 10 }, now, 1_500), now);
    for (const at of [now + 1_499, now + 1_500, now + 1_999]) {
      expect(s.check({ sid: 'kc-rounded' }, at)).toBe('sid');
      expect(s.check({ sub: 'rounded', iat: 5 }, at)).toBe('subject');
    }
    expect(s.check({ sid: 'kc-rounded' }, now + 2_000)).toBeUndefined();
    expect(s.check({ sub: 'rounded', iat: 5 }, now + 2_000)).toBeUndefined();
    s.prune(now + 1_999);
    expect(s.size).toBe(2);
    s.prune(now + 2_000);
    expect(s.size).toBe(0);
    s.onModuleDestroy();
  });
});
