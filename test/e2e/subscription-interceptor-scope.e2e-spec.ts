import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Controller, Get, Injectable, Module, UseGuards, UseInterceptors, type CallHandler, type ExecutionContext, type INestApplication, type NestInterceptor } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { ExpressAdapter } from '@nestjs/platform-express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CurrentToken, KeycloakBearerGuard, KeycloakLogoutModule, LiveSubscriptionInterceptor, RevocationService, type AccessTokenClaims } from '../../lib/index.js';
import { EventChannel } from '../support/event-channel.js';
import { FakeRealm } from '../support/fake-realm.js';
import { errorCodes, graphqlWsClient, recordSubscription } from '../support/graphql-ws-client.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The interceptor that ends GraphQL subscriptions at logout is bound to subscription resolvers
 * only: REST routes and queries of the same app never pass through it (an app-wide interceptor
 * cost every request Nest's interceptor pipeline).
 */

const CLIENT = 'app-scope';
/** Where `@UseInterceptors()` keeps a handler's interceptors (INTERCEPTORS_METADATA in @nestjs/common). */
const INTERCEPTORS_METADATA = '__interceptors__';

const typeDefs = /* GraphQL */ `
  type Beat {
    n: Int!
    sub: String
  }
  type Query {
    hello: String!
  }
  type Subscription {
    beats: Beat!
    valueBeats: Beat!
  }
`;

const BEATS = new EventChannel<{ n: number }>();
/** Calls of the app's own interceptor on the subscription resolver. */
let ownInterceptorCalls = 0;

@Injectable()
class CountingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    ownInterceptorCalls++;
    return next.handle();
  }
}

@Resolver()
@UseGuards(KeycloakBearerGuard)
class ScopeResolver {
  @Query('hello')
  hello(@CurrentToken() token: AccessTokenClaims) {
    return `hello ${token.sub}`;
  }

  @Subscription('beats')
  @UseInterceptors(CountingInterceptor)
  beats(@CurrentToken() token: AccessTokenClaims) {
    return BEATS.subscribe((event) => ({ beats: { ...event, sub: token.sub } }));
  }
}

/** The same schema, for the app started with `closeAtLogout: false` (its own class, bound or not by that app alone). */
@Resolver()
@UseGuards(KeycloakBearerGuard)
class KeptOpenResolver {
  @Query('hello')
  hello() {
    return 'hello';
  }

  @Subscription('beats')
  beats(@CurrentToken() token: AccessTokenClaims) {
    return BEATS.subscribe((event) => ({ beats: { ...event, sub: token.sub } }));
  }
}

/** Given to every app as a value (`useValue`), not as a class to construct. */
@Resolver()
@UseGuards(KeycloakBearerGuard)
class ValueBeatsResolver {
  @Subscription('valueBeats')
  valueBeats(@CurrentToken() token: AccessTokenClaims) {
    return BEATS.subscribe((event) => ({ valueBeats: { ...event, sub: token.sub } }));
  }
}

@Controller('rest')
class RestController {
  @Get('open')
  open() {
    return { ok: true };
  }

  @Get('guarded')
  @UseGuards(KeycloakBearerGuard)
  guarded() {
    return { ok: true };
  }
}

interface RunningApp {
  app: INestApplication;
  url: string;
  wsUrl: string;
}

async function startApp(realm: FakeRealm, resolver: new () => unknown, closeAtLogout = true): Promise<RunningApp> {
  @Module({
    imports: [
      KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, liveConnections: { closeAtLogout } }),
      GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, graphiql: false, subscriptions: { 'graphql-ws': true } }),
    ],
    controllers: [RestController],
    providers: [resolver, { provide: 'value-beats-resolver', useValue: new ValueBeatsResolver() }],
  })
  class ScopeAppModule {}
  const app = await NestFactory.create(ScopeAppModule, new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, wsUrl: `${url.replace(/^http/, 'ws')}/graphql` };
}

/** The interceptors a resolver's handler carries. */
function interceptorsOf(resolver: new () => unknown, method: string): unknown[] {
  const handler = (resolver.prototype as Record<string, object>)[method]!;
  return (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
}

describe('the subscription interceptor is bound to subscription resolvers only', () => {
  let realm: FakeRealm;
  let first: RunningApp;
  let sidCounter = 0;
  const newSid = () => `scope-${++sidCounter}`;
  const token = (sub: string, sid: string) => keycloakAccessToken(realm, { clientId: CLIENT, sub, sid });
  const wrapAdmitted = vi.spyOn(LiveSubscriptionInterceptor.prototype, 'wrapAdmitted');

  beforeAll(async () => {
    realm = await FakeRealm.start();
    first = await startApp(realm, ScopeResolver);
  });
  afterEach(() => wrapAdmitted.mockClear());
  afterAll(async () => {
    wrapAdmitted.mockRestore();
    await first?.app.close();
    await realm?.close();
  });

  it('REST routes (open and guarded) and a guarded query never reach it', async () => {
    const authorization = `Bearer ${await token('ana', newSid())}`;
    const open = await fetch(`${first.url}/rest/open`);
    const guarded = await fetch(`${first.url}/rest/guarded`, { headers: { authorization } });
    const refused = await fetch(`${first.url}/rest/guarded`);
    const query = await fetch(`${first.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: '{ hello }' }) });
    expect([open.status, guarded.status, refused.status]).toEqual([200, 200, 401]);
    expect(await query.json()).toEqual({ data: { hello: 'hello ana' } });
    expect(wrapAdmitted).not.toHaveBeenCalled();
  });

  it("a subscription passes through the app's own interceptor and this one; a logout ends it with UNAUTHENTICATED", async () => {
    const sid = newSid();
    const before = ownInterceptorCalls;
    const client = graphqlWsClient(first.wsUrl, { authorization: `Bearer ${await token('bo', sid)}` });
    try {
      const log = recordSubscription(client, 'subscription { beats { n sub } }');
      await waitFor(() => BEATS.listenerCount === 1, 'the subscription to start');
      expect(ownInterceptorCalls).toBe(before + 1);
      expect(wrapAdmitted).toHaveBeenCalled();
      BEATS.publish({ n: 1 });
      await waitFor(() => log.results.length === 1, 'the first beat');
      expect(log.results[0]).toEqual({ data: { beats: { n: 1, sub: 'bo' } } });
      await first.app.get(RevocationService).revokeSid(sid);
      await waitFor(() => log.error !== undefined, 'the subscription to end with an error');
      expect(errorCodes(log)).toEqual(['UNAUTHENTICATED']);
      await waitFor(() => BEATS.listenerCount === 0, 'the source to be released');
    } finally {
      await client.dispose();
    }
  });

  it('a resolver given as a value (useValue) is bound too: its subscription ends at logout', async () => {
    expect(interceptorsOf(ValueBeatsResolver, 'valueBeats')).toHaveLength(1);
    const sid = newSid();
    const client = graphqlWsClient(first.wsUrl, { authorization: `Bearer ${await token('al', sid)}` });
    try {
      const log = recordSubscription(client, 'subscription { valueBeats { n sub } }');
      await waitFor(() => BEATS.listenerCount === 1, 'the subscription to start');
      await first.app.get(RevocationService).revokeSid(sid);
      await waitFor(() => log.error !== undefined, 'the subscription to end with an error');
      expect(errorCodes(log)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await client.dispose();
    }
  });

  it('a second app from the same resolver class: the handler keeps one binding, and each app ends only its own subscriptions', async () => {
    const bound = interceptorsOf(ScopeResolver, 'beats');
    // The app's own interceptor, then the library's, once.
    expect(bound).toHaveLength(2);
    expect(bound[0]).toBe(CountingInterceptor);
    const second = await startApp(realm, ScopeResolver);
    const firstSid = newSid();
    const secondSid = newSid();
    const firstClient = graphqlWsClient(first.wsUrl, { authorization: `Bearer ${await token('cy', firstSid)}` });
    const secondClient = graphqlWsClient(second.wsUrl, { authorization: `Bearer ${await token('di', secondSid)}` });
    try {
      expect(interceptorsOf(ScopeResolver, 'beats')).toEqual(bound);
      const firstLog = recordSubscription(firstClient, 'subscription { beats { n sub } }');
      const secondLog = recordSubscription(secondClient, 'subscription { beats { n sub } }');
      await waitFor(() => BEATS.listenerCount === 2, 'both subscriptions to start');
      await second.app.get(RevocationService).revokeSid(secondSid);
      await waitFor(() => secondLog.error !== undefined, "the second app's subscription to end");
      expect(errorCodes(secondLog)).toEqual(['UNAUTHENTICATED']);
      BEATS.publish({ n: 2 });
      await waitFor(() => firstLog.results.length === 1, "the first app's subscription to get the beat");
      expect(firstLog.results[0]).toEqual({ data: { beats: { n: 2, sub: 'cy' } } });
      expect(firstLog.error).toBeUndefined();
      // Closing the second app leaves the first one ending its subscriptions at logout.
      await second.app.close();
      await first.app.get(RevocationService).revokeSid(firstSid);
      await waitFor(() => firstLog.error !== undefined, "the first app's subscription to end");
      expect(errorCodes(firstLog)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await firstClient.dispose();
      await secondClient.dispose();
      await second.app.close();
    }
  });

  it('with liveConnections.closeAtLogout: false nothing is bound, and a subscription outlives a logout', async () => {
    const kept = await startApp(realm, KeptOpenResolver, false);
    const sid = newSid();
    const client = graphqlWsClient(kept.wsUrl, { authorization: `Bearer ${await token('ed', sid)}` });
    try {
      expect(interceptorsOf(KeptOpenResolver, 'beats')).toEqual([]);
      const log = recordSubscription(client, 'subscription { beats { n sub } }');
      await waitFor(() => BEATS.listenerCount === 1, 'the subscription to start');
      await kept.app.get(RevocationService).revokeSid(sid);
      BEATS.publish({ n: 3 });
      await waitFor(() => log.results.length === 1, 'the beat after the logout');
      expect(log.results[0]).toEqual({ data: { beats: { n: 3, sub: 'ed' } } });
      expect(log.error).toBeUndefined();
    } finally {
      await client.dispose();
      await kept.app.close();
    }
  });
});
