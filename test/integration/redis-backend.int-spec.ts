import { randomUUID } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, type Revocation } from '../../lib/index.js';
import { createRedisLogoutBackend, redisKeys, type RedisLogoutBackend, type RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { encodeEntry } from '../../lib/redis/revocation-codec.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { checkRedisForSuite, RedisServer } from '../support/redis-server.js';
import { indexedMembers, memberFingerprints, privateRedisForSuite, quietLogger, registryLines, sidRevocation } from '../support/redis-test-helpers.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

/* The Redis backend's parts in this process, against a private redis-server. */

const enabled = checkRedisForSuite('Redis backend integration tests');

describe.skipIf(!enabled)('Redis logout backend', () => {
  const suite = privateRedisForSuite();
  let prefixCounter = 0;

  function backend(options: Partial<RedisLogoutBackendOptions> = {}, server = suite.redis): RedisLogoutBackend {
    const created = createRedisLogoutBackend({
      url: server.url,
      keyPrefix: `unit${++prefixCounter}:`,
      logger: quietLogger(),
      ...options,
    });
    suite.open.push(created);
    return created;
  }

  describe('session registry', () => {
    const record = (over: Partial<{ adapterSessionId: string; sid: string; sub: string; expiresAt: number }> = {}) => ({
      sub: 'user-1',
      clientId: 'app',
      issuedAt: Math.floor(Date.now() / 1000),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      ...over,
    });

    it('registers and finds sessions by adapter session id, sid and sub, under one key prefix', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'reg-a:' });
      await registry.register(record({ adapterSessionId: 'as-1', sid: 'sid-1' }));
      await registry.register(record({ adapterSessionId: 'as-2', sid: 'sid-1' }));
      await registry.register(record({ sid: 'sid-2' }));
      await registry.register(record({ adapterSessionId: 'as-3', sid: 'sid-3', sub: 'user-2' }));

      expect(await registry.findByAdapterSessionId('as-1')).toMatchObject({ adapterSessionId: 'as-1', sid: 'sid-1' });
      expect((await registry.findBySid('sid-1')).map((r) => r.adapterSessionId).sort()).toEqual(['as-1', 'as-2']);
      expect(await registry.findBySubject('user-1')).toHaveLength(3);
      expect(await registry.findBySubject('user-2')).toHaveLength(1);

      // Only registry buckets, under the one prefix: 4 records, each listed under its sid and its user.
      expect((await suite.admin.keys('reg-a:*')).every((key) => /^reg-a:registry:\d+$/.test(key))).toBe(true);
      const lines = await registryLines(suite.admin, 'reg-a:');
      expect(lines.filter((line) => /^[ak]/.test(line))).toHaveLength(4);
      expect(lines.filter((line) => line.startsWith('i'))).toHaveLength(8);

      await registry.remove({ adapterSessionId: 'as-1' });
      expect(await registry.findByAdapterSessionId('as-1')).toBeUndefined();
      expect((await registry.findBySid('sid-1')).map((r) => r.adapterSessionId)).toEqual(['as-2']);
      expect(await indexedMembers(suite.admin, 'reg-a:', 'u', 'user-1')).not.toContain(memberFingerprints('as-1')[0]);
      expect(await indexedMembers(suite.admin, 'reg-a:', 's', 'sid-1')).toEqual(memberFingerprints('as-2'));
    });

    it('records expire with their session: an expired line is never returned, and leaves the indexes', async () => {
      const { sessionRegistry: registry } = backend({ keyPrefix: 'reg-b:' });
      const short = record({ adapterSessionId: 'short', sid: 'sid-x', expiresAt: Math.floor(Date.now() / 1000) + 1 });
      await registry.register(short);
      await registry.register(record({ adapterSessionId: 'long', sid: 'sid-x' }));
      expect((await registry.findBySid('sid-x')).map((r) => r.adapterSessionId).sort()).toEqual(['long', 'short']);
      await waitFor(async () => (await registry.findByAdapterSessionId('short')) === undefined, 'record expired', 3_000);
      expect(Date.now()).toBeGreaterThanOrEqual(short.expiresAt * 1000);
      expect((await registry.findBySid('sid-x')).map((r) => r.adapterSessionId)).toEqual(['long']);
      // Registering again rewrites the sid's bucket without the expired line.
      await registry.register(record({ adapterSessionId: 'long', sid: 'sid-x' }));
      expect(await indexedMembers(suite.admin, 'reg-b:', 's', 'sid-x')).toEqual(memberFingerprints('long'));
    });

    it('keeps every index entry when two instances register sessions of one user at the same time', async () => {
      const [a, b] = [backend({ keyPrefix: 'reg-c:' }), backend({ keyPrefix: 'reg-c:' })];
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).sessionRegistry.register(record({ adapterSessionId: `c-${i}`, sub: 'busy' }))),
      );
      expect(await a.sessionRegistry.findBySubject('busy')).toHaveLength(40);
    });

    it('claimTokenId is atomic across instances (SET NX PX), releasable, and expires', async () => {
      const [a, b, c] = [backend({ keyPrefix: 'jti:' }), backend({ keyPrefix: 'jti:' }), backend({ keyPrefix: 'jti:' })];
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) => [a, b, c][i % 3]!.sessionRegistry.claimTokenId('https://kc/realms/x#jti-1', 60_000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      await b.sessionRegistry.releaseTokenId('https://kc/realms/x#jti-1');
      expect(await c.sessionRegistry.claimTokenId('https://kc/realms/x#jti-1', 60_000)).toBe(true);

      expect(await a.sessionRegistry.claimTokenId('short-lived', 200)).toBe(true);
      expect(await b.sessionRegistry.claimTokenId('short-lived', 200)).toBe(false);
      await waitFor(() => b.sessionRegistry.claimTokenId('short-lived', 200), 'claim expired', 2_000);
      // The key is hashed: claims come from token contents and must not grow keys unboundedly.
      expect((await suite.admin.keys('jti:jti:*')).every((key) => /^jti:jti:[\w-]{43}$/.test(key))).toBe(true);
    });
  });

  describe('revocation bus', () => {
    it('start() catches up with everything published before it started; another key prefix is another log', async () => {
      const writer = backend({ keyPrefix: 'bus-a:' });
      await writer.revocationBus.start();
      const early = [sidRevocation('s-1'), sidRevocation('s-2')];
      await writer.revocationBus.publish(early);
      await writer.revocationBus.publish([sidRevocation('s-3')]);

      const late = backend({ keyPrefix: 'bus-a:' });
      const received: Revocation[] = [];
      late.revocationBus.subscribe((list) => received.push(...list));
      const other = backend({ keyPrefix: 'bus-other:' });
      const otherReceived: Revocation[] = [];
      other.revocationBus.subscribe((list) => otherReceived.push(...list));
      await Promise.all([late.revocationBus.start(), other.revocationBus.start()]);
      // Caught up by the time start() resolved, before any request could be served.
      expect(received.map((r) => (r.type === 'sid' ? r.sid : '')).sort()).toEqual(['s-1', 's-2', 's-3']);
      expect(otherReceived).toEqual([]);
      expect(late.health()).toMatchObject({ status: 'up', state: 'fresh', stale: false, knownRevocations: 3 });

      // And from then on, live: a publish elsewhere arrives within milliseconds.
      const started = Date.now();
      await writer.revocationBus.publish([sidRevocation('s-4')]);
      await waitFor(() => received.some((r) => r.type === 'sid' && r.sid === 's-4'), 'live delivery', 1_000);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('start() reads a log of several catch-up pages: every live revocation once, in log order, expired entries skipped, stale until done', async () => {
      const keys = redisKeys('bus-pages:');
      const now = Date.now();
      // Past two full catch-up pages (5,000 entries each) and into a third.
      const total = 12_345;
      const expected: string[] = [];
      const writes: Array<Promise<unknown>> = [];
      for (let i = 0; i < total; i += 1) {
        // Every thousandth a (live) not-before, whose order matters; of the others, every third has expired.
        const expired = i % 1_000 !== 0 && i % 3 === 2;
        const revocation: Revocation =
          i % 1_000 === 0
            ? { type: 'not-before', notBefore: i, id: randomUUID(), source: 'keycloak-admin', revokedAt: now, expiresAt: now + 60_000 }
            : { ...sidRevocation(`p-${i}`), expiresAt: expired ? now - 1_000 : now + 60_000 };
        if (!expired) expected.push(revocation.type === 'sid' ? revocation.sid : `nb-${i}`);
        writes.push(suite.admin.xAdd(keys.stream, '*', encodeEntry([revocation])));
      }
      await Promise.all(writes);

      const late = backend({ keyPrefix: 'bus-pages:' });
      const received: string[] = [];
      late.revocationBus.subscribe((list) => received.push(...list.map((r) => (r.type === 'sid' ? r.sid : r.type === 'not-before' ? `nb-${r.notBefore}` : '?'))));
      const starting = late.revocationBus.start();
      expect(late.health().stale).toBe(true);
      await starting;
      // In log order, each once: the not-before ones ascending as written.
      expect(received).toEqual(expected);
      expect(late.health()).toMatchObject({ status: 'up', state: 'fresh', stale: false });
      expect(late.revocationBus.status().lastEntryId).toBe((await suite.admin.xRevRange(keys.stream, '+', '-', { COUNT: 1 }))[0]!.id);
    });

    it('trims entries off the shared log once they expire, so it stays bounded', async () => {
      const bus = backend({ keyPrefix: 'bus-trim:', trimInterval: 1_000 });
      await bus.revocationBus.start();
      await bus.revocationBus.publish([sidRevocation('brief-1', 300)]);
      await bus.revocationBus.publish([sidRevocation('brief-2', 300), sidRevocation('brief-3', 300)]);
      await bus.revocationBus.publish([sidRevocation('lasting', 60_000)]);
      await bus.revocationBus.publish([sidRevocation('brief-4', 300)]);
      expect(await suite.admin.xLen('bus-trim:revocations')).toBe(4);
      // The expired head goes; an expired entry behind a live one waits for it (the log is trimmed from its start).
      await waitFor(async () => (await suite.admin.xLen('bus-trim:revocations')) === 2, 'expired head trimmed', 4_000);
      const entries = await suite.admin.xRange('bus-trim:revocations', '-', '+');
      expect(entries.map((e) => JSON.parse(e.message.r!)[0].sid)).toEqual(['lasting', 'brief-4']);
    });

    it('health(): stale only after maxStaleness without a complete read; one log line per state change; terminus-shaped check()', async () => {
      const server = await RedisServer.start();
      try {
        const logger = quietLogger();
        const { revocationBus: bus, health, check } = backend({ keyPrefix: 'health:', maxStaleness: 300, maxReconnectDelay: 100, recoveryGrace: 300, logger }, server);
        expect(bus.health().stale).toBe(true);
        expect(health().state).toBe('idle');
        await bus.start();
        expect(bus.health()).toEqual({ stale: false, detail: 'fresh' });
        expect(check()).toEqual({ 'keycloak-logout': expect.objectContaining({ status: 'up', state: 'fresh' }) });

        await server.stop();
        // A blip shorter than the bound changes nothing for the guards...
        expect(bus.health().stale).toBe(false);
        await waitFor(() => health().state === 'reconnecting', 'reconnecting', 1_000);
        expect(health()).toMatchObject({ status: 'up', stale: false, detail: expect.stringMatching(/^reconnecting/) });
        // ...a longer outage makes the view stale.
        await waitFor(() => bus.health().stale, 'stale', 3_000);
        expect(bus.health().detail).toMatch(/no complete read of the revocation log from Redis for \d+ ms \(limit 300 ms\)/);
        expect(check('redis-logout')).toEqual({ 'redis-logout': expect.objectContaining({ status: 'down', state: 'stale' }) });

        await server.restart();
        // Back, but other instances may still have to write what they revoked meanwhile: stale a little longer.
        await waitFor(() => health().state === 'recovering', 'recovering', 5_000);
        expect(bus.health()).toMatchObject({ stale: true, detail: expect.stringMatching(/^recovering from a Redis outage/) });
        await waitFor(() => !bus.health().stale, 'fresh again', 5_000);
        expect(health().state).toBe('fresh');
        // The restarted Redis is empty (nothing persisted): the reader notices the lost log too.
        expect(logger.lines.map((line) => line.replace(/[:;(].*$/s, '').trim())).toEqual([
          'log connected to Redis',
          'log revocation view is fresh',
          'warn lost the connection to Redis',
          'error revocation view is STALE',
          'log reconnected to Redis',
          'log the shared revocation log was lost',
          'warn the shared revocation log was lost',
          'log revocation view is fresh',
        ]);
      } finally {
        await Promise.all(suite.open.splice(0).map((b) => b.close()));
        await server.stop();
      }
    });

    it('while Redis is down: a publish is enforced locally, rejected, queued and shared after recovery; replay checks fall back to memory', async () => {
      const server = await RedisServer.start();
      try {
        const options = { keyPrefix: 'down:', maxStaleness: 300, maxReconnectDelay: 100, recoveryGrace: 200, commandTimeout: 200 };
        const a = backend(options, server);
        const b = backend(options, server);
        const seenByA: Revocation[] = [];
        const seenByB: Revocation[] = [];
        a.revocationBus.subscribe((list) => seenByA.push(...list));
        b.revocationBus.subscribe((list) => seenByB.push(...list));
        await Promise.all([a.revocationBus.start(), b.revocationBus.start()]);

        await server.stop();
        const revocation = sidRevocation('made-offline');
        const started = Date.now();
        await expect(a.revocationBus.publish([revocation])).rejects.toThrow(/Redis is unreachable: the revocation is enforced on this instance/);
        // Fails within commandTimeout (no offline queue), and the local view has it at once.
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(seenByA).toEqual([revocation]);
        expect(a.health().unsharedRevocations).toBe(1);
        expect(await a.sessionRegistry.claimTokenId('offline-jti', 60_000)).toBe(true);
        expect(await a.sessionRegistry.claimTokenId('offline-jti', 60_000)).toBe(false);
        await expect(a.sessionRegistry.findBySid('any')).rejects.toThrow(/cannot reach Redis/);

        await server.restart();
        await waitFor(() => seenByB.some((r) => r.id === revocation.id), 'shared after recovery', 5_000);
        // B can read the entry before A's XADD reply arrives and A empties its outbox: wait for both.
        await waitFor(() => a.health().unsharedRevocations === 0, 'outbox emptied', 5_000);
      } finally {
        await Promise.all(suite.open.splice(0).map((b) => b.close()));
        await server.stop();
      }
    });

    it('copies the settings of an app\'s client (here a @keyv/redis store\'s) without using or closing it', async () => {
      const store = new KeyvRedis(`${suite.redis.url}/3`);
      const b = backend({ url: undefined, client: store.client, keyPrefix: 'from-client:' });
      await b.revocationBus.start();
      await b.revocationBus.publish([sidRevocation('via-app-client')]);
      const db3 = createClient({ url: suite.redis.url, database: 3 });
      await db3.connect();
      try {
        // Its database setting was kept: the log is in db 3.
        expect(await db3.xLen('from-client:revocations')).toBe(1);
        expect(await suite.admin.exists('from-client:revocations')).toBe(0);
      } finally {
        await db3.close();
      }
      await b.close();
      expect(store.client.isOpen).toBe(false);
    });

    it('close() releases both connections and is idempotent', async () => {
      // Redis may still list the connections an earlier test just closed: count from when only the admin's is left.
      await waitFor(async () => (await suite.admin.clientList()).length === 1, 'the connections of earlier tests gone');
      const before = 1;
      const b = backend();
      await b.revocationBus.start();
      await b.sessionRegistry.claimTokenId('x', 1_000);
      expect((await suite.admin.clientList()).length).toBe(before + 2);
      await b.close();
      await b.close();
      expect((await suite.admin.clientList()).length).toBe(before);
      expect(b.health()).toMatchObject({ status: 'down', state: 'closed' });
    });
  });

  describe('in a Nest app', () => {
    let realm: FakeRealm;
    let app: TestApp | undefined;

    beforeAll(async () => {
      realm = await FakeRealm.start();
    });
    afterAll(async () => {
      await app?.close();
      await realm?.close();
    });

    it.each(['refuse', 'allow'] as const)('failurePolicy %s while the view is stale', async (failurePolicy) => {
      const server = await RedisServer.start();
      try {
        const redisBackend = createRedisLogoutBackend({ url: server.url, maxStaleness: 200, logger: quietLogger() });
        app = await startTestApp(
          'express',
          KeycloakLogoutModule.forRootAsync({
            useFactory: () => ({
              issuer: realm.issuer,
              clientId: 'app-nest',
              failurePolicy,
              backend: redisBackend,
            }),
          }),
        );
        const token = await keycloakAccessToken(realm, { clientId: 'app-nest', sub: 'mallory', sid: 'nest-sid' });
        const me = () => fetch(`${app!.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
        expect((await me()).status).toBe(200);

        await server.stop();
        await waitFor(() => redisBackend.health().stale, 'stale', 3_000);
        const response = await me();
        if (failurePolicy === 'refuse') {
          expect(response.status).toBe(503);
          expect(await response.json()).toEqual({
            error: 'temporarily_unavailable',
            error_description: expect.stringMatching(/^revocation state may be stale \(no complete read of the revocation log/),
          });
        } else {
          expect(response.status).toBe(200);
        }

        // Nest's shutdown hooks close the backend: nothing left that would keep the process alive.
        await app.close();
        app = undefined;
        expect(redisBackend.health().state).toBe('closed');
      } finally {
        await server.stop();
      }
    });

    it('app.close() leaves no connection on Redis', async () => {
      const redisBackend = createRedisLogoutBackend({ url: suite.redis.url, keyPrefix: 'nest:', logger: quietLogger() });
      const before = (await suite.admin.clientList()).length;
      app = await startTestApp(
        'fastify',
        KeycloakLogoutModule.forRoot({
          issuer: realm.issuer,
          clientId: 'app-nest',
          backend: redisBackend,
        }),
      );
      expect((await suite.admin.clientList()).length).toBe(before + 2);
      await app.close();
      app = undefined;
      expect((await suite.admin.clientList()).length).toBe(before);
    });
  });
});
