import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, UseGuards, type DynamicModule, type INestApplication, type Provider } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Context, GraphQLModule, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  CurrentSession,
  CurrentToken,
  KeepOpenAtLogout,
  KeycloakBearerGuard,
  KeycloakSessionGuard,
  Public,
  type AccessTokenClaims,
  type KeycloakSessionData,
} from '../../lib/index.js';
import { EventChannel } from './event-channel.js';
import { attachSession, type TestSessions } from './test-app.js';

export type GraphqlDriverName = 'apollo-express' | 'mercurius-fastify';
export const GRAPHQL_DRIVERS: GraphqlDriverName[] = ['apollo-express', 'mercurius-fastify'];

const typeDefs = /* GraphQL */ `
  type Me {
    sub: String
    sid: String
  }
  type Tick {
    n: Int!
    sub: String
  }
  type Query {
    me: Me!
    open: String!
    page: Me!
  }
  type Mutation {
    touch: Me!
  }
  type Subscription {
    ticks: Tick!
    evenTicks: Tick!
    keptTicks: Tick!
    sessionTicks: Tick!
    mercuriusTicks: Tick!
    constantTicks: Tick!
  }
`;

/** Published ticks reach every open `ticks` subscription, with the `sub` it was admitted for. */
export const TICKS = new EventChannel<{ n: number }>();

/** Mercurius only: the per-operation `pubsub` (SubscriptionContext) of each `mercuriusTicks` subscription. */
export const MERCURIUS_SUBSCRIPTIONS: Array<{ closed: boolean }> = [];

@Resolver()
@UseGuards(KeycloakBearerGuard)
class BearerResolver {
  @Query('me')
  me(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub, sid: token.sid };
  }

  @Mutation('touch')
  touch(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub, sid: token.sid };
  }

  @Query('open')
  @Public()
  open() {
    return 'open';
  }

  @Subscription('ticks')
  ticks(@CurrentToken() token: AccessTokenClaims) {
    return TICKS.subscribe((event) => ({ ticks: { ...event, sub: token.sub } }));
  }

  // Nest's `filter` option wraps the resolver's (and the library's) event stream in its own; an
  // async filter's failure counts as "drop this event" there (a sync throw would escape it).
  @Subscription('evenTicks', { filter: (payload: { evenTicks: { n: number } }) => Promise.resolve().then(() => payload.evenTicks.n % 2 === 0) })
  evenTicks(@CurrentToken() token: AccessTokenClaims) {
    return TICKS.subscribe((event) => ({ evenTicks: { ...event, sub: token.sub } }));
  }

  // Mercurius only: the stream is the operation's own pubsub queue, as Mercurius apps write it.
  @Subscription('mercuriusTicks')
  mercuriusTicks(@Context('pubsub') pubsub: { closed: boolean; subscribe(topic: string): Promise<unknown> }) {
    MERCURIUS_SUBSCRIPTIONS.push(pubsub);
    return pubsub.subscribe('mercurius-ticks');
  }

  // A `resolve` option that never reads the event: each event becomes the same value.
  @Subscription('constantTicks', { resolve: () => ({ n: 0, sub: 'constant' }) })
  constantTicks() {
    return TICKS.subscribe();
  }

  @Subscription('keptTicks')
  @KeepOpenAtLogout()
  keptTicks(@CurrentToken() token: AccessTokenClaims) {
    return TICKS.subscribe((event) => ({ keptTicks: { ...event, sub: token.sub } }));
  }
}

@Resolver()
class SessionResolver {
  @Query('page')
  @UseGuards(KeycloakSessionGuard)
  page(@CurrentSession() session: KeycloakSessionData) {
    return { sub: session.sub, sid: session.sid };
  }

  @Subscription('sessionTicks')
  @UseGuards(KeycloakSessionGuard)
  sessionTicks(@CurrentSession() session: KeycloakSessionData) {
    return TICKS.subscribe((event) => ({ sessionTicks: { ...event, sub: session.sub } }));
  }
}

/** The cookie a test session travels in, on HTTP requests and on the graphql-ws upgrade request. */
export const SESSION_COOKIE = 'test-session';

/** The test session key of a request: the `x-test-session` header, or the session cookie. */
function sessionKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['x-test-session'];
  if (typeof header === 'string') return header;
  const cookie = typeof headers.cookie === 'string' ? headers.cookie : '';
  const match = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(cookie);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

/** Attaches the test session of a request (HTTP or WebSocket upgrade) from the shared store. */
function attachRequestSession(request: any, sessions: TestSessions): void {
  attachSession(request, sessions, sessionKeyOf(request.headers ?? {}));
}

export interface GraphqlTestApp {
  app: INestApplication;
  url: string;
  wsUrl: string;
  sessions: TestSessions;
  close(): Promise<void>;
}

/**
 * A real GraphQL server on a free loopback port: Apollo on Express or Mercurius on Fastify,
 * with graphql-ws subscriptions at `/graphql`. `globalGuard` registers KeycloakBearerGuard as
 * APP_GUARD (then only the `@Public()` query and the resolvers' own guards decide).
 */
/** The GraphQL module (graphql-ws subscriptions at `/graphql`) and the test resolvers, to import into an app. */
export function graphqlParts(driver: GraphqlDriverName, onUpgrade?: (request: unknown) => void | Promise<void>): { module: DynamicModule; resolvers: Provider[] } {
  // Apollo's graphql-ws server takes the upgrade itself (no Express middleware runs on it): the
  // app runs its session layer on the upgrade request in onConnect. Mercurius' WebSocket route is
  // a Fastify route, so the app's onRequest hook already ran on it.
  const graphqlWs = onUpgrade === undefined ? true : { onConnect: async (ctx: { extra: unknown }) => void (await onUpgrade((ctx.extra as { request: unknown }).request)) };
  const module =
    driver === 'apollo-express'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, graphiql: false, subscriptions: { 'graphql-ws': graphqlWs } })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs, graphiql: false, subscription: true });
  return { module, resolvers: [BearerResolver, SessionResolver] };
}

export async function startGraphqlApp(driver: GraphqlDriverName, logoutModule: DynamicModule, options: { globalGuard?: boolean } = {}): Promise<GraphqlTestApp> {
  const sessions: TestSessions = new Map();
  const { module: graphql, resolvers } = graphqlParts(driver, (request) => attachRequestSession(request, sessions));
  const providers: Provider[] = [...resolvers];
  if (options.globalGuard === true) providers.push({ provide: APP_GUARD, useClass: KeycloakBearerGuard });

  @Module({ imports: [logoutModule, graphql], providers })
  class GraphqlAppModule {}

  let app: INestApplication;
  if (driver === 'apollo-express') {
    app = await NestFactory.create(GraphqlAppModule, new ExpressAdapter(), { logger: false });
    app.use((request: any, _response: unknown, next: () => void) => {
      attachRequestSession(request, sessions);
      next();
    });
  } else {
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(GraphqlAppModule, new FastifyAdapter(), { logger: false });
    fastifyApp.getHttpAdapter().getInstance().addHook('onRequest', (request: any, _reply: unknown, done: () => void) => {
      attachRequestSession(request, sessions);
      done();
    });
    app = fastifyApp;
  }
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, wsUrl: `${url.replace(/^http/, 'ws')}/graphql`, sessions, close: () => app.close() };
}

/** POSTs a GraphQL query; resolves the HTTP status and the JSON body. */
export async function graphqlQuery(
  url: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as any };
}
