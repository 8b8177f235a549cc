/**
 * Benchmark 10, GraphQL: a Nest app whose schema has the same query resolver three times,
 * differing only by its guard: `open` (none), `allowAll` (a guard that allows without looking)
 * and `guarded` (KeycloakBearerGuard); queries POSTed to `/graphql`. Apollo on Express or
 * Mercurius on Fastify, as the e2e specs run them (test/support/graphql-app.ts). Started by
 * bench/context-guard-cost.ts in its own process (support/processes.ts).
 */
import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, UseGuards, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AllowAllGuard } from '../support/allow-all.guard.js';
import { readConfig, serve } from '../support/child.js';
import { lib, steadyStateCacheAge } from '../support/library.js';
import { revocationHandlers } from '../support/revocation-handlers.js';

export type GraphqlDriverName = 'apollo-express' | 'mercurius-fastify';

export interface GraphqlAppConfig {
  driver: GraphqlDriverName;
  issuer: string;
  clientId: string;
}

const config = readConfig<GraphqlAppConfig>();
const ANSWER = 'ok';

const typeDefs = /* GraphQL */ `
  type Query {
    open: String!
    allowAll: String!
    guarded: String!
  }
`;

@Resolver()
class BenchResolver {
  @Query('open')
  open() {
    return ANSWER;
  }

  @Query('allowAll')
  @UseGuards(AllowAllGuard)
  allowAll() {
    return ANSWER;
  }

  @Query('guarded')
  @UseGuards(lib.KeycloakBearerGuard)
  guarded() {
    return ANSWER;
  }
}

async function start(): Promise<INestApplication> {
  const logoutModule: DynamicModule = lib.KeycloakLogoutModule.forRoot({ issuer: config.issuer, clientId: config.clientId, bearer: await steadyStateCacheAge() });
  const graphql =
    config.driver === 'apollo-express'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, graphiql: false })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs, graphiql: false });

  @Module({ imports: [logoutModule, graphql], providers: [BenchResolver] })
  class GraphqlBenchModule {}

  const app =
    config.driver === 'apollo-express'
      ? await NestFactory.create(GraphqlBenchModule, new ExpressAdapter(), { logger: false })
      : await NestFactory.create(GraphqlBenchModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const app = await start();
const server = serve(revocationHandlers(app), () => app.close());
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
server.announce({ url });
