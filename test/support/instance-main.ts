/**
 * One app instance in its own process, for the multi-instance tests and the benchmarks. Run as
 * `node --import ./test/support/ts-register.js test/support/instance-main.ts` with the JSON
 * config in INSTANCE_CONFIG; it reports `{ type: 'ready', url }` over IPC and answers commands
 * (see InstanceCommand). It is wired the way the README tells an app to wire the Redis
 * backend: a provider creates it, `forRootAsync` injects it.
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage } from 'node:http';
import { Controller, Get, Inject, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import {
  CurrentToken,
  KeycloakBearerGuard,
  KeycloakLogoutModule,
  RevocationService,
  type AccessTokenClaims,
  type FailurePolicy,
  type RealmOptions,
} from '../../lib/index.js';
import {
  createRedisLogoutBackend,
  type RedisClusterDescription,
  type RedisLogoutBackend,
  type RedisSentinelDescription,
} from '../../lib/redis/index.js';

export interface InstanceConfig {
  issuer: string;
  clientId: string;
  /** Further realms (the module's `realms` option). */
  realms?: RealmOptions[];
  /** `redis`: the Redis backend; `memory`: the defaults (single-instance mode, for comparisons). */
  mode: 'redis' | 'memory';
  /** Where Redis is: one of a URL, a Sentinel deployment or a Cluster. */
  redisUrl?: string;
  sentinel?: RedisSentinelDescription;
  cluster?: RedisClusterDescription;
  keyPrefix?: string;
  maxStaleness?: number;
  startTimeout?: number;
  maxReconnectDelay?: number;
  failurePolicy?: FailurePolicy;
  /** Nest log output (default on; the tests read the state-change lines from it). */
  logs?: boolean;
  /**
   * Report `{ type: 'applied', sid, at }` over IPC each time a sid revocation reaches this
   * instance's bus, `at` being a high-resolution epoch ms taken right after the store applied
   * it (the benchmark's propagation measure).
   */
  reportApplied?: boolean;
  /**
   * A WebSocket gateway (Nest's `ws` adapter) at `/live`: admits a connection with the bearer
   * token of its `Authorization` header, answers `whoami`, and is closed by the library at logout.
   */
  liveConnections?: boolean;
}

export type InstanceCommand =
  | { id: number; cmd: 'setNotBefore'; notBefore: number }
  | { id: number; cmd: 'revokeSid'; sid: string }
  | { id: number; cmd: 'health' }
  | { id: number; cmd: 'close' };

type ReplyBody = { ok: true; result?: unknown } | { ok: false; error: string };
export type InstanceReply = ReplyBody & { id: number };

const config = JSON.parse(process.env.INSTANCE_CONFIG ?? '{}') as InstanceConfig;
const REDIS_BACKEND = Symbol('REDIS_BACKEND');

@Module({
  providers: [
    {
      provide: REDIS_BACKEND,
      useFactory: (): RedisLogoutBackend | null =>
        config.mode === 'redis'
          ? createRedisLogoutBackend({
              ...(config.sentinel ? { sentinel: config.sentinel } : config.cluster ? { cluster: config.cluster } : { url: config.redisUrl! }),
              keyPrefix: config.keyPrefix,
              maxStaleness: config.maxStaleness,
              startTimeout: config.startTimeout,
              maxReconnectDelay: config.maxReconnectDelay,
            })
          : null,
    },
  ],
  exports: [REDIS_BACKEND],
})
class RedisBackendModule {}

@Controller()
class InstanceController {
  constructor(@Inject(REDIS_BACKEND) private readonly backend: RedisLogoutBackend | null) {}

  @Get('api/me')
  @UseGuards(KeycloakBearerGuard)
  me(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub };
  }

  @Get('api/open')
  open() {
    return { sub: 'anonymous' };
  }

  @Get('health')
  health() {
    return this.backend?.health() ?? { status: 'up', state: 'in-memory' };
  }
}

@WebSocketGateway({ path: '/live' })
class LiveGateway implements OnGatewayConnection {
  constructor(private readonly bearer: KeycloakBearerGuard) {}

  handleConnection(client: object, request: IncomingMessage) {
    return this.bearer.admitConnection(this, client, request);
  }

  @UseGuards(KeycloakBearerGuard)
  @SubscribeMessage('whoami')
  whoami(@CurrentToken() token: AccessTokenClaims) {
    return { event: 'whoami', data: { sub: token.sub } };
  }
}

@Module({
  imports: [
    RedisBackendModule,
    KeycloakLogoutModule.forRootAsync({
      routes: { frontchannelLogout: true },
      imports: [RedisBackendModule],
      inject: [REDIS_BACKEND],
      useFactory: (backend: RedisLogoutBackend | null) => ({
        issuer: config.issuer,
        clientId: config.clientId,
        failurePolicy: config.failurePolicy ?? 'refuse',
        ...(config.realms ? { realms: config.realms } : {}),
        ...(backend ? { backend } : {}),
      }),
    }),
  ],
  controllers: [InstanceController],
  providers: config.liveConnections === true ? [LiveGateway] : [],
})
class InstanceModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(InstanceModule, new ExpressAdapter(), {
    logger: config.logs === false ? false : ['log', 'warn', 'error'],
  });
  if (config.liveConnections === true) app.useWebSocketAdapter(new WsAdapter(app));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const revocations = app.get(RevocationService);
  const backend = app.get<RedisLogoutBackend | null>(REDIS_BACKEND);
  if (backend && config.reportApplied) {
    // Subscribed after RevocationService (which subscribed when it was created): runs right after the store applied.
    backend.revocationBus.subscribe((revocations) => {
      const at = performance.timeOrigin + performance.now();
      for (const revocation of revocations) if (revocation.type === 'sid') process.send!({ type: 'applied', sid: revocation.sid, at });
    });
  }

  process.on('message', (message: InstanceCommand) => {
    const reply = (body: ReplyBody, then?: () => void) =>
      process.send!({ id: message.id, ...body }, undefined, {}, () => then?.());
    const run = async (): Promise<unknown> => {
      switch (message.cmd) {
        case 'setNotBefore':
          return revocations.setNotBefore(message.notBefore);
        case 'revokeSid':
          return revocations.revokeSid(message.sid);
        case 'health':
          return backend?.health() ?? null;
        case 'close':
          await app.close();
          return null;
      }
    };
    run().then(
      // After a clean close, drop the IPC channel: the process must then exit by itself, which
      // it only does when no connection or timer is left behind.
      (result) => reply({ ok: true, result }, message.cmd === 'close' ? () => process.disconnect() : undefined),
      (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.send!({ type: 'ready', url });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
