/**
 * The health indicator inside a real @nestjs/terminus HealthCheckService (the sample serves it at /health): discovery and JWKS
 * reachability, and the revocation view's freshness, as `up`, `degraded` or `down` under one
 * key, with reason codes and never a URL. (The Redis-backed view: test/integration/redis-telemetry.int-spec.ts.)
 */
import type { Server } from 'node:http';
import { HttpException, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KeycloakLogoutHealth, KeycloakLogoutModule, type KeycloakLogoutModuleOptions } from '../../lib/index.js';
import { LocalRevocationBus, type RevocationBusHealth } from '../../lib/revocation/revocation-bus.js';
import { MemorySessionRegistry } from '../../lib/registry/memory-session-registry.js';
import { KeycloakLogoutHealthIndicator } from '../../lib/terminus/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const CLIENT = 'app-health';
/** Long enough for the health probe to run inside the outage pause it starts. */
const COOLDOWN_MS = 1_000;

/** The app as a user would write it: the library, TerminusModule and the indicator (the sample has the /health route). */
function healthApp(options: KeycloakLogoutModuleOptions): DynamicModule {
  @Module({})
  class HealthAppModule {}
  return { module: HealthAppModule, imports: [KeycloakLogoutModule.forRoot(options), TerminusModule], providers: [KeycloakLogoutHealthIndicator] };
}

/** A bus whose freshness the test sets, with a shared-log status like the Redis bus's. */
class SettableBus extends LocalRevocationBus {
  state = { state: 'fresh', stale: false, lagMs: 40 as number | null, unsharedRevocations: 0 };
  override health(): RevocationBusHealth {
    return { stale: this.state.stale, detail: this.state.stale ? 'no complete read of the shared log for 4200 ms' : 'fresh' };
  }
  status() {
    return { ...this.state };
  }
}

describe('the @nestjs/terminus health indicator', () => {
  const realms: FakeRealm[] = [];
  let test: TestApp | undefined;
  const newRealm = async () => {
    const realm = await FakeRealm.start();
    realms.push(realm);
    return realm;
  };
  const start = async (options: KeycloakLogoutModuleOptions) => {
    test = await startTestApp('express', healthApp(options));
    return test;
  };
  /** terminus's HealthCheckService with the indicator, as a @HealthCheck() route runs it: a `down` is the 503 exception it throws. */
  const getHealth = async () => {
    const check = () => test!.app.get(HealthCheckService).check([() => test!.app.get(KeycloakLogoutHealthIndicator).isHealthy()]);
    try {
      return { status: 200, body: (await check()) as Record<string, any> };
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      return { status: error.getStatus(), body: error.getResponse() as Record<string, any> };
    }
  };
  afterEach(async () => {
    await test?.close();
    test = undefined;
  });
  afterAll(async () => {
    for (const realm of realms) await realm.close();
  });

  it('up: discovery loaded, keys in hand, a fresh view; the first probe fetches the keys, later ones ask the OP nothing', async () => {
    const realm = await newRealm();
    await start({ issuer: realm.issuer, clientId: CLIENT });
    const { status, body } = await getHealth();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      info: {
        keycloak_logout: {
          status: 'up',
          discovery: { status: 'up' },
          jwks: { status: 'up', keys: 1, outage: false },
          revocationView: { status: 'up', stale: false, detail: 'in-process' },
        },
      },
    });
    expect([realm.discoveryFetches, realm.jwksFetches]).toEqual([1, 1]);
    expect((await getHealth()).body.info.keycloak_logout.status).toBe('up');
    expect([realm.discoveryFetches, realm.jwksFetches]).toEqual([1, 1]);
  });

  it('down (503) when discovery cannot be had; the answer names a reason code, not the OP\'s address', async () => {
    const realm = await newRealm();
    realm.discoveryStatus = 503;
    await start({ issuer: realm.issuer, clientId: CLIENT });
    const { status, body } = await getHealth();
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error.keycloak_logout).toMatchObject({
      status: 'down',
      discovery: { status: 'down', error: 'provider_unavailable' },
      jwks: { status: 'down', keys: 0, error: 'provider_unavailable' },
    });
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });

  it('degraded, not down, when discovery fails but jwksUri is configured (the guards need no discovery)', async () => {
    const realm = await newRealm();
    realm.discoveryStatus = 503;
    await start({ issuer: realm.issuer, clientId: CLIENT, jwksUri: realm.jwksUri });
    const { status, body } = await getHealth();
    expect(status).toBe(200);
    expect(body.details.keycloak_logout).toMatchObject({
      status: 'degraded',
      discovery: { status: 'degraded', error: 'provider_unavailable' },
      jwks: { status: 'up', keys: 1 },
    });
  });

  it('degraded while the JWKS endpoint is in an outage but the keys fetched before still verify', async () => {
    const realm = await newRealm();
    const app = await start({ issuer: realm.issuer, clientId: CLIENT, jwks: { cooldown: COOLDOWN_MS } });
    expect((await app.app.get(KeycloakLogoutHealth).check()).jwks).toEqual({ status: 'up', keys: 1, outage: false });
    // A rotated key is not in hand and the JWKS answers 503: once jose's cooldown since the last
    // good fetch is over, a token signed with it makes one failed fetch, and the outage pause starts.
    realm.jwksStatus = 503;
    await realm.rotate('key-2');
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const rotated = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'erin', sid: 'kc-erin' });
    expect((await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${rotated}` } })).status).toBe(503);
    const { status, body } = await getHealth();
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.details.keycloak_logout).toMatchObject({ status: 'degraded', jwks: { status: 'degraded', keys: 1, outage: true } });
  });

  it('a stale view is down under failurePolicy refuse, degraded under allow; a disconnected shared log is degraded', async () => {
    const realm = await newRealm();
    const bus = new SettableBus();
    const app = await start({ issuer: realm.issuer, clientId: CLIENT, backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } });
    const health = app.app.get(KeycloakLogoutHealth);
    expect((await health.check()).revocationView).toEqual({
      status: 'up',
      stale: false,
      detail: 'fresh',
      sharedLog: { state: 'fresh', connected: true, lagMs: 40, unsharedRevocations: 0 },
    });
    bus.state = { state: 'reconnecting', stale: false, lagMs: 900, unsharedRevocations: 1 };
    expect((await health.check()).revocationView).toMatchObject({ status: 'degraded', sharedLog: { connected: false, unsharedRevocations: 1 } });
    bus.state = { state: 'stale', stale: true, lagMs: 4_200, unsharedRevocations: 1 };
    const { status, body } = await getHealth();
    expect(status).toBe(503);
    expect(body.error.keycloak_logout.revocationView).toMatchObject({ status: 'down', stale: true, sharedLog: { state: 'stale', lagMs: 4_200 } });

    await app.close();
    test = undefined;
    const allowing = await start({ issuer: realm.issuer, clientId: CLIENT, failurePolicy: 'allow', backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } });
    expect((await allowing.app.get(KeycloakLogoutHealth).check()).revocationView.status).toBe('degraded');
  });

  it('down (not ready) under either failure policy while the shared log was never read to its end: catching up at start', async () => {
    const realm = await newRealm();
    const bus = new SettableBus();
    // What the Redis bus reports after startTimeout, while it still reads a long log (or Redis is away since the start).
    bus.state = { state: 'starting', stale: true, lagMs: null, unsharedRevocations: 0 };
    for (const failurePolicy of ['refuse', 'allow'] as const) {
      await start({ issuer: realm.issuer, clientId: CLIENT, failurePolicy, backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } });
      const { status, body } = await getHealth();
      expect(status).toBe(503);
      expect(body.error.keycloak_logout.revocationView).toMatchObject({ status: 'down', stale: true, sharedLog: { state: 'starting', lagMs: null } });
      await test!.close();
      test = undefined;
    }
    // Once read to its end the view is ready; a later staleness under 'allow' is degraded, as before.
    bus.state = { state: 'stale', stale: true, lagMs: 4_200, unsharedRevocations: 0 };
    await start({ issuer: realm.issuer, clientId: CLIENT, failurePolicy: 'allow', backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } });
    expect((await getHealth()).status).toBe(200);
  });

  it('app.listen() does not listen before the revocation bus has caught up (start() resolved)', async () => {
    const realm = await newRealm();
    let caughtUp!: () => void;
    class SlowBus extends LocalRevocationBus {
      override start(): Promise<void> {
        return new Promise((resolve) => (caughtUp = resolve));
      }
    }
    const app = await NestFactory.create(healthApp({ issuer: realm.issuer, clientId: CLIENT, backend: { revocationBus: new SlowBus(), sessionRegistry: new MemorySessionRegistry() } }), { logger: false });
    try {
      let listening = false;
      const listen = app.listen(0, '127.0.0.1').then(() => (listening = true));
      await waitFor(() => caughtUp !== undefined, 'the bus was started', 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(listening).toBe(false);
      expect((app.getHttpServer() as Server).listening).toBe(false);
      caughtUp();
      await listen;
      expect((app.getHttpServer() as Server).listening).toBe(true);
    } finally {
      await app.close();
    }
  });
});
