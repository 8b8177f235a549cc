import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeycloakLogoutModule,
  MemorySessionRegistry,
  RevocationService,
} from '../../lib/index.js';
import { keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm } from '../support/fake-realm.js';
import { SwitchableBus } from '../support/switchable-bus.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';


describe.each(ADAPTERS)('guards (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  const bus = new SwitchableBus();

  const me = (headers: Record<string, string>) => fetch(`${test.url}/api/me`, { headers });
  const bearer = (token: string) => me({ authorization: `Bearer ${token}` });
  const page = (session: string) => fetch(`${test.url}/api/page`, { headers: { 'x-test-session': session } });

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() } }));
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  describe('bearer guard', () => {
    async function expectRefused(response: Response, status: number, error: string, pattern: RegExp) {
      expect(response.status).toBe(status);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe(error);
      expect(body.error_description).toMatch(pattern);
      if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }

    it('accepts a Keycloak access token (aud "account", azp = client) and exposes its claims', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid: 'kc-a' });
      const response = await bearer(token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'alice', sid: 'kc-a', client: CLIENT });
    });

    it('the claims read the same through @CurrentToken() and req.accessTokenClaims; on Express the request does not grow for them', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'rhea', sid: `carrier-${adapter}` });
      for (let call = 0; call < 2; call++) {
        const response = await fetch(`${test.url}/api/me/request`, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { decorator: string; request: string; ownProperty: boolean };
        expect(body).toMatchObject({ decorator: 'rhea', request: 'rhea' });
        // Express: kept beside the request (lib/contexts/request-credentials.ts); Fastify: on it.
        expect(body.ownProperty).toBe(adapter === 'fastify');
      }
      // The next request without a token sees no claims of the previous one.
      expect((await fetch(`${test.url}/api/me/request`)).status).toBe(401);
    });

    it('no Authorization header: 401 invalid_request', async () => {
      await expectRefused(await me({}), 401, 'invalid_request', /missing bearer token/);
    });
    it('another scheme: 401', async () => {
      await expectRefused(await me({ authorization: 'Basic YWxpY2U6cHc=' }), 401, 'invalid_request', /missing bearer token/);
    });
    it('garbage token: 401', async () => {
      await expectRefused(await bearer('abc.def'), 401, 'invalid_token', /compact JWS/);
    });
    it('a token for another client: 401', async () => {
      const token = await keycloakAccessToken(realm, { clientId: 'other-app', sub: 'alice' });
      await expectRefused(await bearer(token), 401, 'invalid_token', /not issued for this client/);
    });
    it('an expired token: 401', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', iat: nowSeconds() - 600, exp: nowSeconds() - 300 });
      await expectRefused(await bearer(token), 401, 'invalid_token', /expired/);
    });
    it('an ID token (typ "ID"): 401', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', extra: { typ: 'ID' } });
      await expectRefused(await bearer(token), 401, 'invalid_token', /"typ" claim/);
    });
    it('a logout token used as an access token: 401', async () => {
      const token = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'x' });
      await expectRefused(await bearer(token), 401, 'invalid_token', /"typ" header|"exp"|logout token/);
    });
    it('a token from another issuer: 401', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', extra: { iss: 'https://evil.example/realms/demo' } });
      await expectRefused(await bearer(token), 401, 'invalid_token', /"iss"/);
    });
    it('a token signed by an unpublished key: 401', async () => {
      const foreign = await createRealmKey('key-1');
      const token = await keycloakAccessToken({ ...realm, sign: (p: any, h: any) => realm.sign(p, h, foreign) } as FakeRealm, { clientId: CLIENT, sub: 'alice' });
      await expectRefused(await bearer(token), 401, 'invalid_token', /does not publish|signature/);
    });
    it('sid of the wrong JSON type: 401', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', extra: { sid: { id: 1 } } });
      await expectRefused(await bearer(token), 401, 'invalid_token', /"sid" must be a string/);
    });

    /** Nothing changed by a refusal: a valid token of the same user session is still served. */
    async function expectStillServed(sub: string, sid: string) {
      const valid = await keycloakAccessToken(realm, { clientId: CLIENT, sub, sid });
      const response = await bearer(valid);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub, sid, client: CLIENT });
    }

    /** An ID token as an OP other than Keycloak issues it: no `typ` claim, `aud` the client. */
    function idTokenWithoutTyp(sub: string, sid: string, extra: Record<string, unknown>) {
      return realm.sign({ iss: realm.issuer, sub, aud: CLIENT, sid, iat: nowSeconds(), exp: nowSeconds() + 300, auth_time: nowSeconds(), ...extra });
    }

    describe('token kinds', () => {
      it('a Keycloak 26 access token with payload typ "bearer" (lower-case option): 200', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'lena', sid: `lower-${adapter}`, extra: { typ: 'bearer' } });
        const response = await bearer(token);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ sub: 'lena', sid: `lower-${adapter}`, client: CLIENT });
      });

      it('a Keycloak 24 access token carrying the login nonce (typ "Bearer"): 200', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'lena', sid: `nonce-${adapter}`, extra: { nonce: 'n-0S6_WzA2Mj' } });
        expect((await bearer(token)).status).toBe(200);
      });

      it.each(['at+jwt', 'application/at+jwt'])('an access token with header typ %j (RFC 9068): 200', async (typ) => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'lena', sid: `at-jwt-${adapter}` }, { typ });
        expect((await bearer(token)).status).toBe(200);
      });

      it('the Bearer scheme in any case (RFC 7235 §2.1): 200', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'lena', sid: `scheme-${adapter}` });
        expect((await me({ authorization: `bEARER ${token}` })).status).toBe(200);
      });

      it('a DPoP-bound token (payload typ "DPoP"): 401 saying DPoP is not supported', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'mia', sid: `dpop-typ-${adapter}`, extra: { typ: 'DPoP', cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } } });
        await expectRefused(await bearer(token), 401, 'invalid_token', /DPoP-bound access tokens are not supported/);
        await expectStillServed('mia', `dpop-typ-${adapter}`);
      });

      it('a token bound by cnf.jkt, typ "Bearer": 401 saying DPoP is not supported', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'mia', sid: `dpop-cnf-${adapter}`, extra: { cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' } } });
        await expectRefused(await bearer(token), 401, 'invalid_token', /DPoP-bound access tokens are not supported/);
        await expectStillServed('mia', `dpop-cnf-${adapter}`);
      });

      it('Authorization: DPoP with a valid token: 401 invalid_request saying DPoP is not supported', async () => {
        const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'mia', sid: `dpop-scheme-${adapter}` });
        const response = await me({ authorization: `DPoP ${token}`, dpop: 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.c2ln' });
        await expectRefused(response, 401, 'invalid_request', /DPoP.*not supported/);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        // The same token under the Bearer scheme is served: the refusal changed nothing.
        const again = await bearer(token);
        expect(again.status).toBe(200);
        expect(await again.json()).toEqual({ sub: 'mia', sid: `dpop-scheme-${adapter}`, client: CLIENT });
      });

      it('an ID token without typ carrying nonce (aud = client): 401', async () => {
        const token = await idTokenWithoutTyp('nora', `id-nonce-${adapter}`, { nonce: 'n-0S6_WzA2Mj' });
        await expectRefused(await bearer(token), 401, 'invalid_token', /"nonce".*ID token/);
        await expectStillServed('nora', `id-nonce-${adapter}`);
      });

      it('an ID token without typ carrying at_hash (aud = client): 401', async () => {
        const token = await idTokenWithoutTyp('nora', `id-at-hash-${adapter}`, { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' });
        await expectRefused(await bearer(token), 401, 'invalid_token', /"at_hash".*ID token/);
        await expectStillServed('nora', `id-at-hash-${adapter}`);
      });
    });

    it('a revoked token stays refused even though it is cached as verified', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'gina', sid: `cached-${adapter}` });
      for (let i = 0; i < 3; i += 1) expect((await bearer(token)).status).toBe(200);
      await test.app.get(RevocationService).revokeSid(`cached-${adapter}`);
      await expectRefused(await bearer(token), 401, 'invalid_token', /revoked \(sid\)/);
    });

    it('a token verified under one form of the header is served under others, and refused under each once revoked', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'gina', sid: `forms-${adapter}` });
      // The header a token was verified from is matched whole afterwards; the other forms are read as before.
      const forms = [`bearer  ${token}`, `Bearer ${token}`, `BEARER ${token}  `, `bearer  ${token}`];
      for (const authorization of forms) expect((await me({ authorization })).status).toBe(200);
      await test.app.get(RevocationService).revokeSid(`forms-${adapter}`);
      for (const authorization of forms) await expectRefused(await me({ authorization }), 401, 'invalid_token', /revoked \(sid\)/);
    });

    it('a subject watermark refuses older tokens and accepts the user\'s later login', async () => {
      const older = await keycloakAccessToken(realm, { clientId: CLIENT, sub: `hank-${adapter}`, iat: nowSeconds() - 10 });
      await test.app.get(RevocationService).revokeSubject(`hank-${adapter}`, { issuedBefore: nowSeconds() - 5 });
      await expectRefused(await bearer(older), 401, 'invalid_token', /revoked \(subject\)/);
      const later = await keycloakAccessToken(realm, { clientId: CLIENT, sub: `hank-${adapter}`, iat: nowSeconds() });
      expect((await bearer(later)).status).toBe(200);
    });

    it('cached keys keep working while the JWKS endpoint is down', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid: `jwks-down-${adapter}` });
      realm.jwksStatus = 500;
      try {
        expect((await bearer(token)).status).toBe(200);
      } finally {
        realm.jwksStatus = undefined;
      }
    });
  });

  describe('session guard', () => {
    it('no session: 401 login_required', async () => {
      const response = await fetch(`${test.url}/api/page`);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'login_required', error_description: 'no signed-in session' });
    });

    it('a session without a login record, or a malformed one: 401', async () => {
      test.sessions.set(`empty-${adapter}`, {});
      test.sessions.set(`bad-${adapter}`, { keycloak: { sub: 42, issuedAt: 'today' } });
      expect((await page(`empty-${adapter}`)).status).toBe(401);
      expect((await page(`bad-${adapter}`)).status).toBe(401);
    });

    it('the login record reads the same through @CurrentSession() and req.keycloakSession; on Express the request does not grow for it', async () => {
      test.sessions.set(`carrier-${adapter}`, { keycloak: { sub: 'rhea', sid: `kc-carrier-${adapter}`, issuedAt: nowSeconds() } });
      const response = await fetch(`${test.url}/api/page/request`, { headers: { 'x-test-session': `carrier-${adapter}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { decorator: string; request: string; ownProperty: boolean };
      expect(body).toMatchObject({ decorator: `kc-carrier-${adapter}`, request: `kc-carrier-${adapter}` });
      expect(body.ownProperty).toBe(adapter === 'fastify');
    });

    it('a subject watermark ends older sessions of the user but not a later one', async () => {
      const sub = `ivy-${adapter}`;
      test.sessions.set(`old-${adapter}`, { keycloak: { sub, sid: 'kc-old', issuedAt: nowSeconds() - 100 } });
      test.sessions.set(`new-${adapter}`, { keycloak: { sub, sid: 'kc-new', issuedAt: nowSeconds() + 100 } });
      await test.app.get(RevocationService).revokeSubject(sub);
      expect((await page(`old-${adapter}`)).status).toBe(401);
      expect(test.sessions.has(`old-${adapter}`)).toBe(false);
      expect((await page(`new-${adapter}`)).status).toBe(200);
    });
  });

  describe('failure policy', () => {
    it('refuse (default): 503 while the revocation view may be stale, then recovers', async () => {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'jack' });
      test.sessions.set(`policy-${adapter}`, { keycloak: { sub: 'jack', issuedAt: nowSeconds() } });
      bus.stale = true;
      try {
        const refused = await bearer(token);
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });
        expect((await page(`policy-${adapter}`)).status).toBe(503);
        expect((await fetch(`${test.url}/api/public`)).status).toBe(200);
      } finally {
        bus.stale = false;
      }
      expect((await bearer(token)).status).toBe(200);
    });
  });
});

describe('failure policy allow', () => {
  it('serves requests from the last known view while stale', async () => {
    const realm = await FakeRealm.start();
    const bus = new SwitchableBus();
    bus.stale = true;
    const test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, backend: { revocationBus: bus, sessionRegistry: new MemorySessionRegistry() }, failurePolicy: 'allow' }));
    try {
      const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'kim', sid: 'kc-kim' });
      expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      await test.app.get(RevocationService).revokeSid('kc-kim');
      expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await test.close();
      await realm.close();
    }
  });
});

describe('JWKS unreachable for an unknown key', () => {
  it('fails closed with 503 temporarily_unavailable, not 401 and not 500', async () => {
    const realm = await FakeRealm.start();
    const test = await startTestApp('fastify', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, jwks: { cooldown: 0 } }));
    try {
      const rotated = await createRealmKey('not-yet-published');
      const token = await keycloakAccessToken({ ...realm, sign: (p: any, h: any) => realm.sign(p, h, rotated) } as FakeRealm, { clientId: CLIENT, sub: 'alice' });
      realm.jwksStatus = 500;
      const response = await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await test.close();
      await realm.close();
    }
  });
});

describe.each(ADAPTERS)('a signing key the realm withdraws (%s)', (adapter) => {
  it('ends the tokens it signed once bearer.cacheMaxAge has passed, however far off their exp; tokens of the key that stays keep working', async () => {
    const realm = await FakeRealm.start();
    const test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, bearer: { cacheMaxAge: 1_000 }, jwks: { cacheMaxAge: 1_000 } }));
    const call = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    try {
      // Signed by key-1 and valid for an hour: cached once verified.
      const older = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'walt', sid: `withdrawn-${adapter}`, exp: nowSeconds() + 3_600 });
      expect((await call(older)).status).toBe(200);
      // Keycloak: a new key signs from now on, and the old key's provider is deleted.
      await realm.rotate('key-2');
      realm.keys.splice(1);
      const newer = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'walt', sid: `kept-${adapter}` });
      // Past both ages: the cached token is verified again, against the keys published now.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const refused = await call(older);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'access token is signed with a key the realm does not publish' });
      expect((await call(newer)).status).toBe(200);
    } finally {
      await test.close();
      await realm.close();
    }
  });
});
