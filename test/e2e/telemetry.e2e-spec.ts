/**
 * Metrics and spans through the real OpenTelemetry SDK (a pulled MeterProvider, an in-memory
 * span exporter), driven by real requests at a test app: each counter moves as its action
 * happens, the histograms record, the gauges report, the spans carry the documented names and
 * attributes, and no telemetry value carries a token, a sid or a sub.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, KeycloakSessionTerminator, RevocationBus, RevocationService, SessionRegistry } from '../../lib/index.js';
import { LocalRevocationBus, type RevocationBusHealth } from '../../lib/revocation/revocation-bus.js';
import { MemorySessionRegistry } from '../../lib/registry/memory-session-registry.js';
import { ATTRIBUTE, METRIC } from '../../lib/telemetry/telemetry-names.js';
import { keycloak26LogoutToken, mutatedLogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import {
  keycloakLogoutAction,
  keycloakPushNotBeforeAction,
  keycloakTestAvailabilityAction,
  postAdminAction,
} from '../support/keycloak-admin-actions.js';
import { OtelTestSdk } from '../support/otel-test-sdk.js';
import { postForm, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-telemetry';
const logouts = (path: string, outcome: string, reason?: string) => ({
  [ATTRIBUTE.path]: path,
  [ATTRIBUTE.outcome]: outcome,
  ...(reason !== undefined ? { [ATTRIBUTE.reason]: reason } : {}),
});

describe('telemetry through the OpenTelemetry SDK', () => {
  let realm: FakeRealm;
  let test: TestApp;
  const sdk = new OtelTestSdk();
  /** Every token, sid and sub the tests send: none may appear in any telemetry value. */
  const secrets: string[] = [];
  let sidCounter = 0;
  const newSid = () => {
    const sid = `f3b1a9c2-tele-sid-${++sidCounter}`;
    secrets.push(sid);
    return sid;
  };
  const remember = <T extends string>(token: T): T => {
    secrets.push(token, ...token.split('.').map((part) => part.slice(0, 24)));
    return token;
  };

  beforeAll(async () => {
    realm = await FakeRealm.start();
    secrets.push('alice-sub-7d2e', 'bob-sub-41aa');
    test = await startTestApp(
      'express',
      KeycloakLogoutModule.forRoot({
        issuer: realm.issuer,
        clientId: CLIENT,
        publicUrl: 'http://127.0.0.1:1',
        routes: { frontchannelLogout: true, logout: true },
        telemetry: sdk.options,
      }),
    );
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
    await sdk.shutdown();
  });

  it('a back-channel logout: counted, timed and traced; the first one fetches discovery and JWKS, measured too', async () => {
    const sid = newSid();
    const token = remember(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid, sub: 'alice-sub-7d2e' }));
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token })).status).toBe(200);

    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'success'))).toBe(1);
    expect(await sdk.recorded(METRIC.logoutDuration, logouts('backchannel', 'success'))).toBe(1);
    const [span] = sdk.spans('keycloak_logout.logout.backchannel');
    expect(span?.kind).toBe(SpanKind.INTERNAL);
    expect(span?.attributes).toMatchObject({ [ATTRIBUTE.path]: 'backchannel', [ATTRIBUTE.outcome]: 'success' });
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);

    for (const endpoint of ['discovery', 'jwks']) {
      expect(await sdk.total(METRIC.opRequests, { [ATTRIBUTE.opEndpoint]: endpoint, [ATTRIBUTE.httpStatus]: 200 })).toBe(1);
      expect(await sdk.recorded(METRIC.opRequestDuration, { [ATTRIBUTE.opEndpoint]: endpoint })).toBe(1);
      const [request] = sdk.spans(`keycloak_logout.op.${endpoint}`);
      expect(request?.kind).toBe(SpanKind.CLIENT);
      expect(request?.attributes).toMatchObject({
        [ATTRIBUTE.httpMethod]: 'GET',
        [ATTRIBUTE.httpStatus]: 200,
        [ATTRIBUTE.serverAddress]: '127.0.0.1',
        [ATTRIBUTE.urlFull]: endpoint === 'jwks' ? realm.jwksUri : `${realm.issuer}/.well-known/openid-configuration`,
      });
    }
    // Applied on this instance, from its own publish: a local propagation of a sid revocation.
    const [lag] = await sdk.points(METRIC.propagationDuration, { [ATTRIBUTE.revocationType]: 'sid', [ATTRIBUTE.revocationOrigin]: 'local' });
    expect(lag?.count).toBe(1);
    expect(lag?.value).toBeGreaterThanOrEqual(0);
    expect(lag?.value).toBeLessThan(5);
  });

  it('refused back-channel logouts: counted by reason as logouts and, once, as refusals', async () => {
    const before = await sdk.total(METRIC.refusals);
    const wrongAudience = remember(await mutatedLogoutToken({ realm, clientId: CLIENT, sid: newSid() }, { aud: 'someone-else' }));
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: wrongAudience })).status).toBe(400);
    expect((await postForm(`${test.url}/auth/backchannel-logout`, {})).status).toBe(400);
    const replayed = remember(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: newSid() }));
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: replayed })).status).toBe(200);
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: replayed })).status).toBe(400);

    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'refused', 'token_invalid'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'refused', 'request_invalid'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'refused', 'token_replayed'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'success'))).toBe(2);
    const refusal = { [ATTRIBUTE.channel]: 'backchannel_logout', [ATTRIBUTE.context]: 'http', [ATTRIBUTE.httpStatus]: 400 };
    expect(await sdk.total(METRIC.refusals, { ...refusal, [ATTRIBUTE.reason]: 'token_invalid' })).toBe(1);
    expect(await sdk.total(METRIC.refusals, { ...refusal, [ATTRIBUTE.reason]: 'token_replayed' })).toBe(1);
    // Three refusals, three counts: RefusalLog is the one place they are counted.
    expect((await sdk.total(METRIC.refusals)) - before).toBe(3);
    const failed = sdk.spans('keycloak_logout.logout.backchannel').filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed.map((s) => s.attributes[ATTRIBUTE.errorType]).sort()).toEqual(['request_invalid', 'token_invalid', 'token_replayed']);
  });

  it('Admin URL: k_logout naming sessions, "Sign out all" and push as not_before, a k_logout naming nothing ignored, test-availability not a logout', async () => {
    const url = (action: string) => `${test.url}/auth/${action}`;
    const named = remember(await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [newSid()] }));
    expect((await postAdminAction(url('k_logout'), named)).status).toBe(200);
    const all = remember(await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore: nowSeconds() - 10 }));
    expect((await postAdminAction(url('k_logout'), all)).status).toBe(200);
    const push = remember(await keycloakPushNotBeforeAction({ realm, clientId: CLIENT, notBefore: nowSeconds() - 5 }));
    expect((await postAdminAction(url('k_push_not_before'), push)).status).toBe(200);
    const nothing = remember(await keycloakLogoutAction({ realm, clientId: CLIENT }));
    expect((await postAdminAction(url('k_logout'), nothing)).status).toBe(200);
    const expired = remember(await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore: 1, expiresIn: -60 }));
    expect((await postAdminAction(url('k_logout'), expired)).status).toBe(400);
    const available = remember(await keycloakTestAvailabilityAction({ realm, clientId: CLIENT }));
    expect((await postAdminAction(url('k_test_available'), available)).status).toBe(200);

    expect(await sdk.total(METRIC.logouts, logouts('k_logout', 'success'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('not_before', 'success'))).toBe(2);
    expect(await sdk.total(METRIC.logouts, logouts('k_logout', 'ignored', 'nothing_named'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('k_logout', 'refused', 'token_invalid'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, { [ATTRIBUTE.path]: 'k_logout' })).toBe(3);
    // "Sign out all" arrived on k_logout; its span was renamed once the action said what it is.
    expect(sdk.spans('keycloak_logout.logout.not_before')).toHaveLength(2);
    expect(await sdk.recorded(METRIC.propagationDuration, { [ATTRIBUTE.revocationType]: 'not_before' })).toBe(2);
  });

  it('front-channel: an unknown sid is ignored, a known one logged out; malformed refused', async () => {
    const known = newSid();
    await test.app.get(SessionRegistry).register({ sid: known, sub: 'bob-sub-41aa', clientId: CLIENT, issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600 });
    const frontchannel = (sid: string, iss = realm.issuer) => fetch(`${test.url}/auth/frontchannel-logout?${new URLSearchParams({ iss, sid }).toString()}`);
    expect((await frontchannel(newSid())).status).toBe(200);
    expect((await frontchannel(known)).status).toBe(200);
    expect((await frontchannel(newSid(), 'https://elsewhere.example')).status).toBe(400);

    expect(await sdk.total(METRIC.logouts, logouts('frontchannel', 'ignored', 'unknown_sid'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('frontchannel', 'success'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('frontchannel', 'refused', 'request_invalid'))).toBe(1);
    expect(await sdk.total(METRIC.refusals, { [ATTRIBUTE.channel]: 'frontchannel_logout', [ATTRIBUTE.reason]: 'unknown_sid', [ATTRIBUTE.httpStatus]: 200 })).toBe(1);
  });

  it('RP-initiated: nobody signed in is ignored, a wrong CSRF token refused', async () => {
    const session = (data: Record<string, unknown>) => {
      const id = `rp-${Math.random().toString(36).slice(2)}`;
      test.sessions.set(id, { ...data, regenerate: (done: () => void) => done(), save: (done: () => void) => done() });
      return id;
    };
    const post = (id: string, form: Record<string, string>) =>
      fetch(`${test.url}/auth/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-session': id },
        body: new URLSearchParams(form).toString(),
      });
    expect((await post(session({}), {})).status).toBe(303);
    const signedIn = session({ keycloak: { sub: 'alice-sub-7d2e', sid: newSid(), issuedAt: nowSeconds(), logoutCsrfToken: 'right-token-of-32-characters-xx' } });
    expect((await post(signedIn, { csrf_token: 'wrong-token-of-32-characters-xx' })).status).toBe(403);

    expect(await sdk.total(METRIC.logouts, logouts('rp_initiated', 'ignored', 'not_signed_in'))).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('rp_initiated', 'refused', 'failed'))).toBe(1);
  });

  it('the app\'s own logouts (RevocationService, KeycloakSessionTerminator) are the api path, with the operation on the span', async () => {
    const revocations = test.app.get(RevocationService);
    await revocations.revokeSid(newSid());
    await revocations.revokeSubject('bob-sub-41aa');
    expect(await sdk.total(METRIC.logouts, logouts('api', 'success'))).toBe(2);
    expect(sdk.spans('keycloak_logout.logout.api').map((s) => s.attributes[ATTRIBUTE.operation])).toEqual(['revoke_sid', 'revoke_subject']);

    // The OP answers 404: a failure of the OP request and of the logout.
    realm.tokenLogout.failNextWith = 404;
    const refreshToken = remember(await realm.sign({ typ: 'Refresh', sid: newSid(), sub: 'alice-sub-7d2e' }));
    await expect(test.app.get(KeycloakSessionTerminator).logoutWithRefreshToken(refreshToken)).rejects.toThrow();
    expect(await sdk.total(METRIC.logouts, logouts('api', 'error', 'provider_rejected'))).toBe(1);
    expect(await sdk.total(METRIC.opRequests, { [ATTRIBUTE.opEndpoint]: 'logout', [ATTRIBUTE.errorType]: '404', [ATTRIBUTE.httpStatus]: 404 })).toBe(1);
    const [request] = sdk.spans('keycloak_logout.op.logout');
    expect(request?.attributes).toMatchObject({ [ATTRIBUTE.httpMethod]: 'POST', [ATTRIBUTE.errorType]: '404' });
    expect(request?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('guard refusals are counted by reason and context', async () => {
    const sid = newSid();
    const accessToken = remember(await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice-sub-7d2e', sid }));
    const me = (token?: string) => fetch(`${test.url}/api/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await me(accessToken)).status).toBe(200);
    expect((await me()).status).toBe(401);
    await test.app.get(RevocationService).revokeSid(sid);
    expect((await me(accessToken)).status).toBe(401);
    expect((await me(accessToken)).status).toBe(401);

    const guard = { [ATTRIBUTE.channel]: 'bearer_guard', [ATTRIBUTE.context]: 'http', [ATTRIBUTE.httpStatus]: 401 };
    expect(await sdk.total(METRIC.refusals, { ...guard, [ATTRIBUTE.reason]: 'missing_token' })).toBe(1);
    expect(await sdk.total(METRIC.refusals, { ...guard, [ATTRIBUTE.reason]: 'revoked_sid' })).toBe(2);
  });

  it('the gauges report tracked sessions, active revocations and a fresh view (no shared log: no lag)', async () => {
    const registry = test.app.get<SessionRegistry, MemorySessionRegistry>(SessionRegistry);
    const revocationCount = (await sdk.points(METRIC.revocationCount))[0]?.value;
    expect(revocationCount).toBeGreaterThan(0);
    expect((await sdk.points(METRIC.sessionCount))[0]?.value).toBe(registry.size);
    await registry.register({ sid: newSid(), sub: 'bob-sub-41aa', clientId: CLIENT, issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600 });
    expect((await sdk.points(METRIC.sessionCount))[0]?.value).toBe(registry.size);
    await test.app.get(RevocationService).revokeSid(newSid());
    expect((await sdk.points(METRIC.revocationCount))[0]?.value).toBe(revocationCount! + 1);
    expect((await sdk.points(METRIC.viewStale))[0]?.value).toBe(0);
    expect(await sdk.points(METRIC.viewLag)).toEqual([]);
  });

  it('no metric or span carries a token, a sid or a sub', async () => {
    const values = await sdk.everyValue();
    expect(values.length).toBeGreaterThan(100);
    for (const value of values) {
      expect(value).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}/);
      for (const secret of secrets) expect(value.includes(secret), `telemetry value ${JSON.stringify(value)} contains ${secret}`).toBe(false);
    }
  });
});

/** A bus on a shared log, as `nestjs-keycloak-logout/redis` has: read through `status()`, no import of it. */
class SharedLogBus extends LocalRevocationBus {
  state = { state: 'reconnecting', stale: true, lagMs: 4_200 as number | null, unsharedRevocations: 2 };
  override health(): RevocationBusHealth {
    return { stale: this.state.stale, detail: this.state.state };
  }
  status() {
    return { ...this.state, maxStaleness: 3_000, lastEntryId: '0-0', knownRevocations: 0, detail: this.state.state };
  }
}

describe('telemetry: the global providers, the OP unreachable, and a shared log', () => {
  let realm: FakeRealm;
  let test: TestApp;
  const sdk = new OtelTestSdk();
  const bus = new SharedLogBus();

  beforeAll(async () => {
    // The default: no `telemetry` option, the SDK registered globally before the app starts.
    const { metrics, trace } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    realm = await FakeRealm.start();
    realm.jwksStatus = 503;
    test = await startTestApp(
      'express',
      KeycloakLogoutModule.forRoot({
        issuer: realm.issuer,
        clientId: CLIENT,
        failurePolicy: 'allow',
        backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() },
      }),
    );
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
    await sdk.shutdown();
  });

  it('JWKS and discovery failures are counted with error.type, through the global SDK', async () => {
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'carol', sid: 'kc-carol' });
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(503);
    expect(await sdk.total(METRIC.opRequests, { [ATTRIBUTE.opEndpoint]: 'jwks', [ATTRIBUTE.errorType]: '503' })).toBe(1);
    expect(sdk.spans('keycloak_logout.op.jwks')[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(await sdk.total(METRIC.refusals, { [ATTRIBUTE.channel]: 'bearer_guard', [ATTRIBUTE.reason]: 'provider_unavailable', [ATTRIBUTE.httpStatus]: 503 })).toBe(1);

    realm.discoveryStatus = 500;
    const other = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    try {
      const logoutToken = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'kc-dave' });
      expect((await postForm(`${other.url}/auth/backchannel-logout`, { logout_token: logoutToken })).status).toBe(400);
    } finally {
      await other.close();
    }
    expect(await sdk.total(METRIC.opRequests, { [ATTRIBUTE.opEndpoint]: 'discovery', [ATTRIBUTE.errorType]: '500' })).toBe(1);
    expect(await sdk.total(METRIC.logouts, logouts('backchannel', 'error', 'provider_unavailable'))).toBe(1);
  });

  it('a shared log\'s lag, staleness and unshared revocations are gauges; a closed app is no longer observed', async () => {
    expect((await sdk.points(METRIC.viewLag))[0]?.value).toBe(4.2);
    expect((await sdk.points(METRIC.viewStale))[0]?.value).toBe(1);
    expect((await sdk.points(METRIC.viewUnshared))[0]?.value).toBe(2);
    bus.state = { state: 'fresh', stale: false, lagMs: 120, unsharedRevocations: 0 };
    expect((await sdk.points(METRIC.viewLag))[0]?.value).toBe(0.12);
    expect((await sdk.points(METRIC.viewStale))[0]?.value).toBe(0);
    expect(test.app.get(RevocationBus)).toBe(bus);

    // Closed, the app is no longer observed: its bus is not read again (nor kept alive by the SDK).
    await test.close();
    bus.state = { state: 'fresh', stale: false, lagMs: 9_999, unsharedRevocations: 0 };
    expect((await sdk.points(METRIC.viewLag)).map((point) => point.value)).not.toContain(9.999);
  });
});
