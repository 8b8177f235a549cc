/**
 * The browser flows end to end against oidc-provider dressed as a Keycloak realm: login to two
 * apps through the real authorization endpoint (code + PKCE + nonce + state, with
 * client_session_state at the code exchange), RP-initiated logout from one app following the
 * OP's end-session flow, the other app logged out by the OP's back-channel call, and
 * Keycloak's k_logout naming the express-session id that login sent.
 */
import { createHash } from 'node:crypto';
import { CompactSign, decodeJwt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, SessionRegistry, type KeycloakLoginRecord, type LogoutEvent } from '../../lib/index.js';
import type { FakeRealm } from '../support/fake-realm.js';
import { createHttpAgent, type HttpAgent } from '../support/http-client.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { startTestOp, type TestOp } from '../support/test-op.js';
import { waitFor } from '../support/wait-for.js';
import { SESSION_COOKIE, startSessionApp, type SessionApp } from './login-session-app.js';

const ALICE = { username: 'alice', password: 'alice-password' };
const BOB = { username: 'bob', password: 'bob-password' };

describe('login and RP-initiated logout through oidc-provider (express-session)', () => {
  let op: TestOp;
  let appA: SessionApp;
  let appB: SessionApp;
  const eventsA: LogoutEvent[] = [];

  beforeAll(async () => {
    op = await startTestOp({ clients: [] });
    appA = await startSessionApp((url) => ({
      issuer: op.issuer,
      clientId: 'app-a',
      clientSecret: 'app-a-secret',
      publicUrl: url,
      routes: { login: true, logout: true },
    }));
    // B is a public client: client_id in the form instead of HTTP Basic.
    appB = await startSessionApp((url) => ({ issuer: op.issuer, clientId: 'app-b', publicUrl: url, routes: { login: true, logout: true } }));
    for (const [app, clientId, clientSecret] of [[appA, 'app-a', 'app-a-secret'], [appB, 'app-b', undefined]] as const) {
      await op.registerClient({
        clientId,
        ...(clientSecret ? { clientSecret } : {}),
        redirectUris: [`${app.url}/auth/callback`],
        postLogoutRedirectUris: [`${app.url}/auth/logout/return`],
        backchannelLogoutUri: `${app.url}/auth/backchannel-logout`,
      });
    }
    appA.app.get(RevocationService).onLogout((event) => {
      eventsA.push(event);
    });
  });
  afterAll(async () => {
    await appA?.close();
    await appB?.close();
    await op?.close();
  });

  const page = (app: SessionApp, agent: HttpAgent) => agent.request(`${app.url}/api/page`);

  /** Drives `{prefix}/login` → OP login form (or SSO) → `{prefix}/callback` like a browser. */
  async function login(app: SessionApp, agent: HttpAgent, user?: { username: string; password: string }, returnTo = '/home') {
    const start = await agent.request(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(302);
    expect(start.headers.get('cache-control')).toBe('no-store');
    const sessionBefore = app.sessionIdOf(agent);
    const authorization = new URL(start.location!);
    const { callbackUrl } = await op.authorize({ agent, url: start.location!, ...(user ?? {}) });
    const callback = await agent.request(callbackUrl);
    expect(callback.status, callback.body).toBe(302);
    expect(callback.location).toBe(`${app.url}${returnTo}`);
    const sessionAfter = app.sessionIdOf(agent);
    return { authorization, callback: new URL(callbackUrl), sessionBefore, sessionAfter: sessionAfter! };
  }

  const browser = createHttpAgent();
  const bobBrowser = createHttpAgent();
  let sessionA = '';
  let sessionB = '';

  it('logs in to A with code + PKCE (S256), state and nonce, and sends the final session id as client_session_state', async () => {
    const result = await login(appA, browser, ALICE);
    sessionA = result.sessionAfter;

    // What really reached the authorization endpoint.
    const authRequest = op.authorizationRequests.at(-1)!;
    expect(authRequest).toMatchObject({ client_id: 'app-a', response_type: 'code', code_challenge_method: 'S256', redirect_uri: `${appA.url}/auth/callback` });
    expect(authRequest.scope!.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(authRequest.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authRequest.nonce!.length).toBeGreaterThanOrEqual(16);
    expect(authRequest.state!.length).toBeGreaterThanOrEqual(32);

    // What really reached the token endpoint: the verifier of that challenge, and client_session_state.
    const code = result.callback.searchParams.get('code');
    const tokenRequest = op.tokenRequests.find((r) => r.code === code)!;
    expect(tokenRequest).toMatchObject({ grant_type: 'authorization_code', redirect_uri: `${appA.url}/auth/callback` });
    expect(createHash('sha256').update(tokenRequest.code_verifier!).digest('base64url')).toBe(authRequest.code_challenge);
    expect(tokenRequest.client_id).toBeUndefined(); // confidential: HTTP Basic, not the form
    expect(tokenRequest.client_session_host).toBeUndefined();

    // No fixation: the session id changed at login, and the id sent to the OP is the one the app kept.
    expect(result.sessionBefore).toBeDefined();
    expect(result.sessionAfter).not.toBe(result.sessionBefore);
    expect(tokenRequest.client_session_state).toBe(result.sessionAfter);
    expect(await appA.storedSession(result.sessionBefore!)).toBeUndefined();

    // The login record, with an ID token carrying the nonce that was sent.
    const stored = await appA.storedSession(sessionA);
    const record = stored!.keycloak as KeycloakLoginRecord;
    expect(record).toMatchObject({ sub: 'user-alice', clientId: 'app-a' });
    expect(typeof record.sid).toBe('string');
    expect(decodeJwt(record.idToken).nonce).toBe(authRequest.nonce);
    expect(typeof record.refreshToken).toBe('string');
    expect(typeof record.logoutCsrfToken).toBe('string');
    expect(stored!['keycloak-logout:pending-logins']).toBeUndefined();
    // The store keeps it no longer than the session guard would accept it (maxSessionAge = revocationTtl).
    expect(Date.parse((stored!.cookie as { expires: string }).expires)).toBeLessThanOrEqual(Date.now() + 36_000_000);

    // Registered under both its sid and its session id.
    const registry = appA.app.get(SessionRegistry);
    expect(await registry.findByAdapterSessionId(sessionA)).toMatchObject({ sid: record.sid, sub: 'user-alice', clientId: 'app-a' });
    expect((await registry.findBySid(record.sid!)).map((r) => r.adapterSessionId)).toEqual([sessionA]);

    const me = await page(appA, browser);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toEqual({ sub: 'user-alice', sid: record.sid });
  });

  it('an anonymous login start leaves a session that expires with the login, not a never-expiring one', async () => {
    const anonymous = createHttpAgent();
    const start = await anonymous.request(`${appA.url}/auth/login`);
    expect(start.status).toBe(302);
    const stored = await appA.storedSession(appA.sessionIdOf(anonymous)!);
    expect(stored!['keycloak-logout:pending-logins']).toHaveLength(1);
    const expires = (stored!.cookie as { expires?: string | null }).expires;
    expect(typeof expires).toBe('string');
    expect(Date.parse(expires!)).toBeLessThanOrEqual(Date.now() + 10 * 60_000);
  });

  it('logs in to B by SSO (no password) as a public client', async () => {
    const result = await login(appB, browser);
    sessionB = result.sessionAfter;
    const code = result.callback.searchParams.get('code');
    const tokenRequest = op.tokenRequests.find((r) => r.code === code)!;
    expect(tokenRequest.client_id).toBe('app-b');
    expect(tokenRequest.client_session_state).toBe(sessionB);
    expect(createHash('sha256').update(tokenRequest.code_verifier!).digest('base64url')).toBe(op.authorizationRequests.at(-1)!.code_challenge);
    expect((await page(appB, browser)).status).toBe(200);
  });

  it('a third session, of another user, on A', async () => {
    await login(appA, bobBrowser, BOB, '/');
    expect(JSON.parse((await page(appA, bobBrowser)).body)).toMatchObject({ sub: 'user-bob' });
  });

  it('GET {prefix}/logout only shows a confirmation; a POST without the CSRF token or from another site is refused', async () => {
    const confirmation = await browser.request(`${appA.url}/auth/logout?returnTo=/bye`);
    expect(confirmation.status).toBe(200);
    expect(confirmation.headers.get('content-type')).toMatch(/text\/html/);
    expect(confirmation.headers.get('cache-control')).toBe('no-store');
    expect(confirmation.headers.get('x-frame-options')).toBe('DENY');
    expect(confirmation.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(confirmation.body).toContain('name="csrf_token"');
    expect((await page(appA, browser)).status).toBe(200);

    const noToken = await browser.request(`${appA.url}/auth/logout`, { form: { returnTo: '/bye' } });
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.body)).toMatchObject({ error: 'access_denied', error_description: expect.stringMatching(/csrf_token/) });
    const token = /name="csrf_token" value="([^"]+)"/.exec(confirmation.body)![1]!;
    const crossSite = await browser.request(`${appA.url}/auth/logout`, { form: { csrf_token: token }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body)).toMatchObject({ error: 'access_denied', error_description: expect.stringMatching(/cross-site/) });
    expect((await page(appA, browser)).status).toBe(200);
    expect(eventsA).toHaveLength(0);
  });

  it('logout from A ends A locally, B through the OP back-channel, and leaves the other user alone', async () => {
    const recordA = (await appA.storedSession(sessionA))!.keycloak as KeycloakLoginRecord;
    const recordB = (await appB.storedSession(sessionB))!.keycloak as KeycloakLoginRecord;
    const oldCookie = browser.cookies(appA.url).get(SESSION_COOKIE)!;

    const confirmation = await browser.request(`${appA.url}/auth/logout?returnTo=/bye`);
    const form = Object.fromEntries([...confirmation.body.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const logout = await browser.request(`${appA.url}/auth/logout`, { form, headers: { origin: appA.url } });
    expect(logout.status, logout.body).toBe(303);
    const endSession = new URL(logout.location!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${op.issuer}/protocol/openid-connect/logout`);
    expect(endSession.searchParams.get('id_token_hint')).toBe(recordA.idToken);
    expect(endSession.searchParams.get('client_id')).toBe('app-a');
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${appA.url}/auth/logout/return`);
    const state = endSession.searchParams.get('state')!;
    expect(state.length).toBeGreaterThanOrEqual(32);

    // A is logged out before the browser even reaches the OP, and the revocation went through RevocationService.
    expect((await page(appA, browser)).status).toBe(401);
    const replayed = await fetch(`${appA.url}/api/page`, { headers: { cookie: `${SESSION_COOKIE}=${oldCookie}` } });
    expect(replayed.status).toBe(401);
    expect(await appA.storedSession(sessionA)).toBeUndefined();
    expect(eventsA.map((e) => e.revocation)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'sid', sid: recordA.sid, source: 'rp-logout' }),
        expect.objectContaining({ type: 'adapter-session', adapterSessionId: sessionA, source: 'rp-logout' }),
      ]),
    );
    expect((await page(appB, browser)).status).toBe(200); // B still in, until the OP tells it

    // The OP's end-session flow (confirmation, back-channel calls to A and B), then back to A.
    const backchannelBefore = op.backchannelResults.length;
    const { location } = await op.endSession({
      agent: browser,
      idTokenHint: endSession.searchParams.get('id_token_hint')!,
      clientId: 'app-a',
      postLogoutRedirectUri: endSession.searchParams.get('post_logout_redirect_uri')!,
      state,
    });
    expect(location).toBe(`${appA.url}/auth/logout/return?state=${encodeURIComponent(state)}`);
    const results = op.backchannelResults.slice(backchannelBefore);
    expect(results).toEqual(expect.arrayContaining([expect.objectContaining({ clientId: 'app-b', sid: recordB.sid, ok: true })]));
    expect(results.every((r) => r.ok)).toBe(true);

    const back = await browser.request(location!);
    expect(back.status).toBe(302);
    expect(back.location).toBe(`${appA.url}/bye`);

    // B's session (and the refresh token in it) leaves the store at once, before any request of B's.
    await waitFor(async () => (await appB.storedSession(sessionB)) === undefined, "B's session to leave the store");
    expect(await appB.app.get(SessionRegistry).findByAdapterSessionId(sessionB)).toBeUndefined();
    const refusedB = await page(appB, browser);
    expect(refusedB.status).toBe(401);
    expect(JSON.parse(refusedB.body)).toMatchObject({ error: 'login_required' });
    expect((await page(appA, browser)).status).toBe(401);

    expect(JSON.parse((await page(appA, bobBrowser)).body)).toMatchObject({ sub: 'user-bob' });
  });

  it('the logout return route ignores a foreign state and sends the browser to the default', async () => {
    const back = await browser.request(`${appA.url}/auth/logout/return?state=forged`);
    expect(back.status).toBe(302);
    expect(back.location).toBe(`${appA.url}/`);
  });

  it('k_logout naming the session id sent as client_session_state ends the real express-session', async () => {
    const carol = createHttpAgent();
    const { sessionAfter } = await login(appA, carol, ALICE, '/');
    expect((await page(appA, carol)).status).toBe(200);
    const code = op.tokenRequests.at(-1)!;
    expect(code.client_session_state).toBe(sessionAfter);

    // Keycloak's LogoutAction for that adapter session, signed with the realm (test OP) key.
    const jwk = op.privateJwks.keys[0]!;
    const key = await importJWK(jwk, 'RS256');
    const realm = {
      signRaw: (payload: string, header: Record<string, unknown> = {}) =>
        new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: jwk.kid, ...header }).sign(key),
    } as unknown as FakeRealm;
    const action = await keycloakLogoutAction({ realm, clientId: 'app-a', adapterSessionIds: [sessionAfter] });
    expect((await postAdminAction(`${appA.url}/auth/k_logout`, action)).status).toBe(200);

    // Destroyed in the store at once, not on its next request.
    await waitFor(async () => (await appA.storedSession(sessionAfter)) === undefined, 'the session to leave the store');
    const refused = await page(appA, carol);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error).toBe('login_required');
    expect(JSON.parse((await page(appA, bobBrowser)).body)).toMatchObject({ sub: 'user-bob' });
  });
});

describe('route switches', () => {
  it('login and logout need publicUrl; the browser routes are off by default', async () => {
    expect(() => KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/r', clientId: 'x', routes: { login: true } })).toThrow(
      /"publicUrl" is required when routes.login is enabled/,
    );
    expect(() => KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/r', clientId: 'x', routes: { logout: true } })).toThrow(/publicUrl/);
    expect(() =>
      KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/r', clientId: 'x', publicUrl: 'https://app.example', defaultReturnTo: '//evil.example' }),
    ).toThrow(/"defaultReturnTo"/);
    expect(() =>
      KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/r', clientId: 'x', publicUrl: 'https://app.example', postLogoutRedirectUris: ['/relative'] }),
    ).toThrow(/postLogoutRedirectUris\[0\]/);
    expect(() => KeycloakLogoutModule.forRoot({ issuer: 'https://kc.example/realms/r', clientId: 'x', clientSessionHost: 'https://node1' })).toThrow(/clientSessionHost/);

    const app = await startSessionApp((url) => ({ issuer: 'https://kc.example/realms/r', clientId: 'x', publicUrl: url }));
    try {
      for (const path of ['login', 'callback', 'logout', 'logout/return', 'frontchannel-logout']) {
        expect((await fetch(`${app.url}/auth/${path}`)).status, path).toBe(404);
      }
    } finally {
      await app.close();
    }
  });
});

describe('client_session_host', () => {
  it('is sent beside client_session_state when clientSessionHost is configured (never taken from the request)', async () => {
    const op = await startTestOp({ clients: [] });
    const app = await startSessionApp((url) => ({
      issuer: op.issuer,
      clientId: 'app-h',
      publicUrl: url,
      clientSessionHost: 'node-1.internal:8080',
      routes: { login: true },
    }));
    try {
      await op.registerClient({ clientId: 'app-h', redirectUris: [`${app.url}/auth/callback`] });
      const agent = createHttpAgent();
      const start = await agent.request(`${app.url}/auth/login`, { headers: { 'x-forwarded-host': 'evil.example' } });
      const { callbackUrl } = await op.authorize({ agent, url: start.location!, ...ALICE });
      expect((await agent.request(callbackUrl, { headers: { host: 'evil.example' } })).status).toBe(302);
      const tokenRequest = op.tokenRequests.at(-1)!;
      expect(tokenRequest.client_session_host).toBe('node-1.internal:8080');
      expect(tokenRequest.client_session_state).toBe(app.sessionIdOf(agent));
    } finally {
      await app.close();
      await op.close();
    }
  });
});
