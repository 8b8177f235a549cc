import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportSPKI, importJWK, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService } from '../../lib/index.js';
import { BACKCHANNEL_EVENT, keycloak26LogoutToken } from '../support/keycloak-logout-tokens.js';
import { nowSeconds } from '../support/clock.js';
import { createRealmKey, FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { keycloakLogoutAction, postAdminAction } from '../support/keycloak-admin-actions.js';
import { CapturingLogger, postForm, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'app-a';

/**
 * Attacks on every token-consuming route: the back-channel endpoint, k_logout, and the bearer
 * guard. Each must get a 4xx, revoke or accept nothing, and leave no token in the logs.
 */
describe('adversarial tokens', () => {
  let realm: FakeRealm;
  let test: TestApp;
  let revocations: RevocationService;
  let attackerServer: Server;
  let attackerHits = 0;
  let attackerUrl = '';
  const logger = new CapturingLogger();
  const sent: string[] = [];

  beforeAll(async () => {
    realm = await FakeRealm.start();
    attackerServer = createServer((_request, response) => {
      attackerHits += 1;
      response.end('{}');
    });
    await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attackerServer.address() as AddressInfo).port}`;
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), { logger });
    revocations = test.app.get(RevocationService);
    // Load the realm keys once, so later counts measure only what attacks trigger.
    await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'warm-up' }) });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
    await new Promise((resolve) => attackerServer?.close(resolve));
  });

  const logoutClaims = () => ({ iss: realm.issuer, aud: CLIENT, sub: 'victim', sid: 'victim-sid', jti: `j-${Math.random()}`, iat: nowSeconds(), exp: nowSeconds() + 60, events: { [BACKCHANNEL_EVENT]: {} } });
  const accessClaims = () => ({ iss: realm.issuer, aud: 'account', azp: CLIENT, sub: 'victim', sid: 'victim-sid', typ: 'Bearer', iat: nowSeconds(), exp: nowSeconds() + 300 });
  const adminPayload = () => JSON.stringify({ id: 'x', expiration: nowSeconds() + 30, resource: CLIENT, action: 'LOGOUT', adapterSessionIds: null, notBefore: nowSeconds(), keycloakSessionIds: null });

  async function attacker() {
    return createRealmKey('key-1');
  }

  /** Builds one attack token per route from a signing function. */
  type Forge = (payload: string | Record<string, unknown>, route: 'logout' | 'access' | 'admin') => Promise<string>;

  const attacks: Array<[string, Forge]> = [
    ['alg none', async (payload) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`],
    [
      'HS256 signed with the realm public key as the secret (algorithm confusion)',
      async (payload) => {
        const pem = await exportSPKI((await importJWK(realm.signingKey.publicJwk, 'RS256')) as CryptoKey);
        const secret = new TextEncoder().encode(pem);
        return new CompactSign(bytes(payload)).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: realm.signingKey.kid }).sign(secret);
      },
    ],
    [
      'a valid signature from a key the realm does not publish, with the same kid',
      async (payload) => new CompactSign(bytes(payload)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: realm.signingKey.kid }).sign((await attacker()).privateKey),
    ],
    [
      'embedded jwk header with the attacker key',
      async (payload) => {
        const key = await attacker();
        return new CompactSign(bytes(payload)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk: key.publicJwk }).sign(key.privateKey);
      },
    ],
    [
      'jku and x5u headers pointing at the attacker',
      async (payload) =>
        new CompactSign(bytes(payload))
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'attacker', jku: `${attackerUrl}/jwks`, x5u: `${attackerUrl}/cert` })
          .sign((await attacker()).privateKey),
    ],
    ['kid with a path', async (payload) => new CompactSign(bytes(payload)).setProtectedHeader({ alg: 'RS256', kid: '../../../../etc/passwd' }).sign((await attacker()).privateKey)],
    ['kid with SQL', async (payload) => new CompactSign(bytes(payload)).setProtectedHeader({ alg: 'RS256', kid: "' OR 1=1; --" }).sign((await attacker()).privateKey)],
    [
      'an unknown crit header',
      // jose will not sign an unknown crit, so sign by hand with the realm's real key.
      async (payload) => signByHand({ alg: 'RS256', typ: 'JWT', kid: realm.signingKey.kid, crit: ['urn:evil'], 'urn:evil': 1 }, payload),
    ],
    [
      'a nested JWS as the payload',
      async (payload) => {
        const inner = await realm.signRaw(typeof payload === 'string' ? payload : JSON.stringify(payload));
        return new CompactSign(new TextEncoder().encode(inner)).setProtectedHeader({ alg: 'RS256', typ: 'JWT', cty: 'JWT', kid: realm.signingKey.kid }).sign(realm.signingKey.privateKey);
      },
    ],
    ['a JWE', async () => `${b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: realm.signingKey.kid })}.AAAA.AAAA.AAAA.AAAA`],
    [
      'claims of the wrong JSON types',
      async (payload, route) => {
        const wrong =
          route === 'admin'
            ? { action: 'LOGOUT', resource: [CLIENT], expiration: `${nowSeconds() + 30}`, notBefore: { at: nowSeconds() } }
            : { ...(payload as Record<string, unknown>), aud: 12345, iat: 'now', sid: { id: 'x' }, events: [BACKCHANNEL_EVENT] };
        return realm.signRaw(JSON.stringify(wrong));
      },
    ],
    [
      'a token for another client',
      async (payload, route) =>
        route === 'admin'
          ? realm.signRaw(JSON.stringify({ ...JSON.parse(payload as string), resource: 'other-client' }))
          : realm.sign({ ...(payload as Record<string, unknown>), aud: 'other-client', azp: 'other-client' }),
    ],
    [
      'a token from another issuer',
      async (payload, route) =>
        route === 'admin'
          ? realm.signRaw(JSON.stringify({ ...JSON.parse(payload as string), expiration: nowSeconds() - 100 }))
          : realm.sign({ ...(payload as Record<string, unknown>), iss: 'https://evil.example/realms/demo' }),
    ],
  ];

  async function signByHand(header: Record<string, unknown>, payload: string | Record<string, unknown>) {
    const input = `${b64(header)}.${b64(payload)}`;
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', realm.signingKey.privateKey, new TextEncoder().encode(input));
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }
  function b64(value: unknown) {
    return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  }
  function bytes(payload: string | Record<string, unknown>) {
    return new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  it.each(attacks)('%s: refused on every route, nothing revoked or accepted, nothing logged', async (_name, forge) => {
    const victim = await keycloakAccessToken(realm, { clientId: CLIENT, sub: 'victim', sid: 'victim-sid' });
    const fetchesBefore = realm.jwksFetches;
    const sizeBefore = revocations.notBefore;

    const logoutToken = await forge(logoutClaims(), 'logout');
    const backchannel = await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: logoutToken });
    expect(backchannel.status).toBe(400);
    expect(await backchannel.json()).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });

    const adminToken = await forge(adminPayload(), 'admin');
    const admin = await postAdminAction(`${test.url}/auth/k_logout`, adminToken);
    expect([400, 401]).toContain(admin.status);
    expect(await admin.json()).toMatchObject({ error: expect.any(String) });

    const accessToken = await forge(accessClaims(), 'access');
    const bearer = await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(bearer.status).toBe(401);
    expect(await bearer.json()).toMatchObject({ error: expect.stringMatching(/invalid_token|invalid_request/) });

    // Nothing revoked: the victim's real token still works, the not-before did not move.
    expect((await fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${victim}` } })).status).toBe(200);
    expect(revocations.notBefore).toBe(sizeBefore);
    // No request to attacker-controlled URLs; at most one JWKS refetch (the cooldown holds).
    expect(attackerHits).toBe(0);
    expect(realm.jwksFetches - fetchesBefore).toBeLessThanOrEqual(1);
    sent.push(logoutToken, adminToken, accessToken);
  });

  it('huge claims are refused by size, not processed', async () => {
    const huge = await realm.sign({ ...logoutClaims(), sid: 'x'.repeat(50_000) }, { typ: 'logout+jwt' });
    const response = await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: huge });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(/exceeds/);
    const longSid = await realm.sign({ ...logoutClaims(), sid: 'x'.repeat(1_000) }, { typ: 'logout+jwt' });
    expect((await postForm(`${test.url}/auth/backchannel-logout`, { logout_token: longSid })).status).toBe(400);
    const hugeAdmin = await keycloakLogoutAction({ realm, clientId: CLIENT, adapterSessionIds: Array.from({ length: 2_000 }, (_, i) => `session-${i}`) });
    expect((await postAdminAction(`${test.url}/auth/k_logout`, hugeAdmin)).status).toBe(413);
  });

  it('the same logout token posted many times is accepted once', async () => {
    const token = await keycloak26LogoutToken({ realm, clientId: CLIENT, sid: 'storm' });
    const statuses = await Promise.all(Array.from({ length: 20 }, () => postForm(`${test.url}/auth/backchannel-logout`, { logout_token: token }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    sent.push(token);
  });

  it('no token, or any part of one, ever reached the logs', () => {
    expect(logger.lines.length).toBeGreaterThan(0);
    const joined = logger.lines.join('\n');
    for (const token of sent) {
      for (const part of token.split('.').filter((p) => p.length >= 16)) expect(joined).not.toContain(part);
    }
  });
});
