/**
 * OIDC Front-Channel Logout 1.0: the OP loads `{prefix}/frontchannel-logout?iss=…&sid=…` in
 * a hidden iframe. The right `iss` with a `sid` revokes that Keycloak session (its app sessions
 * and access tokens); anything else revokes nothing. The answer must be frameable by the OP only
 * and never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, SessionRegistry, type LogoutEvent } from '../../lib/index.js';
import { RevocationStore } from '../../lib/revocation/revocation-store.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ADAPTERS, CapturingLogger, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';

describe.each(ADAPTERS)('front-channel logout (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  const events: LogoutEvent[] = [];
  const logger = new CapturingLogger();
  let counter = 0;

  const frontchannel = (query: string, headers: Record<string, string> = {}) => fetch(`${test.url}/auth/frontchannel-logout?${query}`, { headers });
  const page = (sessionId: string) => fetch(`${test.url}/api/page`, { headers: { 'x-test-session': sessionId } });
  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  async function signedIn(sub = 'alice') {
    counter += 1;
    const sid = `kc-session-${adapter}-${counter}`;
    const sessionId = `express-${adapter}-${counter}`;
    test.sessions.set(sessionId, { keycloak: { sub, sid, issuedAt: nowSeconds() } });
    // As the login route does: the registry is what tells a real sid from a made-up one.
    await test.app.get(SessionRegistry).register({ adapterSessionId: sessionId, sid, sub, clientId: CLIENT, issuedAt: nowSeconds(), expiresAt: nowSeconds() + 600 });
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub, sid });
    return { sid, sessionId, token };
  }

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, routes: { frontchannelLogout: true } }), { logger });
    test.app.get(RevocationService).onLogout((event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('the right iss and sid revoke that session: its app sessions and tokens, not others', async () => {
    const target = await signedIn();
    const bystander = await signedIn('bob');
    expect((await page(target.sessionId)).status).toBe(200);

    const response = await frontchannel(`iss=${encodeURIComponent(realm.issuer)}&sid=${encodeURIComponent(target.sid)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toBe(`default-src 'none'; frame-ancestors ${new URL(realm.issuer).origin}`);
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(await response.text()).toContain('Signed out');

    expect((await page(target.sessionId)).status).toBe(401);
    expect((await me(target.token)).status).toBe(401);
    expect((await page(bystander.sessionId)).status).toBe(200);
    expect((await me(bystander.token)).status).toBe(200);
    expect(events.at(-1)?.revocation).toMatchObject({ type: 'sid', sid: target.sid, source: 'frontchannel-logout' });

    // Idempotent: the OP may load the iframe twice.
    expect((await frontchannel(`iss=${encodeURIComponent(realm.issuer)}&sid=${encodeURIComponent(target.sid)}`)).status).toBe(200);
  });

  it('a sid no session of this app has is answered alike, but neither stored nor published, and logged', async () => {
    const store = test.app.get(RevocationStore);
    const sizeBefore = store.size;
    const eventsBefore = events.length;
    for (let i = 0; i < 200; i += 1) {
      const response = await frontchannel(`iss=${encodeURIComponent(realm.issuer)}&sid=made-up-${adapter}-${i}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Signed out');
    }
    expect(store.size).toBe(sizeBefore);
    expect(events.length).toBe(eventsBefore);
    expect(logger.lines.filter((line) => line.includes('refused front-channel logout: unknown_sid'))).toHaveLength(1);
    expect(logger.lines.join('\n')).not.toContain('made-up-');
  });

  it('the requester\'s own session counts as knowing the sid, even when the registry does not have it', async () => {
    counter += 1;
    const sid = `kc-unregistered-${adapter}-${counter}`;
    const sessionId = `own-${adapter}-${counter}`;
    test.sessions.set(sessionId, { keycloak: { sub: 'dora', sid, issuedAt: nowSeconds() } });
    const response = await frontchannel(`iss=${encodeURIComponent(realm.issuer)}&sid=${encodeURIComponent(sid)}`, { 'x-test-session': sessionId });
    expect(response.status).toBe(200);
    expect(events.at(-1)?.revocation).toMatchObject({ type: 'sid', sid, source: 'frontchannel-logout' });
  });

  describe('revokes nothing', () => {
    async function expectNothingRevoked(query: string, description: RegExp) {
      const victim = await signedIn('victim');
      const before = events.length;
      const response = await frontchannel(query.replace('{sid}', encodeURIComponent(victim.sid)));
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const json = (await response.json()) as { error: string; error_description: string };
      expect(json.error).toBe('invalid_request');
      expect(json.error_description).toMatch(description);
      expect(events.length).toBe(before);
      expect((await page(victim.sessionId)).status).toBe(200);
      expect((await me(victim.token)).status).toBe(200);
    }

    it('front-channel request naming another issuer', async () => {
      await expectNothingRevoked(`iss=${encodeURIComponent('https://evil.example/realms/demo')}&sid={sid}`, /"iss" is not this client's issuer/);
    });
    it('iss of another realm on the same server', async () => {
      await expectNothingRevoked(`iss=${encodeURIComponent(realm.issuer.replace('/demo', '/other'))}&sid={sid}`, /"iss" is not/);
    });
    it('missing sid', async () => {
      await expectNothingRevoked(`iss=${encodeURIComponent(realm.issuer)}`, /needs both "iss" and "sid"/);
    });
    it('missing iss', async () => {
      await expectNothingRevoked('sid={sid}', /needs both "iss" and "sid"/);
    });
    it('neither (front-channel logout session required is off)', async () => {
      await expectNothingRevoked('', /Front channel logout session required/);
    });
    it('sid given twice', async () => {
      await expectNothingRevoked(`iss=${encodeURIComponent(realm.issuer)}&sid={sid}&sid=other`, /once each/);
    });
    it('empty sid', async () => {
      await expectNothingRevoked(`iss=${encodeURIComponent(realm.issuer)}&sid=`, /non-empty/);
    });
  });

  it('the route is off unless routes.frontchannelLogout is set', async () => {
    const other = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    try {
      expect((await fetch(`${other.url}/auth/frontchannel-logout?iss=${encodeURIComponent(realm.issuer)}&sid=x`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
