import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import session from 'express-session';
import { KeycloakLogoutModule } from '../../lib/index.js';
import { createRedisLogoutBackend } from '../../lib/redis/index.js';
import { graphqlParts } from './graphql-app.js';
import { SseTestController } from './sse-client.js';
import { TestLoginController, websocketGateways, type WsAdapterName } from './websocket-app.js';

export interface LiveInstance {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * One app instance with every kind of live connection (the test gateways, SSE routes and, with
 * socket.io, Apollo GraphQL subscriptions) on the Redis backend: several of them on one
 * redis-server behave like replicas. (Under the `ws` adapter, Nest's WsAdapter answers every
 * upgrade outside its gateways' paths, so GraphQL subscriptions are left out there.)
 */
export async function startLiveInstance(options: { adapter: WsAdapterName; issuer: string; clientId: string; redisUrl: string; keyPrefix: string }): Promise<LiveInstance> {
  const sessionMiddleware = session({ secret: 'live-instance-secret', resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } });
  const graphql = options.adapter === 'socket.io' ? graphqlParts('apollo-express') : undefined;

  @Module({
    imports: [
      KeycloakLogoutModule.forRoot({
        issuer: options.issuer,
        clientId: options.clientId,
        backend: createRedisLogoutBackend({ url: options.redisUrl, keyPrefix: options.keyPrefix }),
      }),
      ...(graphql ? [graphql.module] : []),
    ],
    controllers: [SseTestController, TestLoginController],
    providers: [...websocketGateways(options.adapter, sessionMiddleware), ...(graphql?.resolvers ?? [])],
  })
  class LiveInstanceModule {}

  const app = await NestFactory.create(LiveInstanceModule, new ExpressAdapter(), { logger: false });
  app.use(sessionMiddleware);
  app.useWebSocketAdapter(options.adapter === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
