import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, LiveConnectionRegistry, MemorySessionRegistry, RefusalLog, RevocationService } from '../../lib/index.js';
import { SwitchableBus } from '../support/switchable-bus.js';
import { FakeRealm } from '../support/fake-realm.js';
import { GRAPHQL_DRIVERS, graphqlQuery, startGraphqlApp, TICKS, type GraphqlTestApp } from '../support/graphql-app.js';
import { errorCodes, graphqlWsClient, recordSubscription } from '../support/graphql-ws-client.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { waitFor } from '../support/wait-for.js';

const CLIENT = 'app-graphql';
const now = () => Math.floor(Date.now() / 1000);
const TICKS_QUERY = 'subscription { ticks { n sub } }';


describe.each(GRAPHQL_DRIVERS)('GraphQL (%s)', (driver) => {
  let realm: FakeRealm;
  let test: GraphqlTestApp;
  const bus = new SwitchableBus();
  let sidCounter = 0;
  const newSid = () => `gql-${driver}-${++sidCounter}`;
  const token = (sub: string, sid: string) => keycloakAccessToken(realm, { clientId: CLIENT, sub, sid });
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  const live = () => test.app.get(LiveConnectionRegistry).stats();

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startGraphqlApp(driver, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } }));
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
        await waitFor(() => log.completed || log.error !== undefined, 'the refusal');
        expect(errorCodes(log)).toContain('UNAUTHENTICATED');
        expect(live().total).toBe(0);
        expect(TICKS.listenerCount).toBe(0);
      } finally {
        await client.dispose();
      }
    });

    it(`a logout while subscribed ends the subscription with an UNAUTHENTICATED error, then complete (${driver})`, async () => {
      const sid = newSid();
      const client = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await token('gus', sid)}` });
      try {
        const log = recordSubscription(client, TICKS_QUERY);
        await waitFor(() => live().byKind['graphql-subscription'] === 1, 'the subscription to be registered');
        await test.app.get(RevocationService).revokeSid(sid);
        await waitFor(() => log.completed, 'the subscription to complete');
        expect(errorCodes(log)).toEqual(['UNAUTHENTICATED']);
        expect(log.results.at(-1)?.errors?.[0]?.message).toMatch(/logged out/);
        await waitFor(() => TICKS.listenerCount === 0 && live().total === 0, 'the source to be released');
      } finally {
        await client.dispose();
      }
    });

    it(`a subject watermark and a not-before end the subscriptions issued before them, not later ones (${driver})`, async () => {
      const older = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hal', sid: newSid(), iat: now() - 20 })}` });
      const newer = graphqlWsClient(test.wsUrl, { authorization: `Bearer ${await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'hal', sid: newSid(), iat: now() + 2 })}` });
      try {
        const olderLog = recordSubscription(older, TICKS_QUERY);
        const newerLog = recordSubscription(newer, TICKS_QUERY);
        await waitFor(() => live().byKind['graphql-subscription'] === 2, 'both subscriptions to be registered');
        await test.app.get(RevocationService).revokeSubject('hal', { issuedBefore: now() - 10 });
        await waitFor(() => olderLog.completed, 'the older subscription to end');
        expect(errorCodes(olderLog)).toEqual(['UNAUTHENTICATED']);
        expect(newerLog.completed).toBe(false);
        await test.app.get(RevocationService).setNotBefore(now() + 5);
        await waitFor(() => newerLog.completed, 'the not-before to end the newer one');
        expect(errorCodes(newerLog)).toEqual(['UNAUTHENTICATED']);
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
