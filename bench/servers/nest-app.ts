/**
 * The library under test: a Nest app (Express or Fastify) with the library's routes
 * (back-channel logout, Keycloak Admin URL) and API routes that differ only by their guard:
 * `GET /api/open` (none), `GET /api/header-guard` (reads the Authorization header, allows) and
 * `GET /api/guarded` (KeycloakBearerGuard); and diagnostic routes between the two. Started by the benchmarks in its own
 * process (support/processes.ts).
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, UseGuards, type CanActivate, type DynamicModule, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { KeycloakLogoutModuleOptions, SessionRegistry } from '../../lib/index.js';
import { serve, readConfig, type Handler } from '../support/child.js';
import { lib, loadRedisSubpath, steadyStateCacheAge } from '../support/library.js';
import { revocationHandlers } from '../support/revocation-handlers.js';

export interface NestAppConfig {
  adapter: 'express' | 'fastify';
  issuer: string;
  clientId: string;
  /** `bearer.cacheSize`; default the library's. */
  bearerCacheSize?: number;
  /** Where sessions and revocations live. */
  mode: 'memory' | 'redis';
  /** For `mode: 'redis'`. */
  redisUrl?: string;
  /**
   * The same app without the library's module, only `GET /api/open`: what importing the module
   * costs a route it does not guard (an app-wide interceptor or middleware would show there).
   */
  withoutLibrary?: boolean;
}

const config = readConfig<NestAppConfig>();
const BODY = { ok: true };

/**
 * The least a bearer guard can do: read the Authorization header, then allow. What any such
 * guard costs in Nest's pipeline before any work of its own (`req.headers` is built already:
 * Node's HTTP server reads `Host` from it before the app sees the request).
 */
@Injectable()
class HeaderOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return typeof context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization === 'string';
  }
}

// Diagnostic guards (`npm run bench:guard-cost -- --split`): the header-only guard plus one
// ingredient of KeycloakBearerGuard each, to split what the bearer guard costs over HTTP.

/** Header-only, but async (the bearer guard awaits the verifier). */
@Injectable()
class AsyncHeaderGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    await Promise.resolve();
    return typeof context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization === 'string';
  }
}
/**
 * Header-only, plus a property added to the request (what the bearer guard did with
 * `accessTokenClaims` before it kept the claims beside Express's requests). Another name: on
 * Express `accessTokenClaims` is now an accessor of the app's request prototype.
 */
@Injectable()
class AssignGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; benchClaims?: unknown }>();
    req.benchClaims = WEAKMAP_CLAIMS;
    return typeof req.headers.authorization === 'string';
  }
}
/** Where `weakmap-guard` leaves its claims: beside the request, not on it. */
const claimsByRequest = new WeakMap<object, unknown>();
const WEAKMAP_CLAIMS = { a: 1 };
/** Header-only, plus the claims kept in a WeakMap keyed by the request (the alternative to `assign-guard`). */
@Injectable()
class WeakMapGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    claimsByRequest.set(req, WEAKMAP_CLAIMS);
    return typeof req.headers.authorization === 'string';
  }
}
/** Header-only, plus the bearer guard's former regular expression over the header. */
@Injectable()
class RegexGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const h = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization as string;
    return /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(h) !== null;
  }
}

@Controller('api')
class BenchApiController {
  @Get('open')
  open() {
    return BODY;
  }

  // Express tries the routes in the order they were declared, a regular expression each (about
  // 450 instructions per route passed over, under callgrind): the guarded route comes right after
  // the open one, so that it pays one route more, not the six diagnostic ones.
  @Get('guarded')
  @UseGuards(lib.KeycloakBearerGuard)
  guarded() {
    return BODY;
  }

  @Get('header-guard')
  @UseGuards(HeaderOnlyGuard)
  headerGuard() {
    return BODY;
  }

  @Get('async-guard')
  @UseGuards(AsyncHeaderGuard)
  asyncGuard() {
    return BODY;
  }

  @Get('assign-guard')
  @UseGuards(AssignGuard)
  assignGuard() {
    return BODY;
  }

  @Get('weakmap-guard')
  @UseGuards(WeakMapGuard)
  weakMapGuard() {
    return BODY;
  }

  @Get('regex-guard')
  @UseGuards(RegexGuard)
  regexGuard() {
    return BODY;
  }
}

/** The app without the library: its open route only. */
@Controller('api')
class PlainApiController {
  @Get('open')
  open() {
    return BODY;
  }
}

// ---------------------------------------------------------------------------------------
// REDIS MODE HOOK (benchmark 1, "Redis registry"): the module options for `mode: 'redis'`.
// It uses `nestjs-keycloak-logout/redis` (lib/redis) as built in dist/; guard-cost.ts only
// asks for this mode when that subpath exports `createRedisLogoutBackend` and a
// redis-server can be started. Adjust here if the Redis API changes.
// ---------------------------------------------------------------------------------------
async function storageOptions(): Promise<Partial<KeycloakLogoutModuleOptions>> {
  if (config.mode === 'memory') return {};
  const redis = await loadRedisSubpath();
  const create = redis?.createRedisLogoutBackend as
    | ((options: { url: string }) => { revocationBus: unknown; sessionRegistry: unknown })
    | undefined;
  if (create === undefined || config.redisUrl === undefined) throw new Error('Redis mode: nestjs-keycloak-logout/redis is not built, or no redisUrl');
  const backend = create({ url: config.redisUrl });
  return { backend } as Partial<KeycloakLogoutModuleOptions>;
}

async function appModule(): Promise<DynamicModule> {
  if (config.withoutLibrary === true) return { module: class PlainAppModule {}, controllers: [PlainApiController] };
  const logoutModule: DynamicModule = lib.KeycloakLogoutModule.forRoot({
    issuer: config.issuer,
    clientId: config.clientId,
    bearer: { ...(config.bearerCacheSize !== undefined ? { cacheSize: config.bearerCacheSize } : {}), ...(await steadyStateCacheAge()) },
    ...(await storageOptions()),
  });
  return { module: class BenchAppModule {}, imports: [logoutModule], controllers: [BenchApiController] };
}

async function start(): Promise<INestApplication> {
  const BenchAppModule = await appModule();

  const app =
    config.adapter === 'express'
      ? await NestFactory.create(BenchAppModule, new ExpressAdapter(), { logger: false })
      : await NestFactory.create(BenchAppModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const app = await start();

interface SeedSession {
  adapterSessionId?: string;
  sid?: string;
  sub: string;
}

/** What the benchmarks ask of the library's app: sessions and revocations. */
function libraryHandlers(): Record<string, Handler> {
  const registry = app.get<SessionRegistry>(lib.SessionRegistry);
  return {
    /** Registers logins, as the login flow would. */
    seedSessions: async (sessions: SeedSession[]) => {
      const issuedAt = Math.floor(Date.now() / 1000);
      for (const session of sessions) {
        await registry.register({ ...session, clientId: config.clientId, issuedAt, expiresAt: issuedAt + 36_000 });
      }
      return sessions.length;
    },
    ...revocationHandlers(app),
  };
}

const server = serve(config.withoutLibrary === true ? {} : libraryHandlers(), () => app.close());
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
server.announce({ url });
