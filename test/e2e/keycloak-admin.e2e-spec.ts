import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, SessionRegistry, type LogoutEvent } from '../../lib/index.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import {
  keycloakLogoutAction,
  keycloakPushNotBeforeAction,
  keycloakTestAvailabilityAction,
  postAdminAction,
} from '../support/keycloak-admin-actions.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';

describe.each(ADAPTERS)('Keycloak Admin URL routes (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;
  let revocations: RevocationService;
  let registry: SessionRegistry;
  const events: LogoutEvent[] = [];
  let counter = 0;
  const unique = (label: string) => `${label}-${adapter}-${++counter}`;

  const admin = (route: string) => `${test.url}/auth/${route}`;
  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const page = (sessionId: string) => fetch(`${test.url}/api/page`, { headers: { 'x-test-session': sessionId } });

  /** An app session as the login flow leaves it: in the server-side session and in the registry. */
  async function appSession(sub: string, issuedAt = nowSeconds()) {
    const adapterSessionId = unique('express-sid');
    const sid = unique('kc-session');
    test.sessions.set(adapterSessionId, { keycloak: { sub, sid, issuedAt } });
    await registry.register({ adapterSessionId, sid, sub, clientId: CLIENT, issuedAt, expiresAt: issuedAt + 3600 });
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub, sid, iat: issuedAt });
    return { adapterSessionId, sid, token };
  }

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }));
    revocations = test.app.get(RevocationService);
    registry = test.app.get(SessionRegistry);
    revocations.onLogout((event) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('k_test_available answers 200 and changes nothing', async () => {
    const before = events.length;
    const response = await postAdminAction(admin('k_test_available'), await keycloakTestAvailabilityAction({ realm, clientId: CLIENT }));
    expect(response.status).toBe(200);
    expect(events.length).toBe(before);
    expect(revocations.notBefore).toBe(0);
  });

  it('k_logout naming an adapter session ends it, and the Keycloak session the registry links to it', async () => {
    const target = await appSession('alice');
    const bystander = await appSession('bob');
    expect((await page(target.adapterSessionId)).status).toBe(200);

    // An older Keycloak that names only adapter sessions (no keycloakSessionIds).
    const action = await keycloakLogoutAction({ realm, clientId: CLIENT, adapterSessionIds: [target.adapterSessionId] });
    expect((await postAdminAction(admin('k_logout'), action)).status).toBe(200);

    const refused = await page(target.adapterSessionId);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'login_required' });
    expect(test.sessions.has(target.adapterSessionId)).toBe(false); // destroyed by the guard
    expect((await me(target.token)).status).toBe(401); // linked sid revoked too
    expect((await page(bystander.adapterSessionId)).status).toBe(200);
    expect((await me(bystander.token)).status).toBe(200);
    expect(events.some((e) => e.revocation.type === 'adapter-session' && e.sessions[0]?.sub === 'alice')).toBe(true);
  });

  it('k_logout naming a Keycloak session refuses bearer tokens carrying that sid', async () => {
    const sid = unique('kc-only');
    const token = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'carol', sid });
    expect((await me(token)).status).toBe(200);
    const action = await keycloakLogoutAction({ realm, clientId: CLIENT, adapterSessionIds: ['unknown-session'], keycloakSessionIds: [sid] });
    expect((await postAdminAction(admin('k_logout'), action)).status).toBe(200);
    expect((await me(token)).status).toBe(401);
  });

  it('accepts the action whatever the content type says (form-encoded, none)', async () => {
    const first = await appSession('dan');
    const second = await appSession('dan');
    const form = await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [first.sid] });
    expect((await postAdminAction(admin('k_logout'), form, 'application/x-www-form-urlencoded')).status).toBe(200);
    expect((await me(first.token)).status).toBe(401);
    if (adapter === 'express') {
      // Fastify answers 415 itself for a body without a content type it has a parser for.
      const none = await keycloakLogoutAction({ realm, clientId: CLIENT, keycloakSessionIds: [second.sid] });
      expect((await postAdminAction(admin('k_logout'), none, null)).status).toBe(200);
      expect((await me(second.token)).status).toBe(401);
    }
  });

  describe('bad actions: a 4xx JSON error and nothing changed', () => {
    async function expectRefused(route: string, body: string, status: number, pattern: RegExp, contentType?: string) {
      const victim = await appSession('victim');
      const eventsBefore = events.length;
      const notBefore = revocations.notBefore;
      const response = await postAdminAction(admin(route), body, contentType);
      expect(response.status).toBe(status);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const json = (await response.json()) as { error: string; error_description: string };
      expect(typeof json.error).toBe('string');
      expect(json.error_description).toMatch(pattern);
      expect(events.length).toBe(eventsBefore);
      expect(revocations.notBefore).toBe(notBefore);
      expect((await me(victim.token)).status).toBe(200);
      expect((await page(victim.adapterSessionId)).status).toBe(200);
    }

    const logoutAll = () => ({ realm, clientId: CLIENT, notBefore: nowSeconds() });

    it('signed by a key the realm does not publish', async () => {
      const foreign = await createRealmKey('key-1');
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), key: foreign }), 401, /does not publish|signature/);
    });
    it('forged payload under a real signature', async () => {
      const [header, , signature] = (await keycloakLogoutAction(logoutAll())).split('.');
      const forged = Buffer.from(JSON.stringify({ action: 'LOGOUT', resource: CLIENT, expiration: nowSeconds() + 30, notBefore: nowSeconds() })).toString('base64url');
      await expectRefused('k_logout', `${header}.${forged}.${signature}`, 401, /signature/);
    });
    it('an algorithm that is not allowed (ES256 key published by the realm)', async () => {
      const ec = await createRealmKey(`ec-${adapter}`, 'ES256');
      realm.keys.push(ec);
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), key: ec }), 401, /algorithm is not allowed/);
    });
    it('admin action with alg none', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ action: 'LOGOUT', resource: CLIENT, expiration: nowSeconds() + 30, notBefore: nowSeconds() })).toString('base64url');
      await expectRefused('k_logout', `${header}.${payload}.`, 401, /compact JWS|algorithm/);
    });
    it('expired admin action', async () => {
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), expiresIn: -60 }), 400, /expired/);
    });
    it('expiration implausibly far ahead', async () => {
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), expiresIn: 86_400 }), 400, /far in the future/);
    });
    it('for another client (resource)', async () => {
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), clientId: 'other-app' }), 400, /"resource"/);
    });
    it('LOGOUT posted to k_push_not_before', async () => {
      await expectRefused('k_push_not_before', await keycloakLogoutAction(logoutAll()), 400, /does not match this route/);
    });
    it('PUSH_NOT_BEFORE posted to k_logout', async () => {
      await expectRefused('k_logout', await keycloakPushNotBeforeAction(logoutAll()), 400, /does not match this route/);
    });
    it('TEST_AVAILABILITY posted to k_logout', async () => {
      await expectRefused('k_logout', await keycloakTestAvailabilityAction(logoutAll()), 400, /does not match this route/);
    });
    it('malformed JSON payload', async () => {
      await expectRefused('k_logout', await realm.signRaw('{"action":"LOGOUT",'), 400, /not valid JSON/);
    });
    it('payload a JSON array', async () => {
      await expectRefused('k_logout', await realm.signRaw('["LOGOUT"]'), 400, /JSON object/);
    });
    it('adapterSessionIds of the wrong type', async () => {
      await expectRefused('k_logout', await keycloakLogoutAction(logoutAll(), { adapterSessionIds: 'all' }), 400, /adapterSessionIds/);
    });
    it('notBefore a string', async () => {
      await expectRefused('k_push_not_before', await keycloakPushNotBeforeAction(logoutAll(), { notBefore: 'now' }), 400, /notBefore/);
    });
    it('a logout+jwt typed token', async () => {
      await expectRefused('k_logout', await keycloakLogoutAction({ ...logoutAll(), header: { typ: 'logout+jwt' } }), 400, /typ/);
    });
    it('empty body', async () => {
      await expectRefused('k_logout', '', 400, /empty/);
    });
    it('admin action body that is not a JWS', async () => {
      await expectRefused('k_logout', 'hello', 401, /compact JWS/);
    });
    it('oversized body', async () => {
      await expectRefused('k_logout', 'a'.repeat(40_000), 413, /exceeds/);
    });
  });

  // Last: a not-before refuses everything older for the rest of the suite.
  it('logout all (notBefore) refuses older tokens and sessions and accepts newer ones; push not-before likewise', async () => {
    const old = await appSession('erin', nowSeconds() - 30);
    const notBefore = nowSeconds() - 10;
    const action = await keycloakLogoutAction({ realm, clientId: CLIENT, notBefore });
    expect((await postAdminAction(admin('k_logout'), action)).status).toBe(200);
    expect(revocations.notBefore).toBe(notBefore);
    expect((await me(old.token)).status).toBe(401);
    expect((await page(old.adapterSessionId)).status).toBe(401);
    const fresh = await appSession('erin', notBefore);
    expect((await me(fresh.token)).status).toBe(200);
    expect((await page(fresh.adapterSessionId)).status).toBe(200);

    // A push with an older not-before does not move it back.
    expect((await postAdminAction(admin('k_push_not_before'), await keycloakPushNotBeforeAction({ realm, clientId: CLIENT, notBefore: notBefore - 100 }))).status).toBe(200);
    expect(revocations.notBefore).toBe(notBefore);
    const pushed = nowSeconds();
    expect((await postAdminAction(admin('k_push_not_before'), await keycloakPushNotBeforeAction({ realm, clientId: CLIENT, notBefore: pushed }))).status).toBe(200);
    expect(revocations.notBefore).toBe(pushed);
    expect((await me(fresh.token)).status).toBe(401);
  });
});
