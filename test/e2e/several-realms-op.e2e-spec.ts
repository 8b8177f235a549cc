import { randomUUID } from 'node:crypto';
import { CompactSign, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule } from '../../lib/index.js';
import { nowSeconds } from '../support/clock.js';
import { createHttpAgent } from '../support/http-client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { startTestOp, type TestOp } from '../support/test-op.js';

/**
 * Two real OPs (oidc-provider, configured like two Keycloak realms) in front of one app: `alpha`
 * is the primary realm, `beta` a realm of the `realms` option. Both realms' tokens pass the
 * bearer guard; each OP's own back-channel logouts reach the app at the realm's own route and
 * revoke in that realm only, even for the very same `sid` or `sub` value.
 */
describe('several realms behind real OPs', () => {
  let alpha: TestOp;
  let beta: TestOp;
  let test: TestApp;

  beforeAll(async () => {
    const placeholder = { clientSecret: 'secret', redirectUris: ['http://127.0.0.1/placeholder'] };
    alpha = await startTestOp({ realm: 'alpha', clients: [{ clientId: 'api-alpha', ...placeholder }] });
    beta = await startTestOp({ realm: 'beta', clients: [{ clientId: 'api-beta', ...placeholder }] });
    test = await startTestApp('express', KeycloakLogoutModule.forRoot({
      issuer: alpha.issuer,
      clientId: 'api-alpha',
      realms: [{ name: 'beta', issuer: beta.issuer, clientId: 'api-beta' }],
    }));
    await alpha.registerClient({ clientId: 'api-alpha', ...placeholder, backchannelLogoutUri: `${test.url}/auth/backchannel-logout` });
    await beta.registerClient({ clientId: 'api-beta', ...placeholder, backchannelLogoutUri: `${test.url}/auth/realms/beta/backchannel-logout` });
  });
  afterAll(async () => {
    await test?.close();
    await alpha?.close();
    await beta?.close();
  });

  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  const login = (op: TestOp, clientId: string, username = 'alice') =>
    op.login({ clientId, username, password: `${username}-password`, agent: createHttpAgent() });

  /**
   * The OP's own back-channel logout to its client (a real logout token, signed by that OP, to
   * the client's registered URI); oidc-provider rejects when the client does not answer 200.
   */
  async function opBackchannelLogout(op: TestOp, clientId: string, sub: string, sid?: string): Promise<void> {
    const client = await op.provider.Client.find(clientId);
    await client!.backchannelLogout(sub, sid);
  }

  /** An access token signed with the OP's real key, shaped as its own (to give it a chosen `sid`). */
  async function accessTokenOf(op: TestOp, clientId: string, claims: { sub: string; sid: string }): Promise<string> {
    const key = await importJWK(op.privateJwks.keys[0]!, 'RS256');
    return new SignJWT({ iss: op.issuer, aud: 'account', azp: clientId, typ: 'Bearer', jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: op.signingKid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  }

  /** A Keycloak PUSH_NOT_BEFORE admin action signed with the OP's real key. */
  async function pushNotBefore(op: TestOp, clientId: string, notBefore: number): Promise<string> {
    const key = await importJWK(op.privateJwks.keys[0]!, 'RS256');
    const action = { id: randomUUID(), expiration: nowSeconds() + 30, resource: clientId, action: 'PUSH_NOT_BEFORE', notBefore };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(action))).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: op.signingKid }).sign(key);
  }

  it('accepts the access tokens of both realms, each for its own client', async () => {
    const fromAlpha = await login(alpha, 'api-alpha');
    const fromBeta = await login(beta, 'api-beta');
    const [a, b] = [await me(fromAlpha.accessToken), await me(fromBeta.accessToken)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await a.json()).toEqual({ sub: 'user-alice', sid: fromAlpha.sid, client: 'api-alpha' });
    expect(await b.json()).toEqual({ sub: 'user-alice', sid: fromBeta.sid, client: 'api-beta' });
  });

  it('a back-channel logout of a sid in one realm leaves the same sid value of the other realm working', async () => {
    const fromBeta = await login(beta, 'api-beta');
    // An alpha token carrying the very sid value of the beta session.
    const alphaTwin = await accessTokenOf(alpha, 'api-alpha', { sub: 'user-alice', sid: fromBeta.sid });
    expect((await me(alphaTwin)).status).toBe(200);

    await opBackchannelLogout(alpha, 'api-alpha', 'user-alice', fromBeta.sid);

    const refused = await me(alphaTwin);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'access token has been revoked (sid)' });
    expect((await me(fromBeta.accessToken)).status).toBe(200);

    // And the other way round: beta's own logout of its session, through its own route.
    const betaTwin = await accessTokenOf(beta, 'api-beta', { sub: 'user-bob', sid: 'shared-sid' });
    const alphaShared = await accessTokenOf(alpha, 'api-alpha', { sub: 'user-bob', sid: 'shared-sid' });
    await opBackchannelLogout(beta, 'api-beta', 'user-bob', 'shared-sid');
    expect((await me(betaTwin)).status).toBe(401);
    expect((await me(alphaShared)).status).toBe(200);
  });

  it('a real logout at one OP revokes that realm\'s session only', async () => {
    const fromAlpha = await login(alpha, 'api-alpha', 'bob');
    const fromBeta = await login(beta, 'api-beta', 'bob');
    await alpha.endSession({ agent: fromAlpha.agent, idTokenHint: fromAlpha.idToken });
    expect(alpha.backchannelResults).toContainEqual(expect.objectContaining({ clientId: 'api-alpha', sid: fromAlpha.sid, ok: true }));
    expect((await me(fromAlpha.accessToken)).status).toBe(401);
    expect((await me(fromBeta.accessToken)).status).toBe(200);
  });

  it('a logout of a user (sub, no sid) in one realm leaves the same user\'s tokens of the other realm working', async () => {
    // A user only these checks use, so that earlier logouts do not interfere.
    const fromBeta = await accessTokenOf(beta, 'api-beta', { sub: 'user-carol', sid: 'carol-beta' });
    const fromAlpha = await accessTokenOf(alpha, 'api-alpha', { sub: 'user-carol', sid: 'carol-alpha' });
    expect((await me(fromBeta)).status).toBe(200);
    await opBackchannelLogout(beta, 'api-beta', 'user-carol');
    const refused = await me(fromBeta);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error_description: 'access token has been revoked (subject)' });
    expect((await me(fromAlpha)).status).toBe(200);
  });

  it('k_push_not_before on one realm\'s Admin URL refuses that realm\'s older tokens only', async () => {
    const fromAlpha = await accessTokenOf(alpha, 'api-alpha', { sub: 'user-dave', sid: 'dave-alpha' });
    const fromBeta = await accessTokenOf(beta, 'api-beta', { sub: 'user-dave', sid: 'dave-beta' });
    const notBefore = nowSeconds() + 1;
    // Signed by alpha, posted to beta's Admin URL: not beta's, refused and ignored.
    const misrouted = await fetch(`${test.url}/auth/realms/beta/k_push_not_before`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: await pushNotBefore(alpha, 'api-beta', notBefore) });
    expect(misrouted.status).toBe(401);
    expect((await me(fromBeta)).status).toBe(200);

    const pushed = await fetch(`${test.url}/auth/realms/beta/k_push_not_before`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: await pushNotBefore(beta, 'api-beta', notBefore) });
    expect(pushed.status).toBe(200);
    const refused = await me(fromBeta);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error_description: 'access token has been revoked (not-before)' });
    expect((await me(fromAlpha)).status).toBe(200);
  });
});
