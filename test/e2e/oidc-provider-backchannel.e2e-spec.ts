import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule } from '../../lib/index.js';
import { nowSeconds } from '../support/clock.js';
import { createHttpAgent } from '../support/http-client.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';
import { startTestOp, type TestOp } from '../support/test-op.js';

/**
 * The whole back-channel path against a real OpenID Provider (oidc-provider, configured like a
 * Keycloak realm): login with code + PKCE, a bearer-guarded API accepting the access token,
 * logout at the OP's end-session endpoint, the OP's own back-channel call, and the same
 * still-unexpired access token refused, while another user's token keeps working.
 */
describe.each(ADAPTERS)('single logout driven by a real OP (%s)', (adapter) => {
  let op: TestOp;
  let test: TestApp;
  const clientId = `api-${adapter}`;

  beforeAll(async () => {
    op = await startTestOp({ clients: [{ clientId, clientSecret: 'secret', redirectUris: ['http://127.0.0.1/placeholder'] }] });
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: op.issuer, clientId }));
    // Now that the app's port is known, register its back-channel logout URL at the OP.
    await op.registerClient({
      clientId,
      clientSecret: 'secret',
      redirectUris: [`${test.url}/auth/callback`],
      backchannelLogoutUri: `${test.url}/auth/backchannel-logout`,
    });
  });
  afterAll(async () => {
    await test?.close();
    await op?.close();
  });

  const me = (token: string) => fetch(`${test.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });

  it('refuses a logged-out user\'s unexpired access token after the OP\'s back-channel call', async () => {
    const alice = await op.login({ clientId, username: 'alice', password: 'alice-password', agent: createHttpAgent() });
    const bob = await op.login({ clientId, username: 'bob', password: 'bob-password', agent: createHttpAgent() });

    // PKCE really happened at the OP.
    const authorization = op.authorizationRequests.at(-1)!;
    expect(authorization.code_challenge_method).toBe('S256');
    expect(authorization.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(op.tokenRequests.at(-1)!.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);

    const before = await me(alice.accessToken);
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({ sub: alice.sub, sid: alice.sid, client: clientId });
    expect((await me(bob.accessToken)).status).toBe(200);

    await op.endSession({ agent: alice.agent, idTokenHint: alice.idToken });
    expect(op.backchannelResults).toContainEqual(expect.objectContaining({ clientId, sid: alice.sid, ok: true }));

    const after = await me(alice.accessToken);
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ error: 'invalid_token', error_description: 'access token has been revoked (sid)' });
    // The token itself is still unexpired: only the logout refuses it.
    const [, payload] = alice.accessToken.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString()).exp).toBeGreaterThan(nowSeconds());
    expect((await me(bob.accessToken)).status).toBe(200);
  });

  it('a new login of the same user after logout works', async () => {
    const again = await op.login({ clientId, username: 'alice', password: 'alice-password', agent: createHttpAgent() });
    expect((await me(again.accessToken)).status).toBe(200);
  });
});
