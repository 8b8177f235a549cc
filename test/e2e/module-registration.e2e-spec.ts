import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CacheManagerSessionRegistry,
  KeycloakBearerGuard,
  KeycloakLogoutConfigError,
  KeycloakLogoutModule,
  cacheManagerBackend,
  MemorySessionRegistry,
  Public,
  SessionRegistry,
  type KeycloakLogoutAsyncResult,
  type KeycloakLogoutOptionsFactory,
} from '../../lib/index.js';
import { LocalRevocationBus } from '../../lib/revocation/revocation-bus.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { postForm, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';

@Injectable()
class AppConfig {
  static issuer = '';
  get logoutOptions(): KeycloakLogoutAsyncResult {
    return { issuer: AppConfig.issuer, clientId: CLIENT };
  }
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class ConfigModule {}

@Injectable()
class LogoutOptionsFactory implements KeycloakLogoutOptionsFactory {
  createKeycloakLogoutOptions(): KeycloakLogoutAsyncResult {
    return { issuer: AppConfig.issuer, clientId: CLIENT };
  }
}

@Module({ providers: [LogoutOptionsFactory], exports: [LogoutOptionsFactory] })
class FactoryModule {}

@Controller('global')
class GloballyGuardedController {
  @Get('secret')
  secret() {
    return { secret: true };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }
}

describe('module registration', () => {
  let realm: FakeRealm;
  let test: TestApp | undefined;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    AppConfig.issuer = realm.issuer;
  });
  afterEach(async () => {
    await test?.close();
    test = undefined;
  });
  afterAll(async () => {
    await realm?.close();
  });

  async function logoutWorks(url: string, path = '/auth/backchannel-logout') {
    const sid = `sid-${Math.random()}`;
    const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'u', sid });
    const response = await postForm(`${url}${path}`, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid }) });
    expect(response.status).toBe(200);
    expect((await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  }

  it('forRootAsync with useFactory and inject from an imported module', async () => {
    test = await startTestApp(
      'express',
      KeycloakLogoutModule.forRootAsync({ imports: [ConfigModule], inject: [AppConfig], useFactory: (config: AppConfig) => config.logoutOptions }),
    );
    await logoutWorks(test.url);
  });

  it('forRootAsync with an async useFactory', async () => {
    test = await startTestApp(
      'fastify',
      KeycloakLogoutModule.forRootAsync({ useFactory: async () => ({ issuer: realm.issuer, clientId: CLIENT }) }),
    );
    await logoutWorks(test.url);
  });

  it('forRootAsync with useClass', async () => {
    test = await startTestApp('express', KeycloakLogoutModule.forRootAsync({ useClass: LogoutOptionsFactory }));
    await logoutWorks(test.url);
  });

  it('forRootAsync with useExisting', async () => {
    test = await startTestApp('express', KeycloakLogoutModule.forRootAsync({ imports: [FactoryModule], useExisting: LogoutOptionsFactory }));
    await logoutWorks(test.url);
  });

  it('a custom route prefix, and switched-off routes are not mounted', async () => {
    test = await startTestApp(
      'express',
      KeycloakLogoutModule.forRootAsync({
        routePrefix: 'oidc/hooks',
        routes: { keycloakAdmin: false },
        useFactory: () => ({ issuer: realm.issuer, clientId: CLIENT }),
      }),
    );
    await logoutWorks(test.url, '/oidc/hooks/backchannel-logout');
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: 'x' })).status).toBe(404);
    expect((await fetch(`${test.url}/oidc/hooks/k_logout`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('no controller at all when every route is off', async () => {
    test = await startTestApp('fastify', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, routes: { backchannelLogout: false, keycloakAdmin: false } }));
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: 'x' })).status).toBe(404);
  });

  it('cacheManagerBackend keeps the session registry in the given cache (over a Keyv store)', async () => {
    const keyv = new Keyv();
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: cacheManagerBackend(createCache({ stores: [keyv] })) }));
    const now = nowSeconds();
    await test.app.get(SessionRegistry).register({ adapterSessionId: 'sess-1', sid: 'kc-1', sub: 'u', clientId: CLIENT, issuedAt: now, expiresAt: now + 60 });
    expect(await keyv.get('keycloak-logout:session:a:sess-1')).toMatchObject({ sid: 'kc-1' });
  });

  it('without a backend, the registry is a MemorySessionRegistry that honours maxSessionsPerUser and sessionTtl, sweeps, and stops with the app', async () => {
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, maxSessionsPerUser: 2, sessionTtl: 60 }));
    const registry = test.app.get(SessionRegistry);
    expect(registry).toBeInstanceOf(MemorySessionRegistry);
    const memory = registry as MemorySessionRegistry;
    const now = nowSeconds();
    for (const n of [1, 2, 3]) {
      await registry.register({ adapterSessionId: `sess-${n}`, sid: `kc-${n}`, sub: 'u', clientId: CLIENT, issuedAt: now, expiresAt: now + 3_600 });
    }
    expect((await registry.findBySubject('u')).map((s) => s.sid).sort()).toEqual(['kc-2', 'kc-3']);
    expect(await registry.findBySid('kc-1')).toEqual([]);
    // Kept for sessionTtl (60 s), not the records' own hour, and then swept unread.
    memory.prune(Date.now() + 61_000);
    expect(memory.size).toBe(0);
    const close = vi.spyOn(memory, 'close');
    await test.close();
    test = undefined;
    expect(close).toHaveBeenCalled();
  });

  it('with cacheManagerBackend, the cache-manager registry honours its maxSessionsPerUser', async () => {
    test = await startTestApp('fastify', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: cacheManagerBackend(createCache({ stores: [new Keyv()] }), { maxSessionsPerUser: 1 }) }));
    const registry = test.app.get(SessionRegistry);
    expect(registry).toBeInstanceOf(CacheManagerSessionRegistry);
    const now = nowSeconds();
    for (const n of [1, 2]) {
      await registry.register({ adapterSessionId: `sess-${n}`, sid: `kc-${n}`, sub: 'u', clientId: CLIENT, issuedAt: now, expiresAt: now + 60 });
    }
    expect((await registry.findBySubject('u')).map((s) => s.sid)).toEqual(['kc-2']);
  });

  it('uses a given SessionRegistry instance (MemorySessionRegistry) for every lookup', async () => {
    const registry = new MemorySessionRegistry();
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: { sessionRegistry: registry, revocationBus: new LocalRevocationBus() } }));
    expect(test.app.get(SessionRegistry)).toBe(registry);
    const now = nowSeconds();
    await registry.register({ adapterSessionId: 'sess-m', sid: 'kc-m', sub: 'u', clientId: CLIENT, issuedAt: now, expiresAt: now + 60 });
    const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'u', sid: 'kc-m' });
    // k_logout naming only the app session: the registry links it to the Keycloak session.
    const action = await keycloakLogoutAction({ realm, clientId: CLIENT, adapterSessionIds: ['sess-m'] });
    expect((await postAdminAction(`${test.url}/auth/k_logout`, action)).status).toBe(200);
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
    registry.close();
  });

  it('works as a global APP_GUARD: @Public() routes and the logout routes stay open', async () => {
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), {
      controllers: [GloballyGuardedController],
      providers: [{ provide: APP_GUARD, useClass: KeycloakBearerGuard }],
    });
    expect((await fetch(`${test.url}/global/secret`)).status).toBe(401);
    expect((await fetch(`${test.url}/global/open`)).status).toBe(200);
    const sid = 'global-guard';
    const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'u', sid });
    expect((await fetch(`${test.url}/global/secret`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid }) })).status).toBe(200);
    expect((await fetch(`${test.url}/global/secret`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  });

  describe('bad configuration fails at bootstrap with a coded error', () => {
    it('forRoot throws at import time', () => {
      expect(() => KeycloakLogoutModule.forRoot({ issuer: 'not a url', clientId: CLIENT })).toThrow(KeycloakLogoutConfigError);
    });

    async function bootstrapError(module: ReturnType<typeof KeycloakLogoutModule.forRootAsync>): Promise<KeycloakLogoutConfigError> {
      @Module({ imports: [module] })
      class BadApp {}
      const error: unknown = await NestFactory.create(BadApp, { logger: false, abortOnError: false }).then(
        async (app) => {
          await app.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KeycloakLogoutConfigError);
      return error as KeycloakLogoutConfigError;
    }

    it('forRootAsync: an invalid option from the factory', async () => {
      const error = await bootstrapError(KeycloakLogoutModule.forRootAsync({ useFactory: () => ({ issuer: realm.issuer, clientId: CLIENT, algorithms: ['HS256'] }) }));
      expect(error.option).toBe('algorithms');
      expect(error.code).toBe('ERR_KEYCLOAK_LOGOUT_CONFIG');
    });

    it('forRootAsync: a factory returning routing options', async () => {
      const error = await bootstrapError(
        KeycloakLogoutModule.forRootAsync({ useFactory: () => ({ issuer: realm.issuer, clientId: CLIENT, routePrefix: 'x' }) as KeycloakLogoutAsyncResult }),
      );
      expect(error.option).toBe('routePrefix');
    });

    it('forRootAsync without useFactory/useClass/useExisting', () => {
      expect(() => KeycloakLogoutModule.forRootAsync({})).toThrow(/exactly one of useFactory, useClass or useExisting/);
    });

    it('forRootAsync with an invalid route switch fails before any factory runs', () => {
      expect(() => KeycloakLogoutModule.forRootAsync({ routes: { backchannelLogout: 'yes' as unknown as boolean }, useFactory: () => ({ issuer: realm.issuer, clientId: CLIENT }) })).toThrow(
        KeycloakLogoutConfigError,
      );
    });
  });
});
