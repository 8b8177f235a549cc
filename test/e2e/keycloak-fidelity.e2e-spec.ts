/**
 * What real Keycloak deployments send, beyond the plain back-channel case: logout tokens with
 * only `sub` for users whose access tokens are lightweight (a `sid` but no `sub`), the
 * `revoke_offline_access` event, admin actions signed with another algorithm than ID and logout
 * tokens, and the revocation horizon that keeps a revoked session from coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, SessionRegistry, type LogoutEvent } from '../../lib/index.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { ADAPTERS, postForm, startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const CLIENT = 'app-fidelity';

describe.each(ADAPTERS)('Keycloak fidelity (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  const events: LogoutEvent[] = [];
  let counter = 0;
  const nextId = (name: string) => `${name}-${adapter}-${++counter}`;

  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const backchannel = (token: string) => postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token });

  beforeAll(async () => {
    realm = await FakeRealm.start();
    // The realm's default key (admin actions) is EC; the client's ID-token key (logout tokens) stays RSA.
    realm.keys.push(await createRealmKey('ec-realm-default', 'ES256'));
    test = await startTestApp(
      adapter,
      KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, algorithms: ['RS256'], adminAlgorithms: ['ES256'] }),
    );
    test.app.get(RevocationService).onLogout((event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('a sub-only logout token ends the lightweight access tokens (sid, no sub) of that user\'s registered sessions', async () => {
    const sub = nextId('user');
    const sid = nextId('kc-session');
    await test.app.get(SessionRegistry).register({ adapterSessionId: nextId('app-session'), sid, sub, clientId: CLIENT, issuedAt: nowSeconds() - 5, expiresAt: nowSeconds() + 600 });
    // "Always use lightweight access token": azp and sid, but neither sub nor aud.
    const lightweight = await keycloakAccessToken(realm, { clientId: CLIENT, sub: '', sid, extra: { sub: undefined, aud: undefined } });
    const bystander = await keycloakAccessToken(realm, { clientId: CLIENT, sub: '', sid: nextId('kc-session'), extra: { sub: undefined, aud: undefined } });
    expect((await me(lightweight)).status).toBe(200);

    // "Backchannel logout session required" OFF: the logout token names only the user.
    const logout = await backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sub }));
    expect(logout.status).toBe(200);

    const refused = await me(lightweight);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token', error_description: expect.stringMatching(/revoked \(sid\)/) });
    expect((await me(bystander)).status).toBe(200);
  });

  it('revoke_offline_access reaches onLogout listeners; a plain logout does not set it', async () => {
    const withOffline = nextId('kc-offline');
    const plain = nextId('kc-plain');
    expect((await backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: withOffline, revokeOfflineAccess: true }))).status).toBe(200);
    expect((await backchannel(await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: plain }))).status).toBe(200);
    await waitFor(() => events.some((e) => e.revocation.type === 'sid' && e.revocation.sid === plain), 'both logout events');
    const eventOf = (sid: string) => events.find((e) => e.revocation.type === 'sid' && e.revocation.sid === sid)!;
    expect(eventOf(withOffline).revokeOfflineAccess).toBe(true);
    expect(eventOf(withOffline).revocation).toMatchObject({ revokeOfflineAccess: true, source: 'backchannel-logout' });
    expect(eventOf(plain).revokeOfflineAccess).toBe(false);
  });

  it('admin actions are checked against adminAlgorithms (the realm default), logout tokens against algorithms', async () => {
    const ecKey = realm.keys.find((k) => k.alg === 'ES256')!;
    const notBefore = nowSeconds() - 1;
    const accepted = await postAdminAction(`${test.url}/auth/k_logout`, await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore, key: ecKey }));
    expect(accepted.status).toBe(200);
    expect(test.app.get(RevocationService).notBefore).toBe(notBefore);

    // An RS256 admin action is refused, as is an ES256 logout token: each kind has its own list.
    const rsaAction = await postAdminAction(`${test.url}/auth/k_logout`, await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore: nowSeconds() + 5 }));
    expect(rsaAction.status).toBe(401);
    expect(await rsaAction.json()).toMatchObject({ error_description: expect.stringMatching(/algorithm is not allowed/) });
    const ecSid = nextId('kc-ec');
    const ecLogout = await realm.sign(
      { jti: nextId('jti'), iat: nowSeconds(), exp: nowSeconds() + 120, iss: realm.issuer, aud: CLIENT, sid: ecSid, typ: 'Logout', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { typ: 'logout+jwt' },
      ecKey,
    );
    const refused = await backchannel(ecLogout);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error_description: expect.stringMatching(/algorithm is not allowed/) });
    expect(events.some((e) => e.revocation.type === 'sid' && e.revocation.sid === ecSid)).toBe(false);
    expect(test.app.get(RevocationService).notBefore).toBe(notBefore);
  });
});
