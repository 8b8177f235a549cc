/**
 * A revocation is kept for `revocationTtl`; nothing it could have revoked may be accepted after
 * that. Reproduces the review's case with `revocationTtl: 60`: a session revoked by a logout and
 * not used for 65 s must not come back once the revocation is forgotten.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, KeycloakLogoutConfigError, RevocationService } from '../../lib/index.js';
import { RevocationStore } from '../../lib/revocation/revocation-store.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-horizon';
const HORIZON = 60;

describe.each(ADAPTERS)('revocation horizon (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;

  const page = (session: string) => fetch(`${test.url}/api/page`, { headers: { 'x-test-session': session } });
  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, revocationTtl: HORIZON }));
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('a session revoked 65 s ago, whose revocation has been forgotten, stays refused and is destroyed', async () => {
    const loginAt = nowSeconds() - 66;
    test.sessions.set('revoked-long-ago', { keycloak: { sub: 'alice', sid: 'kc-old', issuedAt: loginAt } });
    // The logout happened a second after login; 65 s later its revocation has expired and been pruned.
    await test.app.get(RevocationService).revokeSid('kc-old');
    test.app.get(RevocationStore).prune(Date.now() + (HORIZON + 1) * 1000);
    expect(test.app.get(RevocationService).revocationReason({ sid: 'kc-old', sub: 'alice', iat: nowSeconds() })).toBeUndefined();

    const refused = await page('revoked-long-ago');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'login_required', error_description: 'session is older than maxSessionAge; sign in again' });
    expect(test.sessions.has('revoked-long-ago')).toBe(false);
  });

  it('a session within the horizon is accepted, and a newer login of the same user too', async () => {
    test.sessions.set('recent', { keycloak: { sub: 'alice', sid: 'kc-new', issuedAt: nowSeconds() - HORIZON + 5 } });
    expect((await page('recent')).status).toBe(200);
  });

  it('an access token issued before the horizon is refused even though it has not expired', async () => {
    const old = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bob', sid: 'kc-long-token', iat: nowSeconds() - HORIZON - 10, exp: nowSeconds() + 300 });
    const refused = await me(old);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token', error_description: 'access token has been revoked (horizon)' });
    const fresh = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bob', sid: 'kc-long-token', iat: nowSeconds() - HORIZON + 5 });
    expect((await me(fresh)).status).toBe(200);
  });
});

describe('lifetimes are bounded by revocationTtl at bootstrap', () => {
  const base = { issuer: 'https://kc.example/realms/r', clientId: 'app' };

  it.each([
    ['sessionTtl', { revocationTtl: 600, sessionTtl: 601 }],
    ['maxSessionAge', { revocationTtl: 600, maxSessionAge: 3_600 }],
  ])('%s beyond revocationTtl is a configuration error', (option, extra) => {
    expect(() => KeycloakLogoutModule.forRoot({ ...base, ...extra })).toThrow(KeycloakLogoutConfigError);
    expect(() => KeycloakLogoutModule.forRoot({ ...base, ...extra })).toThrow(new RegExp(`"${option}" .*must not exceed revocationTtl`));
  });

  it('both follow revocationTtl by default', async () => {
    const { resolveOptions } = await import('../../lib/options/resolve-options.js');
    expect(resolveOptions({ ...base, revocationTtl: 120 })).toMatchObject({ revocationTtl: 120, sessionTtl: 120, maxSessionAge: 120 });
    expect(resolveOptions(base)).toMatchObject({ revocationTtl: 36_000, sessionTtl: 36_000, maxSessionAge: 36_000 });
  });
});
