import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveConnectionRegistry } from '../live-connections/live-connection-registry.service.js';
import type { TrackedConnection } from '../live-connections/live-connection.interface.js';
import { resolveOptions } from '../options/resolve-options.js';
import { KnownRevocations } from '../redis/known-revocations.js';
import { decodeBatch, encodeEntry } from '../redis/revocation-codec.js';
import { decodeSessionRecord, encodeSessionRecord } from '../redis/session-record-codec.js';
import { MemorySessionRegistry } from '../registry/memory-session-registry.js';
import type { SessionRecord } from '../registry/session-record.interface.js';
import { KeycloakLogoutTelemetry } from '../telemetry/keycloak-logout-telemetry.js';
import type { LogoutEvent } from './logout-event.interface.js';
import { LocalRevocationBus } from './revocation-bus.js';
import { RevocationStore } from './revocation-store.js';
import type { Revocation } from './revocation.interface.js';
import { RevocationService } from './revocation.service.js';

const PRIMARY = 'https://kc.example/realms/demo';
const PARTNERS = 'https://kc.example/realms/partners';
const nowSeconds = () => Math.floor(Date.now() / 1000);
const stops: Array<() => void> = [];
afterEach(() => {
  stops.splice(0).forEach((stop) => stop());
  vi.restoreAllMocks();
});

function setup() {
  const options = resolveOptions({ issuer: PRIMARY, clientId: 'app', realms: [{ name: 'partners', issuer: PARTNERS, clientId: 'partner-app' }] });
  const store = new RevocationStore();
  const registry = new MemorySessionRegistry();
  const bus = new LocalRevocationBus();
  stops.push(() => store.onModuleDestroy(), () => registry.onModuleDestroy());
  const service = new RevocationService(options, store, registry, bus, new KeycloakLogoutTelemetry(options, store, registry, bus));
  return { service, store, registry, bus };
}

function session(fields: Partial<SessionRecord>): SessionRecord {
  return { sub: 'alice', clientId: 'app', issuedAt: nowSeconds() - 10, expiresAt: nowSeconds() + 3_600, ...fields };
}

function revocation(body: Record<string, unknown>): Revocation {
  return { id: `r-${Math.random()}`, source: 'api', revokedAt: Date.now(), expiresAt: Date.now() + 60_000, ...body } as Revocation;
}

describe('revocations per realm', () => {
  it('the store keeps each realm\'s sid, app session, watermark and not-before apart', () => {
    const store = new RevocationStore();
    stops.push(() => store.onModuleDestroy());
    const iat = nowSeconds() - 10;
    store.apply(revocation({ type: 'sid', sid: 'same', issuer: PARTNERS }));
    store.apply(revocation({ type: 'subject', sub: 'alice', issuedBefore: nowSeconds(), issuer: PARTNERS }));
    store.apply(revocation({ type: 'adapter-session', adapterSessionId: 'app-1', issuer: PARTNERS }));
    const notBefore = nowSeconds();
    store.apply(revocation({ type: 'not-before', notBefore, issuer: PARTNERS }));

    expect(store.check({ sid: 'same', iat: nowSeconds() + 1, issuer: PARTNERS })).toBe('sid');
    expect(store.check({ sub: 'alice', iat, issuer: PARTNERS })).toBe('subject');
    expect(store.check({ adapterSessionId: 'app-1', iat: nowSeconds() + 1, issuer: PARTNERS })).toBe('adapter-session');
    expect(store.check({ sub: 'bob', iat, issuer: PARTNERS })).toBe('not-before');
    // The primary realm (no issuer) and a third realm see none of it.
    for (const issuer of [undefined, 'https://kc.example/realms/third']) {
      expect(store.check({ sid: 'same', sub: 'alice', adapterSessionId: 'app-1', iat, issuer })).toBeUndefined();
    }
    expect(store.currentNotBefore).toBe(0);
    expect(store.notBeforeOf(PARTNERS)).toBe(notBefore);
    expect(store.size).toBe(3);
  });

  it('the service stamps revocations of a named realm with its issuer, and leaves the primary realm\'s without one', async () => {
    const { service } = setup();
    const [primary] = await service.revokeSid('kc-1');
    const [byName] = await service.revokeSid('kc-1', { realm: 'partners' });
    const [byIssuer] = await service.revokeSid('kc-2', { realm: PARTNERS });
    const [byPrimaryIssuer] = await service.revokeSid('kc-3', { realm: PRIMARY });
    expect(primary).not.toHaveProperty('issuer');
    expect(byPrimaryIssuer).not.toHaveProperty('issuer');
    expect(byName).toMatchObject({ type: 'sid', sid: 'kc-1', issuer: PARTNERS });
    expect(byIssuer).toMatchObject({ type: 'sid', sid: 'kc-2', issuer: PARTNERS });
  });

  it('a sub watermark and a not-before in one realm leave the same sub and iat of another realm accepted', async () => {
    const { service } = setup();
    const iat = nowSeconds() - 10;
    await service.revokeSubject('alice', { realm: 'partners' });
    const notBefore = nowSeconds();
    await service.setNotBefore(notBefore, { realm: 'partners' });
    expect(service.revocationReason({ sub: 'alice', iat, issuer: PARTNERS })).toBe('subject');
    expect(service.revocationReason({ sub: 'alice', iat })).toBeUndefined();
    expect(service.notBefore).toBe(0);
    expect(service.notBeforeOf('partners')).toBe(notBefore);
  });

  it('refuses a realm that is not configured, and publishes nothing', async () => {
    const { service, bus } = setup();
    const publish = vi.spyOn(bus, 'publish');
    await expect(service.revokeSid('kc-1', { realm: 'nowhere' })).rejects.toThrow(/no configured realm is named "nowhere"/);
    await expect(service.revokeSubject('alice', { realm: 'https://evil.example/realms/x' })).rejects.toThrow(RangeError);
    expect(() => service.notBeforeOf('nowhere')).toThrow(RangeError);
    expect(publish).not.toHaveBeenCalled();
  });

  it('a realm\'s logout lists and revokes only the registered sessions of that realm', async () => {
    const { service, registry } = setup();
    await registry.register(session({ adapterSessionId: 'app-1', sid: 'same' }));
    await registry.register(session({ adapterSessionId: 'app-2', sid: 'same', issuer: PARTNERS }));
    const events: LogoutEvent[] = [];
    service.onLogout((event) => void events.push(event));

    await service.revokeSid('same', { realm: 'partners' });
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]!.sessions.map((s) => s.adapterSessionId)).toEqual(['app-2']);

    // The user's watermark in the primary realm revokes the primary session's sid only.
    const revocations = await service.revokeSubject('alice');
    expect(revocations.map((r) => [r.type, r.issuer])).toEqual([['subject', undefined], ['sid', undefined]]);
    // An app session of the primary realm is not linked to a partners sid by a partners k_logout.
    const fromPartners = await service.revokeAdapterSession('app-1', { realm: 'partners' });
    expect(fromPartners.map((r) => r.type)).toEqual(['adapter-session']);
  });

  it('Redis entries and records carry the realm through, and old ones without it still decode (primary realm)', () => {
    const partners = revocation({ type: 'sid', sid: 's', issuer: PARTNERS });
    const primary = revocation({ type: 'sid', sid: 's' });
    expect(decodeBatch(encodeEntry([partners, primary]).r)).toEqual([partners, primary]);
    expect(decodeBatch(JSON.stringify([{ ...partners, issuer: 42 }]))).toEqual([]);
    const record = session({ sid: 's', issuer: PARTNERS });
    expect(decodeSessionRecord(encodeSessionRecord(record), 'k:s')).toEqual(record);
    // The primary realm's record keeps the five-field form, so older instances still read it.
    expect(JSON.parse(encodeSessionRecord(session({ sid: 's' })))).toHaveLength(5);
    expect(decodeSessionRecord(JSON.stringify(['s', 'alice', 'app', 1, 2, ['x']]), 'k:s')).toBeUndefined();
    expect(decodeSessionRecord(JSON.stringify({ ...record, issuer: ['x'] }), 'k:s')).toBeUndefined();
  });

  it('the revocations re-published after a lost log keep the same sid and not-before of two realms apart', () => {
    const known = new KnownRevocations();
    const sidA = revocation({ type: 'sid', sid: 'same' });
    const sidB = revocation({ type: 'sid', sid: 'same', issuer: PARTNERS, expiresAt: Date.now() + 120_000 });
    const nbfA = revocation({ type: 'not-before', notBefore: 100 });
    const nbfB = revocation({ type: 'not-before', notBefore: 50, issuer: PARTNERS });
    known.add([sidA, sidB, nbfA, nbfB]);
    expect(known.live()).toHaveLength(4);
  });

  it('live connections are closed only by a revocation of their own realm', () => {
    const registry = new LiveConnectionRegistry();
    const connection = (subject: TrackedConnection['subject']): TrackedConnection => ({ kind: 'websocket', context: 'ws', subject, client: {}, close: () => undefined });
    const primary = connection({ sid: 'same', sub: 'alice', iat: 100 });
    const partner = connection({ sid: 'same', sub: 'alice', iat: 100, issuer: PARTNERS });
    registry.register(primary);
    registry.register(partner);
    expect(registry.matching(revocation({ type: 'sid', sid: 'same', issuer: PARTNERS }))).toEqual([partner]);
    expect(registry.matching(revocation({ type: 'sid', sid: 'same' }))).toEqual([primary]);
    expect(registry.matching(revocation({ type: 'subject', sub: 'alice', issuedBefore: 200, issuer: PARTNERS }))).toEqual([partner]);
    expect(registry.matching(revocation({ type: 'not-before', notBefore: 200 }))).toEqual([primary]);
  });
});
