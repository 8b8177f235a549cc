/**
 * Benchmark 10, WebSocket: a Nest gateway whose connections are admitted at the handshake by
 * KeycloakBearerGuard.admitConnection (a Bearer token in the upgrade request, or socket.io's
 * `auth`), with the same message handler three times, differing only by its guard: `open`
 * (none), `allowAll` (a guard that allows without looking) and `guarded` (KeycloakBearerGuard,
 * which checks every message against the handshake's token). Each answers with an event of its
 * own name. The `ws` or socket.io adapter, as the e2e specs run them (test/support/websocket-app.ts).
 * Started by bench/context-guard-cost.ts in its own process (support/processes.ts).
 */
import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { Inject, Module, UseGuards, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { KeycloakBearerGuard } from '../../lib/index.js';
import { AllowAllGuard } from '../support/allow-all.guard.js';
import { readConfig, serve } from '../support/child.js';
import { lib, steadyStateCacheAge } from '../support/library.js';
import { revocationHandlers } from '../support/revocation-handlers.js';

export type GatewayAdapterName = 'ws' | 'socket.io';

export interface GatewayAppConfig {
  adapter: GatewayAdapterName;
  issuer: string;
  clientId: string;
}

const config = readConfig<GatewayAppConfig>();
const ANSWER = 'ok';

/** The gateway's place: a path for `ws`, a namespace for socket.io. */
export const GATEWAY_NAME = 'bench';

@WebSocketGateway(config.adapter === 'ws' ? { path: `/${GATEWAY_NAME}` } : { namespace: GATEWAY_NAME })
class BenchGateway implements OnGatewayConnection {
  constructor(@Inject(lib.KeycloakBearerGuard) private readonly bearer: KeycloakBearerGuard) {}

  handleConnection(client: object, request?: IncomingMessage) {
    return this.bearer.admitConnection(this, client, request);
  }

  @SubscribeMessage('open')
  open() {
    return { event: 'open', data: ANSWER };
  }

  @SubscribeMessage('allowAll')
  @UseGuards(AllowAllGuard)
  allowAll() {
    return { event: 'allowAll', data: ANSWER };
  }

  @SubscribeMessage('guarded')
  @UseGuards(lib.KeycloakBearerGuard)
  guarded() {
    return { event: 'guarded', data: ANSWER };
  }
}

async function start(): Promise<INestApplication> {
  const logoutModule: DynamicModule = lib.KeycloakLogoutModule.forRoot({ issuer: config.issuer, clientId: config.clientId, bearer: await steadyStateCacheAge() });

  @Module({ imports: [logoutModule], providers: [BenchGateway] })
  class GatewayBenchModule {}

  const app = await NestFactory.create(GatewayBenchModule, new ExpressAdapter(), { logger: false });
  app.useWebSocketAdapter(config.adapter === 'ws' ? new WsAdapter(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return app;
}

const app = await start();
const registry = app.get(lib.LiveConnectionRegistry);
const server = serve(
  {
    ...revocationHandlers(app),
    /** Connections the library has registered for closing at logout (each admitted connection once). */
    liveConnections: () => registry.stats().total,
  },
  () => app.close(),
);
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
server.announce({ url });
