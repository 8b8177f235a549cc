import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, LiveConnectionRegistry, MemorySessionRegistry, RefusalLog, RevocationService } from '../../lib/index.js';
import { SwitchableBus } from '../support/switchable-bus.js';
import { FakeRealm } from '../support/fake-realm.js';
import { GRAPHQL_DRIVERS, graphqlParts, graphqlQuery, MERCURIUS_SUBSCRIPTIONS, SESSION_COOKIE, startGraphqlApp, TICKS, type GraphqlTestApp } from '../support/graphql-app.js';
import { errorCodes, graphqlWsClient, recordSubscription, type SubscriptionLog } from '../support/graphql-ws-client.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { waitFor } from '../support/wait-for.js';
import { applySession, signIn as signInWithCookie, TestLoginController } from '../support/websocket-app.js';

const CLIENT = 'app-graphql';
const now = () => Math.floor(Date.now() / 1000);
const TICKS_QUERY = 'subscription { ticks { n sub } }';

/**
 * How a subscription ended at logout: the graphql-ws `error` message for the operation (the
 * client's `error` callback, with the errors array), no `complete` after it, nothing else.
 */
function expectEndedByLogout(log: SubscriptionLog) {
  expect(log.completed).toBe(false);
  // Exactly what the README's "Live connections closed at logout" table shows.
  expect(log.error).toEqual([{ message: 'the session of this connection has been logged out', extensions: { code: 'UNAUTHENTICATED', error: 'invalid_token' } }]);
}

describe.each(GRAPHQL_DRIVERS)('GraphQL (%s)', (driver) => {
  let realm: FakeRealm;
  let test: GraphqlTestApp;
  const bus = new SwitchableBus();
  let sidCounter = 0;
  const newSid = () => `gql-${driver}-${++sidCounter}`;
  const token = (sub: string, sid: string) => keycloakAccessToken(realm, { clientId: CLIENT, sub, sid });
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const live = () => test.app.get(LiveConnectionRegistry).stats();
  /** Runs inside the closer's beforeClose hook: after the revocation is known, before the subscription is closed. */
  let beforeClose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startGraphqlApp(
      driver,
      KeycloakLogoutModule.forRoot({
        issuer: realm.issuer,
        clientId: CLIENT,
        backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() },
        liveConnections: { beforeClose: () => beforeClose?.() },
      }),
    );
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  describe('queries over HTTP', () => {
    it(`a valid token: the resolver gets its claims through @CurrentToken() (${driver})`, async () => {
      const sid = newSid();
      const { status, body } = await graphqlQuery(test.url, '{ me { sub sid } }', bearer(await token('alice', sid)));
      expect(status).toBe(200);
      expect(body).toEqual({ data: { me: { sub: 'alice', sid } } });
    });

    it(`a revoked token: a GraphQL error UNAUTHENTICATED, not a 500 (${driver})`, async () => {
      const sid = newSid();
      const access = await token('bob', sid);
      expect((await graphqlQuery(test.url, '{ me { sub } }', bearer(access))).body.data).toEqual({ me: { sub: 'bob' } });
      await test.app.get(RevocationService).revokeSid(sid);
      const { status, body } = await graphqlQuery(test.url, '{ me { sub } }', bearer(access));
      expect(status).toBeLessThan(500);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.errors?.[0]?.message).toMatch(/revoked \(sid\)/);
      expect(test.app.get(RefusalLog).countsByContext()['bearer-guard:revoked_sid']?.graphql).toBeGreaterThanOrEqual(1);
    });

    it(`a token verified under one form of the header is served under others, and refused under each once revoked (${driver})`, async () => {
      const sid = newSid();
      const access = await token('gina', sid);
      // The header a token was verified from is matched whole afterwards; the other forms are read as before.
      const forms = [`bearer  ${access}`, `Bearer ${access}`, `BEARER ${access}  `, `bearer  ${access}`];
      for (const authorization of forms) expect((await graphqlQuery(test.url, '{ me { sub sid } }', { authorization })).body).toEqual({ data: { me: { sub: 'gina', sid } } });
      await test.app.get(RevocationService).revokeSid(sid);
      for (const authorization of forms) {
        const { status, body } = await graphqlQuery(test.url, '{ me { sub } }', { authorization });
        expect(status).toBeLessThan(500);
        expect(body.data ?? null).toBeNull();
        expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(body.errors?.[0]?.message).toMatch(/revoked \(sid\)/);
      }
    });

    it(`a mutation is guarded the same way: admitted, then refused once revoked (${driver})`, async () => {
      const sid = newSid();
      const access = await token('mona', sid);
      expect((await graphqlQuery(test.url, 'mutation { touch { sub sid } }', bearer(access))).body).toEqual({ data: { touch: { sub: 'mona', sid } } });
      await test.app.get(RevocationService).revokeSid(sid);
      const refused = await graphqlQuery(test.url, 'mutation { touch { sub } }', bearer(access));
      expect(refused.status).toBeLessThan(500);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it(`no token: UNAUTHENTICATED; the @Public() query still answers (${driver})`, async () => {
      const refused = await graphqlQuery(test.url, '{ me { sub } }');
      expect(refused.status).toBeLessThan(500);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await graphqlQuery(test.url, '{ open }')).body).toEqual({ data: { open: 'open' } });
    });

    it(`a stale revocation view: SERVICE_UNAVAILABLE (${driver})`, async () => {
      const access = await token('carl', newSid());
      bus.stale = true;
      try {
        const { status, body } = await graphqlQuery(test.url, '{ me { sub } }', bearer(access));
        expect(status).toBeLessThan(500);
        expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      } finally {
        bus.stale = false;
      }
    });

    it(`the session guard reads the HTTP session; @CurrentSession() gives the login record (${driver})`, async () => {
      const sid = newSid();
      test.sessions.set(`s-${sid}`, { keycloak: { sub: 'dora', sid, issuedAt: now() } });
      const served = await graphqlQuery(test.url, '{ page { sub sid } }', { 'x-test-session': `s-${sid}` });
      expect(served.body).toEqual({ data: { page: { sub: 'dora', sid } } });
      await test.app.get(RevocationService).revokeSid(sid);
      const refused = await graphqlQuery(test.url, '{ page { sub } }', { 'x-test-session': `s-${sid}` });
      expect(refused.status).toBeLessThan(500);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(test.sessions.has(`s-${sid}`)).toBe(false);
    });
  });

  describe('subscriptions over graphql-ws', () => {
    it(`a valid token in connectionParams: events arrive with the admitted sub; closing leaves nothing registered (${driver})`, async () => {
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('erin', newSid())}` });
      try {
        const log = recordSubscription(client, TICKS_QUERY);
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the subscription to be registered');
        TICKS.publish({ n: 1 });
        await waitFor(() => log.results.length === 1, 'the first tick');
        expect(log.results[0]).toEqual({ data: { ticks: { n: 1, sub: 'erin' } } });
        log.stop();
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the subscription to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`a revoked token at subscribe: refused with UNAUTHENTICATED, nothing registered (${driver})`, async () => {
      const sid = newSid();
      const access = await token('fay', sid);
      await test.app.get(RevocationService).revokeSid(sid);
      const client = graphqlWsClient(test.wsUrl, { Authorization: `Bearer ${access}` });
      try {
        const log = recordSubscription(client, TICKS_QUERY);
        const filtered = recordSubscription(client, 'subscription { evenTicks { n } }');
        await waitFor(() => (log.completed || log.error !== undefined) && (filtered.completed || filtered.error !== undefined), 'the refusals');
        expect(errorCodes(log)).toContain('UNAUTHENTICATED');
        expect(errorCodes(filtered)).toContain('UNAUTHENTICATED');
        expect(live().total).toBe(0);
        expect(TICKS.listenerCount).toBe(0);
      } finally {
        await client.dispose();
      }
    });

    it(`a logout while subscribed ends the subscription with a graphql-ws error UNAUTHENTICATED (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('gus', sid)}` });
      try {
        const log = recordSubscription(client, TICKS_QUERY);
        await waitFor(() => live().byKind['graphql-subscription'] === 1, 'the subscription to be registered');
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined, 'the subscription to end with an error');
        expectEndedByLogout(log);
        expect(log.results).toEqual([]);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the source to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`a subscription with Nest's filter option also ends with the UNAUTHENTICATED error, not a silent complete (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('hugo', sid)}` });
      try {
        const log = recordSubscription(client, 'subscription { evenTicks { n sub } }');
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the filtered subscription to be registered');
        TICKS.publish({ n: 1 });
        TICKS.publish({ n: 2 });
        await waitFor(() => log.results.length === 1, 'the even tick');
        expect(log.results).toEqual([{ data: { evenTicks: { n: 2, sub: 'hugo' } } }]);
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined, 'the filtered subscription to end with an error');
        expectEndedByLogout(log);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the filtered source to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`a subscription with a resolve option that ignores its events also ends with the UNAUTHENTICATED error, no data (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('hedy', sid)}` });
      try {
        const log = recordSubscription(client, 'subscription { constantTicks { n sub } }');
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the subscription to be registered');
        TICKS.publish({ n: 4 });
        await waitFor(() => log.results.length === 1, 'a resolved tick');
        expect(log.results).toEqual([{ data: { constantTicks: { n: 0, sub: 'constant' } } }]);
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined, 'the subscription to end with an error');
        expectEndedByLogout(log);
        expect(log.results).toHaveLength(1);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the source to be released');
      } finally {
        await client.dispose();
      }
    });

    if (driver === 'mercurius-fastify') {
      it('Mercurius: a subscription on its own pubsub ends with UNAUTHENTICATED and its subscription context is closed (no listener left)', async () => {
        const sid = newSid();
        const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('ines', sid)}` });
        try {
          const log = recordSubscription(client, 'subscription { mercuriusTicks { n sub } }');
          // Keeps the socket open (a lazy graphql-ws client closes it with its last subscription, and Mercurius then closes everything).
          const kept = recordSubscription(client, 'subscription { keptTicks { n } }');
          await waitFor(() => MERCURIUS_SUBSCRIPTIONS.length === 1 && live().byKind['graphql-subscription'] === 1 && TICKS.listenerCount === 1, 'the subscriptions to be registered');
          const [pubsub] = MERCURIUS_SUBSCRIPTIONS;
          expect(pubsub!.closed).toBe(false);
          await test.app.get(RevocationService).revokeSid(sid);
          await waitFor(() => log.error !== undefined, 'the subscription to end');
          expectEndedByLogout(log);
          await waitFor(() => pubsub!.closed, "Mercurius' subscription context to be closed");
          expect(live().total).toBe(0);
          expect(kept.error).toBeUndefined();
          kept.stop();
          await waitFor(() => TICKS.listenerCount === 0, 'the kept subscription to be released');
        } finally {
          await client.dispose();
        }
      });
    }

    it(`the other subscriptions of the same graphql-ws connection stay open when one session's subscription ends (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('iris', sid)}` });
      try {
        const ended = recordSubscription(client, TICKS_QUERY);
        const kept = recordSubscription(client, 'subscription { keptTicks { n sub } }');
        await waitFor(() => TICKS.listenerCount === 2, 'both subscriptions to listen');
        expect(live().byKind['graphql-subscription']).toBe(1);
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => ended.error !== undefined, 'the tracked subscription to end');
        expectEndedByLogout(ended);
        // @KeepOpenAtLogout() on the resolver: not registered, not ended; the socket is still up.
        TICKS.publish({ n: 7 });
        await waitFor(() => kept.results.length === 1, 'the kept subscription to receive a tick after the logout');
        expect(kept.results).toEqual([{ data: { keptTicks: { n: 7, sub: 'iris' } } }]);
        expect(kept.error).toBeUndefined();
        expect(kept.completed).toBe(false);
        expect(live().total).toBe(0);
        // A new subscription on the same, still open connection: its connectionParams' token is now revoked.
        const again = recordSubscription(client, TICKS_QUERY);
        await waitFor(() => again.completed || again.error !== undefined, 'the new subscription to be refused');
        expect(errorCodes(again)).toEqual(['UNAUTHENTICATED']);
        expect(JSON.stringify(again)).toMatch(/revoked \(sid\)/);
        expect(TICKS.listenerCount).toBe(1);
        kept.stop();
        await waitFor(() => TICKS.listenerCount === 0, 'the kept subscription to be released when the client stops it');
      } finally {
        await client.dispose();
      }
    });

    it(`an event published after the revocation, before the close, is not delivered: the next event is refused (bearer) (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('jade', sid)}` });
      let refusedBeforeClose = false;
      try {
        const log = recordSubscription(client, TICKS_QUERY);
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the subscription to be registered');
        beforeClose = async () => {
          TICKS.publish({ n: 99 });
          await waitFor(() => log.error !== undefined, 'the event to be refused before the close', 900);
          refusedBeforeClose = true;
        };
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined, 'the subscription to end');
        await waitFor(() => refusedBeforeClose, 'the beforeClose hook to see the refusal');
        expect(log.results).toEqual([]);
        expectEndedByLogout(log);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the source to be released');
      } finally {
        beforeClose = undefined;
        await client.dispose();
      }
    });
  });

  describe('subscriptions over graphql-ws with the session guard (the upgrade request\'s session cookie)', () => {
    const signIn = (sub: string, sid: string) => {
      test.sessions.set(`ws-${sid}`, { keycloak: { sub, sid, issuedAt: now() } });
      return { cookie: `${SESSION_COOKIE}=ws-${sid}` };
    };
    const SESSION_TICKS = 'subscription { sessionTicks { n sub } }';

    it(`a signed-in session's subscription is admitted; @CurrentSession() gives its login record (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, {}, signIn('kim', sid));
      try {
        const log = recordSubscription(client, SESSION_TICKS);
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the session subscription to be registered');
        TICKS.publish({ n: 3 });
        await waitFor(() => log.results.length === 1, 'a tick');
        expect(log.results).toEqual([{ data: { sessionTicks: { n: 3, sub: 'kim' } } }]);
        log.stop();
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the subscription to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`no session cookie, or a revoked session: refused with UNAUTHENTICATED, the session destroyed, nothing registered (${driver})`, async () => {
      const anonymous = graphqlWsClient(test.wsUrl, {});
      const sid = newSid();
      const headers = signIn('lena', sid);
      await test.app.get(RevocationService).revokeSid(sid);
      const revoked = graphqlWsClient(test.wsUrl, {}, headers);
      try {
        const anonymousLog = recordSubscription(anonymous, SESSION_TICKS);
        const revokedLog = recordSubscription(revoked, SESSION_TICKS);
        await waitFor(() => (anonymousLog.completed || anonymousLog.error !== undefined) && (revokedLog.completed || revokedLog.error !== undefined), 'both refusals');
        expect(errorCodes(anonymousLog)).toEqual(['UNAUTHENTICATED']);
        expect(JSON.stringify(anonymousLog)).toMatch(/no signed-in session/);
        expect(errorCodes(revokedLog)).toEqual(['UNAUTHENTICATED']);
        expect(JSON.stringify(revokedLog)).toMatch(/session has been logged out \(sid\)/);
        expect(test.sessions.has(`ws-${sid}`)).toBe(false);
        expect(live().total).toBe(0);
        expect(TICKS.listenerCount).toBe(0);
        expect(test.app.get(RefusalLog).countsByContext()['session-guard:revoked_sid']?.graphql).toBeGreaterThanOrEqual(1);
      } finally {
        await Promise.all([anonymous.dispose(), revoked.dispose()]);
      }
    });

    it(`a logout of the session ends its subscription with UNAUTHENTICATED (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, {}, signIn('max', sid));
      try {
        const log = recordSubscription(client, SESSION_TICKS);
        await waitFor(() => live().byKind['graphql-subscription'] === 1, 'the session subscription to be registered');
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined, 'the session subscription to end');
        expectEndedByLogout(log);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the source to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`an event published after the session's revocation, before the close, is not delivered (session guard) (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, {}, signIn('nina', sid));
      let refusedBeforeClose = false;
      try {
        const log = recordSubscription(client, SESSION_TICKS);
        await waitFor(() => TICKS.listenerCount === 1 && live().byKind['graphql-subscription'] === 1, 'the session subscription to be registered');
        beforeClose = async () => {
          TICKS.publish({ n: 98 });
          await waitFor(() => log.error !== undefined, 'the event to be refused before the close', 900);
          refusedBeforeClose = true;
        };
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.error !== undefined && refusedBeforeClose, 'the refusal inside the beforeClose window');
        expect(log.results).toEqual([]);
        expectEndedByLogout(log);
      } finally {
        beforeClose = undefined;
        await client.dispose();
      }
    });
  });

  // Last: the not-before it sets stays in force for a few seconds, over every token and session of this app.
  describe('logouts that end many subscriptions', () => {
    it(`a subject watermark and a not-before end the subscriptions issued before them, not later ones (${driver})`, async () => {
      const older = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hal', sid: newSid(), iat: now() - 20 })}` });
      const newer = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hal', sid: newSid(), iat: now() + 2 })}` });
      try {
        const olderLog = recordSubscription(older, TICKS_QUERY);
        const newerLog = recordSubscription(newer, TICKS_QUERY);
        await waitFor(() => live().byKind['graphql-subscription'] === 2, 'both subscriptions to be registered');
        await test.app.get(RevocationService).revokeSubject('hal', { issuedBefore: now() - 10 });
        await waitFor(() => olderLog.error !== undefined, 'the older subscription to end');
        expectEndedByLogout(olderLog);
        expect(newerLog.error).toBeUndefined();
        await test.app.get(RevocationService).setNotBefore(now() + 5);
        await waitFor(() => newerLog.error !== undefined, 'the not-before to end the newer one');
        expectEndedByLogout(newerLog);
        expect(live().total).toBe(0);
      } finally {
        await Promise.all([older.dispose(), newer.dispose()]);
      }
    });
  });
});

describe('GraphQL with KeycloakBearerGuard as APP_GUARD', () => {
  it('every resolver is guarded without a 500, and @Public() opens one', async () => {
    const realm = await FakeRealm.start();
    const test = await startGraphqlApp('apollo-express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), { globalGuard: true });
    try {
      const refused = await graphqlQuery(test.url, '{ me { sub } }');
      expect(refused.status).toBeLessThan(500);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect((await graphqlQuery(test.url, '{ open }')).body).toEqual({ data: { open: 'open' } });
      const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'ivan', sid: 'global-ivan' });
      expect((await graphqlQuery(test.url, '{ me { sub } }', { authorization: `Bearer ${access}` })).body).toEqual({ data: { me: { sub: 'ivan' } } });
    } finally {
      await test.close();
      await realm.close();
    }
  });
});

describe('GraphQL subscriptions with express-session on the upgrade request (the README snippet, Apollo)', () => {
  it('a session cookie from the HTTP sign-in admits the subscription; its logout ends it with UNAUTHENTICATED', async () => {
    const realm = await FakeRealm.start();
    // One express-session, one store: app.use() for HTTP, and graphql-ws onConnect for the upgrade.
    const sessionMiddleware = session({ secret: 'graphql-session-test', resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } });
    const { module: graphql, resolvers } = graphqlParts('apollo-express', (request) => applySession(sessionMiddleware, request as never));

    @Module({ imports: [KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), graphql], controllers: [TestLoginController], providers: resolvers })
    class SessionGraphqlModule {}

    const app = await NestFactory.create(SessionGraphqlModule, new ExpressAdapter(), { logger: false });
    app.use(sessionMiddleware);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
    const live = () => app.get(LiveConnectionRegistry).stats();
    const signedIn = graphqlWsClient(wsUrl, {}, { cookie: await signInWithCookie(url, 'olga', 'express-olga') });
    const anonymous = graphqlWsClient(wsUrl, {}, { cookie: 'connect.sid=s%3Aunknown.invalid' });
    try {
      const log = recordSubscription(signedIn, 'subscription { sessionTicks { n sub } }');
      const refused = recordSubscription(anonymous, 'subscription { sessionTicks { n sub } }');
      await waitFor(() => live().byKind['graphql-subscription'] === 1 && (refused.completed || refused.error !== undefined), 'one admitted, one refused');
      expect(errorCodes(refused)).toEqual(['UNAUTHENTICATED']);
      expect(JSON.stringify(refused)).toMatch(/no signed-in session/);
      TICKS.publish({ n: 5 });
      await waitFor(() => log.results.length === 1, 'a tick');
      expect(log.results).toEqual([{ data: { sessionTicks: { n: 5, sub: 'olga' } } }]);
      await app.get(RevocationService).revokeSid('express-olga');
      await waitFor(() => log.error !== undefined, 'the subscription to end');
      expectEndedByLogout(log);
    } finally {
      await Promise.all([signedIn.dispose(), anonymous.dispose()]);
      await app.close();
      await realm.close();
    }
  });
});
