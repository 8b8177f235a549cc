/**
 * The testing kit (`nestjs-keycloak-logout/testing`, lib/testing) as users get it: its realm's
 * discovery and JWKS, the exact Keycloak shapes of what it signs (docs/keycloak-protocol.md
 * §1.3, §2.2-2.3, §6), and its calls at an app built with its TestingModule helper.
 */
import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentToken, KeycloakBearerGuard, KeycloakLogoutModule, type AccessTokenClaims } from '../../lib/index.js';
import {
  createKeycloakTestingModule,
  KeycloakTestRealm,
  keycloakTestingMetadata,
  TEST_USER_ID,
} from '../../lib/testing/index.js';
import { nowSeconds } from '../support/clock.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

@Controller('me')
@UseGuards(KeycloakBearerGuard)
class MeController {
  @Get()
  me(@CurrentToken() token: AccessTokenClaims) {
    return { sub: token.sub ?? null, sid: token.sid ?? null };
  }
}

async function startApp(realm: KeycloakTestRealm, options: Parameters<typeof createKeycloakTestingModule>[2] = {}): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await createKeycloakTestingModule(realm, { controllers: [MeController] }, options);
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('the testing kit realm', () => {
  let realm: KeycloakTestRealm;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  const payloadOf = async (jws: string) => JSON.parse(new TextDecoder().decode((await compactVerify(jws, jwks)).payload)) as Record<string, unknown>;

  beforeAll(async () => {
    realm = await KeycloakTestRealm.start({ realm: 'shop', clientId: 'shop-api' });
    jwks = createLocalJWKSet((await (await fetch(realm.jwksUri)).json()) as JSONWebKeySet);
  });
  afterAll(async () => {
    await realm?.close();
  });

  it('serves discovery and the public keys at Keycloak\'s paths on loopback, and nothing else', async () => {
    expect(realm.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/realms\/shop$/);
    const fetchesBefore = realm.discoveryFetches;
    const discovery = (await (await fetch(realm.discoveryUrl)).json()) as Record<string, unknown>;
    expect(realm.discoveryFetches).toBe(fetchesBefore + 1);
    expect(discovery).toMatchObject({
      issuer: realm.issuer,
      jwks_uri: `${realm.issuer}/protocol/openid-connect/certs`,
      end_session_endpoint: `${realm.issuer}/protocol/openid-connect/logout`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    const keys = ((await (await fetch(realm.jwksUri)).json()) as JSONWebKeySet).keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kid: realm.signingKey.kid, alg: 'RS256', use: 'sig', kty: 'RSA' });
    expect(keys[0]).not.toHaveProperty('d'); // no private part published
    const other = await fetch(`${realm.issuer}/protocol/openid-connect/token`, { method: 'POST' });
    expect(other.status).toBe(404);
  });

  it('mints access tokens shaped like Keycloak\'s, with roles when given', async () => {
    const token = await realm.accessToken({ sub: 'alice', sid: 'session-1', realmRoles: ['staff'], clientRoles: { 'shop-api': ['editor'] } });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: realm.signingKey.kid });
    const { payload } = await jwtVerify(token, jwks, { issuer: realm.issuer });
    expect(payload).toMatchObject({
      aud: 'account',
      sub: 'alice',
      typ: 'Bearer',
      azp: 'shop-api',
      sid: 'session-1',
      scope: 'openid profile email',
      realm_access: { roles: ['staff'] },
      resource_access: { 'shop-api': { roles: ['editor'] } },
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(typeof payload.jti).toBe('string');

    const plain = (await jwtVerify(await realm.accessToken(), jwks)).payload;
    expect(plain.sub).toBe(TEST_USER_ID);
    expect(plain).not.toHaveProperty('sid');
    expect(plain).not.toHaveProperty('realm_access');
    expect(plain).not.toHaveProperty('resource_access');
  });

  it('mints lightweight access tokens without sub and aud, keeping azp and sid', async () => {
    const { payload } = await jwtVerify(await realm.accessToken({ sid: 'session-2', lightweight: true }), jwks);
    expect(payload).not.toHaveProperty('sub');
    expect(payload).not.toHaveProperty('aud');
    expect(payload).toMatchObject({ azp: 'shop-api', sid: 'session-2', typ: 'Bearer' });
  });

  it('mints ID tokens for the client, with nonce and sid', async () => {
    const { payload } = await jwtVerify(await realm.idToken({ sub: 'alice', sid: 'session-1', nonce: 'n-1' }), jwks, { audience: 'shop-api' });
    expect(payload).toMatchObject({ typ: 'ID', azp: 'shop-api', sub: 'alice', sid: 'session-1', nonce: 'n-1' });
  });

  it('mints logout tokens in Keycloak 26\'s exact shape: typ logout+jwt, events, sid, aud a string, no nonce', async () => {
    const token = await realm.logoutToken({ sub: 'alice', sid: 'session-1' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'logout+jwt', kid: realm.signingKey.kid });
    const { payload } = await jwtVerify(token, jwks, { issuer: realm.issuer, audience: 'shop-api', typ: 'logout+jwt' });
    expect(Object.keys(payload)).toEqual(['jti', 'exp', 'iat', 'iss', 'aud', 'sub', 'typ', 'sid', 'events']);
    expect(payload).toMatchObject({ aud: 'shop-api', sub: 'alice', typ: 'Logout', sid: 'session-1', events: { [BACKCHANNEL_EVENT]: {} } });
    expect(payload.exp! - payload.iat!).toBe(120);

    const offline = (await jwtVerify(await realm.logoutToken({ sid: 's', revokeOfflineAccess: true }), jwks)).payload;
    expect(offline.events).toEqual({ [BACKCHANNEL_EVENT]: {}, revoke_offline_access: true });
    const noSid = (await jwtVerify(await realm.logoutToken(), jwks)).payload;
    expect(noSid).not.toHaveProperty('sid');
    expect(noSid.sub).toBe(TEST_USER_ID);
  });

  it('mints the older Keycloak shapes on request, and variants Keycloak would not send', async () => {
    const kc24 = await realm.logoutToken({ sid: 's', keycloakVersion: 24 });
    expect(decodeProtectedHeader(kc24).typ).toBe('JWT');
    expect((await jwtVerify(kc24, jwks)).payload).toHaveProperty('exp');
    const kc22 = await realm.logoutToken({ sid: 's', keycloakVersion: 22 });
    expect(decodeProtectedHeader(kc22).typ).toBe('JWT');
    expect((await jwtVerify(kc22, jwks)).payload).not.toHaveProperty('exp');

    const mutated = await realm.logoutToken({ sid: 's', claims: { events: undefined, nonce: 'x' }, header: { kid: 'elsewhere' } });
    expect(decodeProtectedHeader(mutated).kid).toBe('elsewhere');
    // Signed with the realm's key whatever the header says.
    const claims = await payloadOf(await realm.logoutToken({ sid: 's', claims: { events: undefined, nonce: 'x' } }));
    expect(claims).not.toHaveProperty('events');
    expect(claims.nonce).toBe('x');
  });

  it('signs admin actions with Keycloak\'s field names, leaving absent session lists out', async () => {
    const now = nowSeconds();
    const single = await payloadOf(await realm.logoutAction({ keycloakSessionIds: ['session-1'] }));
    expect(Object.keys(single)).toEqual(['id', 'expiration', 'resource', 'action', 'notBefore', 'keycloakSessionIds']);
    expect(single).toMatchObject({ resource: 'shop-api', action: 'LOGOUT', notBefore: 0, keycloakSessionIds: ['session-1'] });
    expect(single.expiration).toBeGreaterThanOrEqual(now + 30);
    expect(single.expiration).toBeLessThanOrEqual(now + 31);

    const both = await payloadOf(await realm.logoutAction({ adapterSessionIds: ['app-1'], keycloakSessionIds: ['session-1'] }));
    expect(Object.keys(both)).toEqual(['id', 'expiration', 'resource', 'action', 'adapterSessionIds', 'notBefore', 'keycloakSessionIds']);

    const all = await payloadOf(await realm.logoutAction());
    expect(Object.keys(all)).toEqual(['id', 'expiration', 'resource', 'action', 'notBefore']);
    expect(all.notBefore).toBeGreaterThanOrEqual(now);

    const push = await payloadOf(await realm.pushNotBeforeAction({ notBefore: 1_700_000_000 }));
    expect(push).toMatchObject({ action: 'PUSH_NOT_BEFORE', notBefore: 1_700_000_000, resource: 'shop-api' });
    const probe = await payloadOf(await realm.testAvailabilityAction());
    expect(Object.keys(probe)).toEqual(['id', 'expiration', 'resource', 'action']);
    expect(decodeProtectedHeader(await realm.testAvailabilityAction())).toEqual({ alg: 'RS256', typ: 'JWT', kid: realm.signingKey.kid });
  });

  it('refuses to sign before it has a key, and stops serving once closed', async () => {
    await expect(new KeycloakTestRealm().accessToken()).rejects.toThrow(/no key yet/);
    const closed = await KeycloakTestRealm.start();
    const discovery = closed.discoveryUrl;
    await closed.close();
    await closed.close(); // twice is harmless
    await expect(fetch(discovery)).rejects.toThrow();
  });

  it('gives module metadata with KeycloakLogoutModule pointed at the realm, for Test.createTestingModule()', () => {
    const metadata = keycloakTestingMetadata(realm, { controllers: [MeController] }, { routePrefix: 'keycloak' });
    expect(metadata.controllers).toEqual([MeController]);
    expect(metadata.imports).toHaveLength(1);
    expect(realm.moduleOptions({ routePrefix: 'keycloak' })).toEqual({ issuer: realm.issuer, clientId: 'shop-api', algorithms: ['RS256'], routePrefix: 'keycloak' });
  });
});

describe('the testing kit against an app built with its TestingModule helper', () => {
  let realm: KeycloakTestRealm;
  let app: INestApplication;
  let url: string;
  const me = (token: string) => fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    realm = await KeycloakTestRealm.start({ clientId: 'orders' });
    ({ app, url } = await startApp(realm));
  });
  afterAll(async () => {
    await app?.close();
    await realm?.close();
  });

  it('a back-channel logout ends that session only', async () => {
    const ended = await realm.accessToken({ sub: 'alice', sid: 'bc-1' });
    const other = await realm.accessToken({ sub: 'alice', sid: 'bc-2' });
    expect((await me(ended)).status).toBe(200);
    expect(await (await me(ended)).json()).toEqual({ sub: 'alice', sid: 'bc-1' });

    const answer = await realm.backchannelLogout(url, { sub: 'alice', sid: 'bc-1' });
    expect(answer.status).toBe(200);
    expect(answer.sent.split('.')).toHaveLength(3);
    const refused = await me(ended);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
    expect((await me(other)).status).toBe(200);
  });

  it('reports the app\'s refusal: a logout token for another client is a 400 with a JSON error, and ends nothing', async () => {
    const token = await realm.accessToken({ sub: 'bob', sid: 'bc-3' });
    const answer = await realm.backchannelLogout(url, { clientId: 'someone-else', sid: 'bc-3' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    expect((await me(token)).status).toBe(200);
  });

  it('k_logout naming a Keycloak session ends it; k_test_available changes nothing', async () => {
    const token = await realm.accessToken({ sub: 'carol', sid: 'kl-1' });
    expect((await realm.kTestAvailable(url)).status).toBe(200);
    expect((await me(token)).status).toBe(200);
    expect((await realm.kLogout(url, { keycloakSessionIds: ['kl-1'] })).status).toBe(200);
    expect((await me(token)).status).toBe(401);
  });

  it('k_push_not_before revokes every token issued before it', async () => {
    const old = await realm.accessToken({ sub: 'dave', sid: 'pnb-1', iat: nowSeconds() - 60 });
    expect((await me(old)).status).toBe(200);
    expect((await realm.kPushNotBefore(url, { notBefore: nowSeconds() - 30 })).status).toBe(200);
    expect((await me(old)).status).toBe(401);
    expect((await me(await realm.accessToken({ sub: 'dave', sid: 'pnb-2' }))).status).toBe(200);
  });

  it('an admin action signed by a key the realm does not publish is refused and changes nothing', async () => {
    const token = await realm.accessToken({ sub: 'erin', sid: 'kl-2' });
    const stranger = await KeycloakTestRealm.start({ clientId: 'orders' });
    try {
      const answer = await stranger.kLogout(url, { keycloakSessionIds: ['kl-2'] });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.body).toMatchObject({ error: expect.any(String) });
      expect((await me(token)).status).toBe(200);
    } finally {
      await stranger.close();
    }
  });
});

describe('the testing kit with a route prefix and an ES256 realm', () => {
  it('sends logouts under the app\'s routePrefix and signs with the realm\'s algorithm', async () => {
    const realm = await KeycloakTestRealm.start({ clientId: 'es-app', algorithm: 'ES256' });
    const { app, url } = await startApp(realm, { routePrefix: 'keycloak' });
    try {
      expect(realm.moduleOptions().algorithms).toEqual(['ES256']);
      const token = await realm.accessToken({ sub: 'frank', sid: 'es-1' });
      expect(decodeProtectedHeader(token).alg).toBe('ES256');
      expect((await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await realm.backchannelLogout(url, { sid: 'es-1' })).status).toBe(404); // not under the default `auth`
      expect((await realm.backchannelLogout(url, { sid: 'es-1', routePrefix: 'keycloak' })).status).toBe(200);
      expect((await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await app.close();
      await realm.close();
    }
  });

  it('works with Test.createTestingModule() and the metadata helper', async () => {
    const realm = await KeycloakTestRealm.start({ clientId: 'meta-app' });
    const moduleRef = await Test.createTestingModule(keycloakTestingMetadata(realm, { controllers: [MeController] })).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.listen(0, '127.0.0.1');
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      expect(moduleRef.get(KeycloakLogoutModule)).toBeInstanceOf(KeycloakLogoutModule);
      const token = await realm.accessToken({ sid: 'meta-1' });
      expect((await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await app.close();
      await realm.close();
    }
  });
});
