import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, type LogoutEvent } from '../../lib/index.js';
import {
  keycloak22LogoutToken,
  keycloak24LogoutToken,
  keycloak26LogoutToken,
  mutatedLogoutToken,
  BACKCHANNEL_EVENT,
} from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ADAPTERS, postForm, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';

describe.each(ADAPTERS)('back-channel logout endpoint (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  let revocations: RevocationService;
  const events: LogoutEvent[] = [];
  let sidCounter = 0;

  const logoutUrl = () => `${test.url}/auth/backchannel-logout`;
  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const newSid = () => `kc-session-${adapter}-${++sidCounter}`;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    revocations = test.app.get(RevocationService);
    revocations.onLogout((event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  async function expectRefused(body: Record<string, string> | string, descriptionPattern: RegExp) {
    const victimSid = newSid();
    const victim = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'victim', sid: victimSid });
    const eventsBefore = events.length;
    const notBeforeBefore = revocations.notBefore;
    const response = await postForm(logoutUrl(), body);
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const json = (await response.json()) as { error: string; error_description: string };
    expect(json.error).toBe('invalid_request');
    expect(json.error_description).toMatch(descriptionPattern);
    // Nothing revoked: no event, same not-before, the bystander's token still works.
    expect(events.length).toBe(eventsBefore);
    expect(revocations.notBefore).toBe(notBeforeBefore);
    expect((await me(victim)).status).toBe(200);
    return json;
  }

  it('accepts a Keycloak 26 logout token with sid and refuses that session\'s still-valid access token', async () => {
    const sid = newSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid });
    const bystander = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'bob', sid: newSid() });
    expect((await me(token)).status).toBe(200);

    const response = await postForm(logoutUrl(), { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid, sub: 'alice' }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');

    const refused = await me(token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'access token has been revoked (sid)' });
    expect((await me(bystander)).status).toBe(200);
    expect(events.at(-1)?.revocation).toMatchObject({ type: 'sid', sid, source: 'backchannel-logout' });
  });

  it('accepts the Keycloak 24 shape (typ JWT) and tolerates revoke_offline_access inside events', async () => {
    const sid = newSid();
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'carol', sid });
    const logout = await keycloak24LogoutToken({ realm, clientId: CLIENT, sid, sub: 'carol', revokeOfflineAccess: true });
    expect((await postForm(logoutUrl(), { logout_token: logout, extra: 'ignored' })).status).toBe(200);
    expect((await me(token)).status).toBe(401);
  });

  it('accepts an untyped logout token from a non-Keycloak OP', async () => {
    const sid = newSid();
    const logout = await mutatedLogoutToken({ realm, clientId: CLIENT, sid }, {}, { typ: undefined });
    expect((await postForm(logoutUrl(), { logout_token: logout })).status).toBe(200);
  });

  it('refuses the Keycloak 22 shape (no exp) unless configured for it', async () => {
    const sid = newSid();
    await expectRefused({ logout_token: await keycloak22LogoutToken({ realm, clientId: CLIENT, sid }) }, /claim "exp" is invalid: missing/);
  });

  it('logs out every earlier session of a user for a sub-only token, but not the user\'s later logins', async () => {
    const logoutAt = nowSeconds() - 5;
    const before = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dave', sid: newSid(), iat: logoutAt - 60 });
    const atLogout = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dave', sid: newSid(), iat: logoutAt });
    const after = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'dave', sid: newSid(), iat: logoutAt + 2 });
    const logout = await mutatedLogoutToken({ realm, clientId: CLIENT, sub: 'dave', iat: logoutAt }, { sid: undefined });
    expect((await postForm(logoutUrl(), { logout_token: logout })).status).toBe(200);
    expect((await me(before)).status).toBe(401);
    expect((await me(atLogout)).status).toBe(401);
    expect((await me(after)).status).toBe(200);
    expect(events.at(-1)?.revocation).toMatchObject({ type: 'subject', sub: 'dave', issuedBefore: logoutAt });
  });

  it('refuses a replayed logout token and changes nothing the second time', async () => {
    const logout = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: newSid() });
    expect((await postForm(logoutUrl(), { logout_token: logout })).status).toBe(200);
    await expectRefused({ logout_token: logout }, /already used/);
  });

  describe('malformed requests: 400, JSON error, nothing revoked', () => {
    const cases: Array<[string, () => Promise<Record<string, string> | string>, RegExp]> = [
      ['no logout_token', async () => ({ other: 'x' }), /missing "logout_token"/],
      ['empty logout_token', async () => ({ logout_token: '' }), /missing "logout_token"/],
      ['logout_token twice', async () => 'logout_token=a.b.c&logout_token=d.e.f', /exactly once/],
      ['not a JWS', async () => ({ logout_token: 'not-a-token' }), /not valid base64url JSON|not a compact JWS/],
      ['a JWE', async () => ({ logout_token: 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d' }), /encrypted/],
      ['alg none', async () => ({ logout_token: `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64({ iss: realm.issuer })}.` }), /not a compact JWS|algorithm|malformed/],
      ['wrong iss', async () => ({ logout_token: await mutatedLogoutToken(base(), { iss: 'https://evil.example/realms/demo' }) }), /"iss"/],
      ['wrong aud', async () => ({ logout_token: await mutatedLogoutToken(base(), { aud: 'other-client' }) }), /"aud"/],
      ['aud a number', async () => ({ logout_token: await mutatedLogoutToken(base(), { aud: 42 }) }), /"aud"|malformed/],
      ['missing iat', async () => ({ logout_token: await mutatedLogoutToken(base(), { iat: undefined }) }), /"iat"/],
      ['iat a string', async () => ({ logout_token: await mutatedLogoutToken(base(), { iat: 'yesterday' }) }), /"iat"|malformed/],
      ['iat in the future', async () => ({ logout_token: await mutatedLogoutToken(base(), { iat: nowSeconds() + 600, exp: nowSeconds() + 720 }) }), /"iat"/],
      ['iat too old', async () => ({ logout_token: await mutatedLogoutToken(base(), { iat: nowSeconds() - 3600, exp: nowSeconds() + 60 }) }), /"iat"/],
      ['expired', async () => ({ logout_token: await mutatedLogoutToken(base(), { iat: nowSeconds() - 200, exp: nowSeconds() - 60 }) }), /expired/],
      ['missing jti', async () => ({ logout_token: await mutatedLogoutToken(base(), { jti: undefined }) }), /"jti"/],
      ['jti a number', async () => ({ logout_token: await mutatedLogoutToken(base(), { jti: 7 }) }), /"jti"/],
      ['neither sub nor sid', async () => ({ logout_token: await mutatedLogoutToken(base(), { sub: undefined, sid: undefined }) }), /neither "sub" nor "sid"/],
      ['sid an object', async () => ({ logout_token: await mutatedLogoutToken(base(), { sid: { id: 1 } }) }), /"sid" must be a non-empty string/],
      ['events missing', async () => ({ logout_token: await mutatedLogoutToken(base(), { events: undefined }) }), /"events"/],
      ['events an array', async () => ({ logout_token: await mutatedLogoutToken(base(), { events: [BACKCHANNEL_EVENT] }) }), /"events" must be a JSON object/],
      ['events without the back-channel member', async () => ({ logout_token: await mutatedLogoutToken(base(), { events: { other: {} } }) }), /must contain/],
      ['back-channel member not an object', async () => ({ logout_token: await mutatedLogoutToken(base(), { events: { [BACKCHANNEL_EVENT]: true } }) }), /must contain/],
      ['nonce present', async () => ({ logout_token: await mutatedLogoutToken(base(), { nonce: 'n-0S6_WzA2Mj' }) }), /nonce/],
      ['typ at+jwt', async () => ({ logout_token: await mutatedLogoutToken(base(), {}, { typ: 'at+jwt' }) }), /"typ" header/],
      ['signed by an unpublished key', async () => ({ logout_token: await signWithForeignKey() }), /does not publish|signature/],
      ['forged signature', async () => ({ logout_token: tamper(await mutatedLogoutToken(base(), {})) }), /signature/],
      ['too large', async () => ({ logout_token: 'a'.repeat(20_000) }), /exceeds/],
    ];

    function base() {
      return { realm, clientId: CLIENT, sub: 'mallory', sid: `victim-${adapter}` };
    }
    function b64(value: unknown) {
      return Buffer.from(JSON.stringify(value)).toString('base64url');
    }
    function tamper(token: string) {
      const [header, , signature] = token.split('.');
      return `${header}.${b64({ iss: realm.issuer, aud: CLIENT, sid: 'someone-else', jti: 'x', iat: nowSeconds(), exp: nowSeconds() + 60, events: { [BACKCHANNEL_EVENT]: {} } })}.${signature}`;
    }
    async function signWithForeignKey() {
      const foreign = await createRealmKey('key-1');
      return mutatedLogoutToken({ ...base(), realm: { ...realm, sign: (p: any, h: any) => realm.sign(p, h, foreign) } as FakeRealm }, {});
    }

    it.each(cases)('%s', async (_name, body, pattern) => {
      await expectRefused(await body(), pattern);
    });

    it('a JSON body instead of a form', async () => {
      const response = await fetch(logoutUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ logout_token: await keycloak26LogoutToken(base()) }),
      });
      // The token is well-formed, but the spec's transport is a form; JSON is not read.
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    });
  });
});

describe.each(ADAPTERS)('realm key rotation and unknown-kid floods (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  const COOLDOWN_MS = 1_500;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(
      adapter,
      KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, jwks: { cooldown: COOLDOWN_MS } }),
    );
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('fetches the JWKS at most once per cooldown for a flood of unknown kids, then picks up a rotated key', async () => {
    const sid = `rotation-${adapter}`;
    const logoutUrl = `${test.url}/auth/backchannel-logout`;
    // Warm up: the first token loads the JWKS.
    expect((await postForm(logoutUrl, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: `${sid}-warm` }) })).status).toBe(200);
    const fetchesAfterWarmUp = realm.jwksFetches;
    expect(fetchesAfterWarmUp).toBe(1);

    // The realm rotates to a new key; a flood of tokens with unknown kids arrives within the cooldown.
    await realm.rotate(`key-2-${adapter}`);
    const flood = await Promise.all(
      Array.from({ length: 25 }, async (_, i) => {
        const foreign = await createRealmKey(`bogus-${i}`);
        const token = await realm.sign(
          { iss: realm.issuer, aud: CLIENT, sub: 'x', jti: `j${i}`, iat: nowSeconds(), exp: nowSeconds() + 60, events: { [BACKCHANNEL_EVENT]: {} } },
          { typ: 'logout+jwt' },
          foreign,
        );
        return (await postForm(logoutUrl, { logout_token: token })).status;
      }),
    );
    expect(flood.every((status) => status === 400)).toBe(true);
    expect(realm.jwksFetches - fetchesAfterWarmUp).toBeLessThanOrEqual(1);

    // After the cooldown, a token signed with the rotated key is accepted.
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'erin', sid });
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
    expect((await postForm(logoutUrl, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid }) })).status).toBe(200);
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  });
});

describe('configured for Keycloak < 24 (requireExp: false)', () => {
  let realm: FakeRealm;
  let test: TestApp;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT, logoutToken: { requireExp: false } }));
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('accepts the Keycloak 22 shape without exp, still bounded by maxAge', async () => {
    const sid = 'kc22-session';
    const access = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'frank', sid });
    const url = `${test.url}/auth/backchannel-logout`;
    const stale = await keycloak22LogoutToken({ realm, clientId: CLIENT, sid, iat: nowSeconds() - 3600 });
    expect((await postForm(url, { logout_token: stale })).status).toBe(400);
    expect((await postForm(url, { logout_token: await keycloak22LogoutToken({ realm, clientId: CLIENT, sid }) })).status).toBe(200);
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
  });
});
