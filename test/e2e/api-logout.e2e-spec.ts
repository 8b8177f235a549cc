/**
 * API logout with KeycloakSessionTerminator: RFC 7009 revocation against the test OP's real
 * revocation endpoint, and Keycloak's refresh-token logout against the fake realm, whose token
 * logout answers as Keycloak's LogoutEndpoint does (docs/keycloak-protocol.md §4.2). Refusals
 * become typed errors.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientAuthenticationError,
  KeycloakLogoutModule,
  KeycloakSessionTerminator,
  ProviderUnavailableError,
  RequestInvalidError,
  TokenRejectedError,
  type KeycloakLogoutModuleOptions,
} from '../../lib/index.js';
import { FakeRealm } from '../support/fake-realm.js';
import { startTestOp, type TestOp } from '../support/test-op.js';

const contexts: INestApplicationContext[] = [];

async function terminator(options: KeycloakLogoutModuleOptions): Promise<KeycloakSessionTerminator> {
  const context = await NestFactory.createApplicationContext(KeycloakLogoutModule.forRoot(options), { logger: false });
  contexts.push(context);
  return context.get(KeycloakSessionTerminator);
}

/** Runs `action` and returns what it threw. */
async function thrown(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

afterAll(async () => {
  for (const context of contexts) await context.close();
});

describe('RFC 7009 revocation against the test OP', () => {
  let op: TestOp;
  const userinfo = (accessToken: string) => fetch(`${op.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

  beforeAll(async () => {
    op = await startTestOp({
      clients: [
        { clientId: 'api-conf', clientSecret: 'api-conf-secret', redirectUris: ['http://127.0.0.1:1/cb'] },
        { clientId: 'api-public', redirectUris: ['http://127.0.0.1:1/cb'] },
      ],
    });
  });
  afterAll(async () => {
    await op?.close();
  });

  it('a confidential client (HTTP Basic) revokes its refresh token; the grant is gone', async () => {
    const login = await op.login({ clientId: 'api-conf', username: 'alice', password: 'alice-password' });
    expect((await userinfo(login.accessToken)).status).toBe(200);
    const terminate = await terminator({ issuer: op.issuer, clientId: 'api-conf', clientSecret: 'api-conf-secret' });
    await terminate.revokeToken(login.refreshToken!, 'refresh_token');
    expect((await userinfo(login.accessToken)).status).toBe(401);
    // And the refresh token no longer refreshes.
    const refresh = await fetch(`${op.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('api-conf:api-conf-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: login.refreshToken! }),
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a public client (client_id in the form) revokes its refresh token', async () => {
    const login = await op.login({ clientId: 'api-public', username: 'bob', password: 'bob-password' });
    const terminate = await terminator({ issuer: op.issuer, clientId: 'api-public' });
    await terminate.revokeToken(login.refreshToken!);
    expect((await userinfo(login.accessToken)).status).toBe(401);
  });

  it('an unknown token is not an error (RFC 7009 §2.2)', async () => {
    const terminate = await terminator({ issuer: op.issuer, clientId: 'api-public' });
    await expect(terminate.revokeToken('not-a-token-the-op-knows', 'refresh_token')).resolves.toBeUndefined();
  });

  it('a wrong client secret is a ClientAuthenticationError, and the token stays valid', async () => {
    const login = await op.login({ clientId: 'api-conf', username: 'alice', password: 'alice-password' });
    const terminate = await terminator({ issuer: op.issuer, clientId: 'api-conf', clientSecret: 'wrong' });
    const error = await thrown(() => terminate.revokeToken(login.refreshToken!, 'refresh_token'));
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({ code: 'ERR_KEYCLOAK_LOGOUT_CLIENT_AUTHENTICATION', answer: { endpoint: 'revocation', status: 401, error: 'invalid_client' } });
    expect((error as Error).message).not.toContain(login.refreshToken!);
    expect((await userinfo(login.accessToken)).status).toBe(200);
  });

  it('refuses an empty token or an unknown hint before calling the OP', async () => {
    const terminate = await terminator({ issuer: op.issuer, clientId: 'api-public' });
    await expect(terminate.revokeToken('')).rejects.toBeInstanceOf(RequestInvalidError);
    await expect(terminate.revokeToken('abc', 'id_token' as never)).rejects.toBeInstanceOf(RequestInvalidError);
  });
});

describe("Keycloak's refresh-token logout (fixture of LogoutEndpoint.logoutToken)", () => {
  let realm: FakeRealm;
  let keycloak: FakeRealm['tokenLogout'];
  let confidential: KeycloakSessionTerminator;
  let publicClient: KeycloakSessionTerminator;

  beforeAll(async () => {
    realm = await FakeRealm.start();
    keycloak = realm.tokenLogout;
    keycloak.addClients(
      { clientId: 'backend', secret: 's3cr3t/+&=' },
      { clientId: 'spa' },
      { clientId: 'api-only', secret: 'x', bearerOnly: true },
    );
    confidential = await terminator({ issuer: realm.issuer, clientId: 'backend', clientSecret: 's3cr3t/+&=' });
    publicClient = await terminator({ issuer: realm.issuer, clientId: 'spa' });
  });
  afterAll(async () => {
    await realm?.close();
  });

  it('the fixture answers like Keycloak when client_id is missing entirely: 400 invalid_client', async () => {
    const response = await fetch(realm.endSessionEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ refresh_token: keycloak.issueRefreshToken('spa') }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'Missing client_id parameter' });
  });

  it('a confidential client: HTTP Basic with the form-encoded credentials, 204, session ended', async () => {
    const refreshToken = keycloak.issueRefreshToken('backend');
    await confidential.logoutWithRefreshToken(refreshToken);
    const request = keycloak.requests.at(-1)!;
    expect(request.status).toBe(204);
    expect(request.form).toEqual({ refresh_token: refreshToken });
    expect(Buffer.from(request.authorization!.replace('Basic ', ''), 'base64').toString()).toBe('backend:s3cr3t%2F%2B%26%3D');
    expect(keycloak.isSessionLive(refreshToken)).toBe(false);
  });

  it('a public client: client_id in the form, no Authorization header', async () => {
    const refreshToken = keycloak.issueRefreshToken('spa');
    await publicClient.logoutWithRefreshToken(refreshToken);
    const request = keycloak.requests.at(-1)!;
    expect(request).toMatchObject({ status: 204, authorization: undefined, form: { client_id: 'spa', refresh_token: refreshToken } });
    expect(keycloak.isSessionLive(refreshToken)).toBe(false);
  });

  it('a session already logged out is still 204: success', async () => {
    const refreshToken = keycloak.issueRefreshToken('spa');
    await publicClient.logoutWithRefreshToken(refreshToken);
    await expect(publicClient.logoutWithRefreshToken(refreshToken)).resolves.toBeUndefined();
  });

  it('a wrong secret: 401 unauthorized_client becomes ClientAuthenticationError', async () => {
    const refreshToken = keycloak.issueRefreshToken('backend');
    const wrong = await terminator({ issuer: realm.issuer, clientId: 'backend', clientSecret: 'guess' });
    const error = await thrown(() => wrong.logoutWithRefreshToken(refreshToken));
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({
      answer: { endpoint: 'logout', status: 401, error: 'unauthorized_client', description: 'Invalid client or Invalid client credentials' },
    });
    expect((error as Error).message).toMatch(/the OP refused this client's credentials \(the logout endpoint answered 401 unauthorized_client: Invalid client or Invalid client credentials\)/);
    expect((error as Error).message).not.toContain(refreshToken);
    expect(keycloak.isSessionLive(refreshToken)).toBe(true);
  });

  it('a confidential client configured without its secret: Keycloak answers 401 too', async () => {
    const refreshToken = keycloak.issueRefreshToken('backend');
    const noSecret = await terminator({ issuer: realm.issuer, clientId: 'backend' });
    await expect(noSecret.logoutWithRefreshToken(refreshToken)).rejects.toBeInstanceOf(ClientAuthenticationError);
  });

  it('a bearer-only client: 400 invalid_client becomes ClientAuthenticationError', async () => {
    const bearerOnly = await terminator({ issuer: realm.issuer, clientId: 'api-only', clientSecret: 'x' });
    const error = await thrown(() => bearerOnly.logoutWithRefreshToken(keycloak.issueRefreshToken('api-only')));
    expect(error).toBeInstanceOf(ClientAuthenticationError);
    expect(error).toMatchObject({ answer: { status: 400, error: 'invalid_client', description: 'Bearer-only not allowed' } });
  });

  it("another client's refresh token: 400 invalid_grant becomes TokenRejectedError", async () => {
    const refreshToken = keycloak.issueRefreshToken('spa');
    const error = await thrown(() => confidential.logoutWithRefreshToken(refreshToken));
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect(error).toMatchObject({ code: 'ERR_KEYCLOAK_LOGOUT_TOKEN_REJECTED', answer: { status: 400, error: 'invalid_grant' } });
    expect((error as Error).message).toMatch(/refresh token .*Token client and authorized client don't match/);
    expect(keycloak.isSessionLive(refreshToken)).toBe(true);
  });

  it('an unknown refresh token: TokenRejectedError', async () => {
    await expect(confidential.logoutWithRefreshToken('forged-token')).rejects.toBeInstanceOf(TokenRejectedError);
  });

  it('Keycloak unavailable (503): ProviderUnavailableError', async () => {
    keycloak.failNextWith = 503;
    await expect(publicClient.logoutWithRefreshToken(keycloak.issueRefreshToken('spa'))).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});
