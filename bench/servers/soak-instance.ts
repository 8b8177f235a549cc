/**
 * One app instance of the soak (bench/soak.ts): the library as built in dist/, on the Redis
 * backend, with the library's routes (back-channel logout, Keycloak Admin URL) and one guarded
 * route, `GET /api/me`. Started in its own process (support/processes.ts). Besides `usage`, it
 * answers `register` (logins, as the login flow would record them), `stats` (what the instance
 * holds: revocation store entries, the bus's known revocations, memory) and `gc`.
 */
import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { AccessTokenClaims, SessionRegistry } from '../../lib/index.js';
import type { RedisLogoutBackend, RedisLogoutBackendOptions } from '../../lib/redis/index.js';
import { readConfig, serve } from '../support/child.js';
import { lib, loadInternal, loadRedisSubpath } from '../support/library.js';
import type { RevocationStore } from '../../lib/revocation/revocation-store.js';

/** Internal: not exported by the package, timed here in process. */
const { RevocationStore: RevocationStoreClass } = await loadInternal<{ RevocationStore: typeof RevocationStore }>('revocation/revocation-store.js');

export interface SoakInstanceConfig {
  issuer: string;
  clientId: string;
  redisUrl: string;
  keyPrefix: string;
  /** Seconds; the soak uses the minimum (60) so that it can watch revocations expire. */
  revocationTtl: number;
  sessionTtl: number;
  /** `logoutToken.maxAge`, seconds: bounds how long one-time logout-token ids stay in Redis. */
  logoutMaxAge: number;
  /** Ms between trims of the shared log (and of the bus's own list of known revocations). */
  trimInterval: number;
}

export interface SoakSession {
  adapterSessionId: string;
  sid: string;
  sub: string;
  /** Epoch seconds. */
  issuedAt: number;
  expiresAt: number;
}

export interface SoakStats {
  /** Entries in the RevocationStore (what the guards check against). */
  store: number;
  /** Live revocations the Redis bus remembers (to re-publish if Redis lost its log). */
  known: number;
  stale: boolean;
  memory: NodeJS.MemoryUsage;
}

const config = readConfig<SoakInstanceConfig>();
const redis = await loadRedisSubpath();
const create = redis?.createRedisLogoutBackend as ((options: RedisLogoutBackendOptions) => RedisLogoutBackend) | undefined;
if (create === undefined) throw new Error('nestjs-keycloak-logout/redis is not built (npm run bench:build)');
const backend = create({ url: config.redisUrl, keyPrefix: config.keyPrefix, trimInterval: config.trimInterval });

@Controller('api')
class SoakController {
  @Get('me')
  @UseGuards(lib.KeycloakBearerGuard)
  me(@lib.CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub };
  }
}

@Module({
  imports: [
    lib.KeycloakLogoutModule.forRoot({
      issuer: config.issuer,
      clientId: config.clientId,
      revocationTtl: config.revocationTtl,
      sessionTtl: config.sessionTtl,
      logoutToken: { maxAge: config.logoutMaxAge },
      backend,
    }),
  ],
  controllers: [SoakController],
})
class SoakModule {}

// Warnings and errors only: a stale view, a lost connection or an unexpected error shows up in the soak's output.
const app = await NestFactory.create(SoakModule, new ExpressAdapter(), { logger: ['warn', 'error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const registry = app.get<SessionRegistry>(lib.SessionRegistry);
const store = app.get<RevocationStore>(RevocationStoreClass, { strict: false });

const gc = (globalThis as { gc?: () => void }).gc;

const server = serve(
  {
    register: async (sessions: SoakSession[]) => {
      for (const session of sessions) await registry.register({ ...session, clientId: config.clientId });
      return sessions.length;
    },
    stats: (): SoakStats => {
      const health = backend.health();
      return { store: store.size, known: health.knownRevocations, stale: health.stale, memory: process.memoryUsage() };
    },
    /** A full collection (needs --expose-gc), so that heap figures compare like with like. */
    gc: () => {
      if (gc === undefined) throw new Error('start with --expose-gc');
      for (let i = 0; i < 3; i += 1) gc();
      return process.memoryUsage();
    },
  },
  () => app.close(),
);
server.announce({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1') });
