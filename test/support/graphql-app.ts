import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, UseGuards, type DynamicModule, type INestApplication, type Provider } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { GraphQLModule, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  CurrentSession,
  CurrentToken,
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
  }
`;

/** Published ticks reach every open `ticks` subscription, with the `sub` it was admitted for. */
export const TICKS = new EventChannel<{ n: number }>();

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
}

@Resolver()
class SessionResolver {
  @Query('page')
  @UseGuards(KeycloakSessionGuard)
  page(@CurrentSession() session: KeycloakSessionData) {
    return { sub: session.sub, sid: session.sid };
  }
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
export function graphqlParts(driver: GraphqlDriverName): { module: DynamicModule; resolvers: Provider[] } {
  const module =
    driver === 'apollo-express'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, graphiql: false, subscriptions: { 'graphql-ws': true } })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs, graphiql: false, subscription: true });
  return { module, resolvers: [BearerResolver, SessionResolver] };
}

export async function startGraphqlApp(driver: GraphqlDriverName, logoutModule: DynamicModule, options: { globalGuard?: boolean } = {}): Promise<GraphqlTestApp> {
  const { module: graphql, resolvers } = graphqlParts(driver);
  const providers: Provider[] = [...resolvers];
  if (options.globalGuard === true) providers.push({ provide: APP_GUARD, useClass: KeycloakBearerGuard });

  @Module({ imports: [logoutModule, graphql], providers })
  class GraphqlAppModule {}

  const sessions: TestSessions = new Map();
  let app: INestApplication;
  if (driver === 'apollo-express') {
    app = await NestFactory.create(GraphqlAppModule, new ExpressAdapter(), { logger: false });
    app.use((request: any, _response: unknown, next: () => void) => {
      attachSession(request, sessions, request.headers['x-test-session']);
      next();
    });
  } else {
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(GraphqlAppModule, new FastifyAdapter(), { logger: false });
    fastifyApp.getHttpAdapter().getInstance().addHook('onRequest', (request: any, _reply: unknown, done: () => void) => {
      attachSession(request, sessions, request.headers['x-test-session']);
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
