import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeycloakLogoutModuleOptions } from '../options/keycloak-logout-options.interface.js';
import { resolveOptions } from '../options/resolve-options.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { LogoutEvent } from './logout-event.interface.js';
import { LocalRevocationBus } from './revocation-bus.js';
import { newRevocationMemo, type RevocationMemo } from './revocation-memo.js';
import { RevocationStore } from './revocation-store.js';
import type { SubjectRevocation } from './revocation.interface.js';
import { RevocationService } from './revocation.service.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const stops: Array<() => void> = [];
afterEach(() => {
  stops.splice(0).forEach((stop) => stop());
  vi.restoreAllMocks();
});

/** The service on real parts: options as the module resolves them, the in-process store, registry and bus. */
function setup(overrides: Partial<KeycloakLogoutModuleOptions> = {}) {
  const options = resolveOptions({ issuer: 'https://kc.example/realms/demo', clientId: 'app', ...overrides });
  const store = new RevocationStore();
  const registry = new MemorySessionRegistry();
  const bus = new LocalRevocationBus();
  stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
  return { service: new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus)), store, registry, bus };
}

function session(fields: Partial<SessionRecord>): SessionRecord {
  return { sub: 'alice', clientId: 'app', issuedAt: nowSeconds(), expiresAt: nowSeconds() + 3_600, ...fields };
}

/** Collects the events of `onLogout`; listeners run after the registry lookup, so tests wait for them. */
function listen(service: RevocationService) {
  const events: LogoutEvent[] = [];
  service.onLogout((event) => void events.push(event));
  return events;
}

describe('RevocationService', () => {
  it('publishes each revocation with a fresh id, its source, and an expiry revocationTtl after it', async () => {
    const { service } = setup({ revocationTtl: 600 });
    const before = Date.now();
    const [first] = await service.revokeSid('kc-1', { source: 'keycloak-admin' });
    const [second] = await service.revokeSid('kc-2');
    expect(first).toMatchObject({ type: 'sid', sid: 'kc-1', source: 'keycloak-admin' });
    expect(first!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first!.revokedAt).toBeGreaterThanOrEqual(before);
    expect(first!.expiresAt - first!.revokedAt).toBe(600_000);
    // No source given: the application's own call.
    expect(second).toMatchObject({ sid: 'kc-2', source: 'api' });
    expect(second!.id).not.toBe(first!.id);
    // Published through the bus, so this instance refuses it at once.
    expect(service.revocationReason({ sid: 'kc-1' })).toBe('sid');
  });

  it("revokeSubject also revokes by sid the user's registered sessions issued up to the watermark", async () => {
    const { service, registry } = setup();
    const watermark = nowSeconds() - 100;
    await registry.register(session({ adapterSessionId: 'a-1', sid: 'kc-old', issuedAt: watermark - 50 }));
    await registry.register(session({ adapterSessionId: 'a-2', sid: 'kc-old', issuedAt: watermark - 40 }));
    await registry.register(session({ adapterSessionId: 'a-3', sid: 'kc-edge', issuedAt: watermark }));
    await registry.register(session({ adapterSessionId: 'a-4', sid: 'kc-later', issuedAt: watermark + 1 }));
    await registry.register(session({ adapterSessionId: 'a-5', issuedAt: watermark - 50 }));
    await registry.register(session({ adapterSessionId: 'b-1', sid: 'kc-bob', sub: 'bob', issuedAt: watermark - 50 }));

    const revocations = await service.revokeSubject('alice', { issuedBefore: watermark });

    expect(revocations[0]).toMatchObject({ type: 'subject', sub: 'alice', issuedBefore: watermark });
    // One revocation per sid, however many sessions share it; none for later logins or other users.
    expect(revocations.slice(1).map((r) => (r.type === 'sid' ? r.sid : r.type)).sort()).toEqual(['kc-edge', 'kc-old']);
    // A lightweight access token carries sid but no sub: only the sid revocation reaches it.
    expect(service.revocationReason({ sid: 'kc-old', iat: watermark - 50 })).toBe('sid');
    expect(service.revocationReason({ sid: 'kc-later', iat: watermark + 1 })).toBeUndefined();
  });

  it('revokeSubject without issuedBefore puts the watermark at the current second', async () => {
    const { service } = setup();
    const before = nowSeconds();
    const [subject] = await service.revokeSubject('carol');
    expect(subject).toMatchObject({ type: 'subject', sub: 'carol' });
    const { issuedBefore } = subject as SubjectRevocation;
    expect(issuedBefore).toBeGreaterThanOrEqual(before);
    expect(issuedBefore).toBeLessThanOrEqual(nowSeconds());
  });

  it('onLogout listeners get the sessions a revocation ends, and revokeOfflineAccess', async () => {
    const { service, registry } = setup();
    const events = listen(service);
    const one = session({ adapterSessionId: 'sess-1', sid: 'kc-1' });
    const two = session({ adapterSessionId: 'sess-2', sid: 'kc-1' });
    await registry.register(one);
    await registry.register(two);
    await registry.register(session({ adapterSessionId: 'sess-3', sid: 'kc-3' }));

    await service.revokeSid('kc-1', { revokeOfflineAccess: true });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]!.revocation).toMatchObject({ type: 'sid', sid: 'kc-1', revokeOfflineAccess: true });
    expect(events[0]!.revokeOfflineAccess).toBe(true);
    expect(events[0]!.sessions.map((s) => s.adapterSessionId).sort()).toEqual(['sess-1', 'sess-2']);

    await service.revokeAdapterSession('sess-3');
    await vi.waitFor(() => expect(events).toHaveLength(3));
    const adapterEvent = events.find((event) => event.revocation.type === 'adapter-session')!;
    expect(adapterEvent.sessions.map((s) => s.adapterSessionId)).toEqual(['sess-3']);
    expect(adapterEvent.revokeOfflineAccess).toBe(false);
    expect(adapterEvent.revocation).not.toHaveProperty('revokeOfflineAccess');

    // A not-before ends every session issued before it; the event names none.
    await service.setNotBefore(nowSeconds());
    await vi.waitFor(() => expect(events).toHaveLength(4));
    expect(events[3]!.sessions).toEqual([]);
  });

  it('a revocation learnt twice (retry, fan-out echo) is announced once', async () => {
    const { service, bus } = setup();
    const events = listen(service);
    const [revocation] = await service.revokeSid('kc-echo');
    await bus.publish([revocation!]);
    await bus.publish([{ ...revocation!, id: 'another-id' }]);
    // A later revocation's event arrives after any repeated one would have.
    await service.revokeSid('kc-later');
    await vi.waitFor(() => expect(events.at(-1)?.revocation).toMatchObject({ sid: 'kc-later' }));
    expect(events.map((event) => (event.revocation.type === 'sid' ? event.revocation.sid : ''))).toEqual(['kc-echo', 'kc-later']);
  });

  it("the past logouts a starting instance reads from the shared log are applied without onLogout; what comes after is announced", async () => {
    const options = resolveOptions({ issuer: 'https://kc.example/realms/demo', clientId: 'app' });
    const store = new RevocationStore();
    const registry = new MemorySessionRegistry();
    stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
    const expiresAt = Date.now() + 60_000;
    const past = (sid: string) => ({ type: 'sid' as const, sid, id: `log-${sid}`, source: 'backchannel-logout' as const, revokedAt: Date.now() - 1_000, expiresAt });
    /** A shared bus as the Redis one behaves: start() delivers the log written before this instance started. */
    class SharedLogBus extends LocalRevocationBus {
      override start(): Promise<void> {
        return this.publish([past('kc-past-1'), past('kc-past-2')]);
      }
    }
    const bus = new SharedLogBus();
    const service = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
    const events = listen(service);
    await registry.register(session({ adapterSessionId: 'sess-past', sid: 'kc-past-1' }));

    // Made here while the app boots: announced.
    await service.revokeSid('kc-made-here');
    await service.onApplicationBootstrap();
    expect(service.revocationReason({ sid: 'kc-past-1' })).toBe('sid');
    expect(service.revocationReason({ sid: 'kc-past-2' })).toBe('sid');
    // Read from the log once started (another instance's logout): announced, with its sessions.
    await registry.register(session({ adapterSessionId: 'sess-remote', sid: 'kc-remote' }));
    await bus.publish([past('kc-remote')]);
    // Events arrive in the order of their revocations: the last one's means any earlier one's would have.
    await vi.waitFor(() => expect(events.at(-1)?.revocation).toMatchObject({ sid: 'kc-remote' }));
    expect(events.map((event) => (event.revocation.type === 'sid' ? event.revocation.sid : ''))).toEqual(['kc-made-here', 'kc-remote']);
    expect(events[1]!.sessions.map((record) => record.adapterSessionId)).toEqual(['sess-remote']);
  });

  it('a failing listener does not keep the others from the event; an unsubscribed one gets nothing', async () => {
    const { service } = setup();
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const reached: string[] = [];
    service.onLogout(() => {
      throw new Error('listener broke');
    });
    service.onLogout(() => Promise.reject(new Error('async listener broke')));
    service.onLogout(() => void reached.push('third'));
    const unsubscribe = service.onLogout(() => void reached.push('unsubscribed'));
    unsubscribe();
    // Listeners run in the order they subscribed: once the last one ran, every one had its turn.
    service.onLogout(() => void reached.push('last'));

    await service.revokeSid('kc-1');
    await vi.waitFor(() => expect(reached).toContain('last'));
    expect(reached).toEqual(['third', 'last']);
    expect(logged.mock.calls.map(([line]) => line)).toEqual(['onLogout listener failed: listener broke', 'onLogout listener failed: async listener broke']);
  });

  it('horizon: what was issued longer ago than revocationTtl is refused, since its revocation may be forgotten', async () => {
    const { service } = setup({ revocationTtl: 600 });
    expect(service.revocationReason({ sub: 'dave', iat: nowSeconds() - 602 })).toBe('horizon');
    expect(service.revocationReason({ sub: 'dave', iat: nowSeconds() - 590 })).toBeUndefined();
    // Without an iat there is no age to judge.
    expect(service.revocationReason({ sub: 'dave' })).toBeUndefined();
    // A revocation that is still known is the more precise reason.
    await service.revokeSid('kc-dave');
    expect(service.revocationReason({ sid: 'kc-dave', iat: nowSeconds() - 602 })).toBe('sid');
  });

  describe('with a memo (what the bearer guard keeps per cached token)', () => {
    const subject = { sid: 'kc-erin', sub: 'erin', iat: nowSeconds() - 5 };

    it.each([
      ['sid', (service: RevocationService) => service.revokeSid('kc-erin')],
      ['subject', (service: RevocationService) => service.revokeSubject('erin')],
      ['not-before', (service: RevocationService) => service.setNotBefore(nowSeconds())],
    ])('a "not revoked" is reused only until a revocation is applied: a %s revocation refuses at the next check', async (reason, revoke) => {
      const { service } = setup();
      const memo = newRevocationMemo();
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(memo.notRevokedAt).toBeGreaterThan(0);
      await revoke(service);
      expect(service.revocationReason(subject, memo)).toBe(reason);
      // A refusal is never remembered: asked again, the maps answer again.
      expect(memo.notRevokedAt).toBeGreaterThan(0);
      expect(service.revocationReason(subject, memo)).toBe(reason);
    });

    it('skips the maps while the store version stands, and reads them again once it moves', async () => {
      const { service, store } = setup();
      const memo = newRevocationMemo();
      const check = vi.spyOn(store, 'check');
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(check).toHaveBeenCalledTimes(1);
      // A revocation of somebody else moves the version too: the next check reads the maps once.
      await service.revokeSid('kc-someone-else');
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('a duplicate revocation, which adds nothing, still moves the version (it may extend an expired entry)', () => {
      const { store } = setup();
      const revocation = { id: 'r1', type: 'sid' as const, sid: 'kc-x', source: 'api' as const, revokedAt: Date.now(), expiresAt: Date.now() + 60_000 };
      expect(store.apply(revocation)).toBe(true);
      const before = store.version;
      expect(store.apply(revocation)).toBe(false);
      expect(store.version).not.toBe(before);
    });

    it('a re-revocation of an expired, not yet pruned sid refuses at once', () => {
      const { service, store } = setup();
      const memo = newRevocationMemo();
      const revokedAt = Date.now() - 120_000;
      store.apply({ id: 'old', type: 'sid', sid: 'kc-erin', source: 'api', revokedAt, expiresAt: Date.now() + 50 }, revokedAt);
      // Kept to the next whole second (the store's granularity): two seconds on, it has expired.
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 2_000);
      // The old revocation has expired (not yet pruned): the subject is not revoked, and memoised so.
      expect(service.revocationReason(subject, memo)).toBeUndefined();
      expect(store.apply({ id: 'new', type: 'sid', sid: 'kc-erin', source: 'api', revokedAt: Date.now(), expiresAt: Date.now() + 60_000 })).toBe(false);
      expect(service.revocationReason(subject, memo)).toBe('sid');
    });

    it('the horizon is judged on every call, whatever the memo says', () => {
      const { service } = setup({ revocationTtl: 600 });
      const memo = newRevocationMemo();
      const aging = { sub: 'frank', iat: nowSeconds() - 590 };
      expect(service.revocationReason(aging, memo)).toBeUndefined();
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 20_000);
      expect(service.revocationReason(aging, memo)).toBe('horizon');
    });

    it('judges the horizon at the clock reading a caller passes, with or without a memo', () => {
      const { service } = setup({ revocationTtl: 600 });
      const memo = newRevocationMemo();
      const aging = { sub: 'hana', iat: nowSeconds() - 590 };
      expect(service.revocationReason(aging, memo, Date.now())).toBeUndefined();
      expect(service.revocationReason(aging, memo, Date.now() + 20_000)).toBe('horizon');
      expect(service.revocationReason(aging, undefined, Date.now() + 20_000)).toBe('horizon');
      // The memo was not spoiled by the later reading: now is still within the horizon.
      expect(service.revocationReason(aging, memo)).toBeUndefined();
    });

    it('a memo written before it carried the horizon (an app\'s own `{ notRevokedAt }`) is checked in full once, then kept', () => {
      const { service, store } = setup({ revocationTtl: 600 });
      const memo: RevocationMemo = { notRevokedAt: 0 };
      const check = vi.spyOn(store, 'check');
      const aging = { sub: 'gina', iat: nowSeconds() - 590 };
      expect(service.revocationReason(aging, memo)).toBeUndefined();
      memo.horizonEnd = undefined;
      expect(service.revocationReason(aging, memo)).toBeUndefined();
      expect(check).toHaveBeenCalledTimes(2);
      expect(memo.horizonEnd).toBe(aging.iat + 600);
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 20_000);
      expect(service.revocationReason(aging, memo)).toBe('horizon');
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('a subject without iat has no horizon, memo or not; one issued before the epoch by more than the lifetime is beyond it', () => {
      const { service } = setup({ revocationTtl: 600 });
      const memo = newRevocationMemo();
      expect(service.revocationReason({ sub: 'hal' }, memo)).toBeUndefined();
      vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 10 * 365 * 86_400_000);
      expect(service.revocationReason({ sub: 'hal' }, memo)).toBeUndefined();
      // iat + revocationTtl below zero must not read as "no iat" (the -1 of the memo). A realm
      // with no revocation yet has no not-before to refuse it first.
      const ancient = { sub: 'ivy', iat: -1_000, issuer: 'https://keycloak.example/realms/quiet' };
      expect(service.revocationReason(ancient, newRevocationMemo())).toBe('horizon');
      expect(service.revocationReason(ancient)).toBe('horizon');
    });

    it('versions never repeat across stores, so a memo of one module never answers for another', () => {
      const first = setup();
      const second = setup();
      const memo = newRevocationMemo();
      expect(first.service.revocationReason(subject, memo)).toBeUndefined();
      const check = vi.spyOn(second.store, 'check');
      second.service.revocationReason(subject, memo);
      expect(check).toHaveBeenCalledTimes(1);
      expect(first.store.version).not.toBe(second.store.version);
    });
  });
});
