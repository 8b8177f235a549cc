import { Controller, Get, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentToken, KeycloakBearerGuard, KeycloakLogoutHealth, KeycloakLogoutModule, RefusalLog, RevocationService, Roles, type AccessTokenClaims } from '../../lib/index.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import type { FakeRealm } from '../support/fake-realm.js';
import { startRealmWithOwnKey } from '../support/realm-with-own-key.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, keycloakPushNotBeforeAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { ADAPTERS, CapturingLogger, postForm, startTestApp, TestApiController, type TestApp } from '../support/test-app.js';

const DEMO_CLIENT = 'demo-app';
const PARTNER_CLIENT = 'partner-app';

@Controller('api')
class RolesController {
  @Get('editors')
  @UseGuards(KeycloakBearerGuard)
  @Roles('editor')
  editors(@CurrentToken() token: AccessTokenClaims) {
    return { client: token.azp };
  }
}

/**
 * Two Keycloak-shaped realms behind one app: `demo` (primary) and `partners` (a realm of the
 * `realms` option), each with its own keys (different kids). Cross-realm confusion is refused or
 * has no effect: another realm's kid, another realm's issuer over this realm's signature, an
 * issuer nobody configured, a logout or admin action posted to the other realm's route.
 */
describe.each(ADAPTERS)('several realms with Keycloak-shaped fixtures (%s)', (adapter) => {
  let demo: FakeRealm;
  let partners: FakeRealm;
  let test: TestApp;
  let revocations: RevocationService;
  const logger = new CapturingLogger();
  let counter = 0;
  const newSid = () => `kc-sid-${adapter}-${++counter}`;

  beforeAll(async () => {
    demo = await startRealmWithOwnKey('demo', 'demo-key-1');
    partners = await startRealmWithOwnKey('partners', 'partners-key-1');
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({
      issuer: demo.issuer,
      clientId: DEMO_CLIENT,
      realms: [{ name: 'partners', issuer: partners.issuer, clientId: PARTNER_CLIENT }],
    }), { controllers: [TestApiController, RolesController], logger });
    revocations = test.app.get(RevocationService);
  });
  afterAll(async () => {
    await test?.close();
    await demo?.close();
    await partners?.close();
  });

  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const demoToken = (sid: string, sub = 'alice', extra?: Record<string, unknown>) => keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub, sid, extra });
  const partnerToken = (sid: string, sub = 'alice', extra?: Record<string, unknown>) => keycloakAccessToken(partners, { clientId: PARTNER_CLIENT, sub, sid, extra });
  const refusals = () => test.app.get(RefusalLog).counts();

  it('accepts each realm\'s own tokens', async () => {
    const sid = newSid();
    const fromDemo = await me(await demoToken(sid));
    const fromPartners = await me(await partnerToken(sid));
    expect([fromDemo.status, fromPartners.status]).toEqual([200, 200]);
    expect(await fromPartners.json()).toEqual({ sub: 'alice', sid, client: PARTNER_CLIENT });
  });

  it('refuses a token of one realm, signed with its key, that names the other realm\'s kid', async () => {
    const token = await keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub: 'alice', sid: newSid() }, { kid: partners.signingKey.kid });
    const response = await me(token);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'access token is signed with a key the realm does not publish' });
  });

  it('refuses a token claiming the other realm as issuer but signed with this realm\'s key (whatever kid it names)', async () => {
    const claims = { clientId: PARTNER_CLIENT, sub: 'alice', sid: newSid(), extra: { iss: partners.issuer } };
    for (const kid of [demo.signingKey.kid, partners.signingKey.kid]) {
      const response = await me(await keycloakAccessToken(demo, claims, { kid }));
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('refuses a token whose issuer is no configured realm, with its own reason in the refusal log', async () => {
    const before = refusals()['bearer-guard:unknown_issuer'] ?? 0;
    const stranger = await startRealmWithOwnKey('stranger', 'stranger-key-1');
    try {
      const fetchesBefore = stranger.jwksFetches;
      const response = await me(await keycloakAccessToken(stranger, { clientId: DEMO_CLIENT, sub: 'alice', sid: newSid() }));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'access token issuer is none of the realms this app accepts' });
      // No key was looked up anywhere for it.
      expect(stranger.jwksFetches).toBe(fetchesBefore);
    } finally {
      await stranger.close();
    }
    expect(refusals()['bearer-guard:unknown_issuer']).toBe(before + 1);
  });

  it('checks @Roles client roles against the client of the token\'s own realm', async () => {
    const editors = (token: string) => fetch(`${test.url}/api/editors`, { headers: { authorization: `Bearer ${token}` } });
    const roles = (client: string) => ({ resource_access: { [client]: { roles: ['editor'] } } });
    expect((await editors(await partnerToken(newSid(), 'alice', roles(PARTNER_CLIENT)))).status).toBe(200);
    // The primary realm's client id means nothing in a partners token.
    expect((await editors(await partnerToken(newSid(), 'alice', roles(DEMO_CLIENT)))).status).toBe(403);
    expect((await editors(await demoToken(newSid(), 'alice', roles(DEMO_CLIENT)))).status).toBe(200);
    expect((await editors(await demoToken(newSid(), 'alice', roles(PARTNER_CLIENT)))).status).toBe(403);
  });

  it('a back-channel logout on each realm\'s route revokes that realm\'s sid only', async () => {
    const sid = newSid();
    const [fromDemo, fromPartners] = [await demoToken(sid), await partnerToken(sid)];
    const answer = await postForm(`${test.url}/auth/realms/partners/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm: partners, clientId: PARTNER_CLIENT, sid }) });
    expect(answer.status).toBe(200);
    expect((await me(fromPartners)).status).toBe(401);
    expect((await me(fromDemo)).status).toBe(200);
    expect(revocations.revocationReason({ sid, issuer: partners.issuer })).toBe('sid');
    expect(revocations.revocationReason({ sid })).toBeUndefined();
  });

  it('answers 400 to a logout token posted to the other realm\'s route, and revokes nothing', async () => {
    const sid = newSid();
    const [fromDemo, fromPartners] = [await demoToken(sid), await partnerToken(sid)];
    const partnersTokenToDemo = await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm: partners, clientId: DEMO_CLIENT, sid }) });
    expect(partnersTokenToDemo.status).toBe(400);
    expect(await partnersTokenToDemo.json()).toMatchObject({ error: 'invalid_request' });
    const demoTokenToPartners = await postForm(`${test.url}/auth/realms/partners/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm: demo, clientId: PARTNER_CLIENT, sid }) });
    expect(demoTokenToPartners.status).toBe(400);
    expect(await demoTokenToPartners.json()).toMatchObject({ error: 'invalid_request' });
    // The refusal on the partners route names the partners realm, so operators look in the right place.
    expect(logger.lines.filter((line) => line.includes('refused back-channel logout'))).toEqual([
      expect.stringMatching(new RegExp(`issuer ${demo.issuer}, client ${DEMO_CLIENT}`)),
      expect.stringMatching(new RegExp(`issuer ${partners.issuer}, client ${PARTNER_CLIENT}`)),
    ]);
    expect([(await me(fromDemo)).status, (await me(fromPartners)).status]).toEqual([200, 200]);
  });

  it('answers 404 with a JSON error on the routes of a realm that is not configured', async () => {
    for (const path of ['realms/nowhere/backchannel-logout', 'realms/nowhere/k_logout', 'realms/nowhere/k_push_not_before', 'realms/nowhere/k_test_available']) {
      const response = await fetch(`${test.url}/auth/${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found', error_description: 'no realm of that name is configured for this app' });
    }
  });

  it('a k_logout on one realm\'s Admin URL naming a sid that also exists in the other realm has no effect there', async () => {
    const sid = newSid();
    const [fromDemo, fromPartners] = [await demoToken(sid), await partnerToken(sid)];
    const action = await keycloakLogoutAction({ realm: demo, clientId: DEMO_CLIENT, keycloakSessionIds: [sid] });
    expect((await postAdminAction(`${test.url}/auth/k_logout`, action)).status).toBe(200);
    expect((await me(fromDemo)).status).toBe(401);
    expect((await me(fromPartners)).status).toBe(200);
  });

  it('refuses (401) an admin action signed by one realm on the other realm\'s Admin URL, and changes nothing', async () => {
    const sid = newSid();
    const fromPartners = await partnerToken(sid);
    const demoSigned = await keycloakLogoutAction({ realm: demo, clientId: PARTNER_CLIENT, keycloakSessionIds: [sid] }, {}) ;
    const response = await postAdminAction(`${test.url}/auth/realms/partners/k_logout`, demoSigned);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    expect((await me(fromPartners)).status).toBe(200);
    // Its own realm's action, for the realm's own client, is carried out.
    const own = await keycloakLogoutAction({ realm: partners, clientId: PARTNER_CLIENT, keycloakSessionIds: [sid] });
    expect((await postAdminAction(`${test.url}/auth/realms/partners/k_logout`, own)).status).toBe(200);
    expect((await me(fromPartners)).status).toBe(401);
  });

  it('k_push_not_before on the primary realm\'s Admin URL leaves the other realm\'s tokens alone', async () => {
    const iat = nowSeconds() - 5;
    const fromDemo = await keycloakAccessToken(demo, { clientId: DEMO_CLIENT, sub: 'bob', sid: newSid(), iat });
    const fromPartners = await keycloakAccessToken(partners, { clientId: PARTNER_CLIENT, sub: 'bob', sid: newSid(), iat });
    const push = await keycloakPushNotBeforeAction({ realm: demo, clientId: DEMO_CLIENT, notBefore: nowSeconds() });
    expect((await postAdminAction(`${test.url}/auth/k_push_not_before`, push)).status).toBe(200);
    expect((await me(fromDemo)).status).toBe(401);
    expect((await me(fromPartners)).status).toBe(200);
    expect(revocations.notBeforeOf('partners')).toBe(0);
  });
});

describe('health with several realms', () => {
  it('reports each further realm\'s keys; a realm whose OP is unreachable degrades the report, it does not take the app down', async () => {
    const demo = await startRealmWithOwnKey('demo', 'demo-key-1');
    const partners = await startRealmWithOwnKey('partners', 'partners-key-1');
    const gone = await startRealmWithOwnKey('gone', 'gone-key-1');
    await gone.close();
    const test = await startTestApp('express', KeycloakLogoutModule.forRoot({
      issuer: demo.issuer,
      clientId: DEMO_CLIENT,
      realms: [
        { name: 'partners', issuer: partners.issuer, clientId: PARTNER_CLIENT },
        { name: 'gone', issuer: gone.issuer, clientId: PARTNER_CLIENT, jwksUri: gone.jwksUri },
      ],
      jwks: { timeout: 500 },
    }));
    try {
      const report = await test.app.get(KeycloakLogoutHealth).check();
      expect(report.jwks).toMatchObject({ status: 'up', keys: 1 });
      expect(report.realms).toEqual({
        partners: { status: 'up', keys: 1, outage: false },
        gone: { status: 'down', keys: 0, outage: true },
      });
      expect(report.status).toBe('degraded');
      // The report names no URL.
      expect(JSON.stringify(report)).not.toContain('127.0.0.1');
    } finally {
      await test.close();
      await demo.close();
      await partners.close();
    }
  });
});
