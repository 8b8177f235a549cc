/**
 * Self-check of the in-process test OP: Keycloak paths, PKCE login, JWT access tokens with
 * sid/azp, SSO across clients and back-channel logout to every client of the session.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHttpAgent } from '../support/http-client.js';
import { startTestOp, type TestOp } from '../support/test-op.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface ReceivedLogout {
  path: string;
  /** Epoch ms it arrived. */
  at: number;
  contentType: string | undefined;
  form: URLSearchParams;
}

/** A stand-in RP that only records back-channel logout POSTs and answers 200. */
async function startLogoutReceiver(): Promise<{ origin: string; received: ReceivedLogout[]; server: Server }> {
  const received: ReceivedLogout[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        at: Date.now(),
        contentType: req.headers['content-type'],
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      });
      res.setHeader('cache-control', 'no-store');
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, received, server };
}

describe('test OP (oidc-provider dressed as a Keycloak realm)', () => {
  let op: TestOp;
  let receiver: Awaited<ReturnType<typeof startLogoutReceiver>>;

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    op = await startTestOp({
      clients: [
        {
          clientId: 'app-one',
          clientSecret: 'app-one-secret',
          redirectUris: [`${receiver.origin}/one/callback`],
          postLogoutRedirectUris: [`${receiver.origin}/one/logged-out`],
          backchannelLogoutUri: `${receiver.origin}/one/backchannel-logout`,
        },
        {
          clientId: 'app-two',
          redirectUris: [`${receiver.origin}/two/callback`],
          backchannelLogoutUri: `${receiver.origin}/two/backchannel-logout`,
        },
        { clientId: 'app-plain', redirectUris: [`${receiver.origin}/plain/callback`] },
      ],
    });
  });

  afterAll(async () => {
    await op?.close();
    await new Promise<void>((resolve) => {
      receiver.server.closeAllConnections();
      receiver.server.close(() => resolve());
    });
  });

  it('serves discovery with Keycloak endpoint paths and an issuer equal to op.issuer', async () => {
    expect(op.issuer).toBe(`${op.origin}/realms/test`);
    const response = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    const base = `${op.issuer}/protocol/openid-connect`;
    expect(discovery).toMatchObject({
      issuer: op.issuer,
      authorization_endpoint: `${base}/auth`,
      token_endpoint: `${base}/token`,
      end_session_endpoint: `${base}/logout`,
      jwks_uri: `${base}/certs`,
      userinfo_endpoint: `${base}/userinfo`,
      revocation_endpoint: `${base}/revoke`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      code_challenge_methods_supported: ['S256'],
    });
    const jwks = (await (await fetch(`${base}/certs`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([op.signingKid]);
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it('logs in with PKCE and issues Keycloak-like tokens', async () => {
    const result = await op.login({
      clientId: 'app-one',
      username: 'alice',
      password: 'alice-password',
      extraTokenParams: { client_session_state: 'rp-session-1' },
    });

    const authorization = op.authorizationRequests.at(-1);
    expect(authorization).toMatchObject({ client_id: 'app-one', code_challenge_method: 'S256' });
    expect(authorization?.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(authorization?.nonce).toBeTruthy();
    expect(authorization?.state).toBeTruthy();
    const tokenRequest = op.tokenRequests.at(-1);
    expect(tokenRequest).toMatchObject({ grant_type: 'authorization_code', client_session_state: 'rp-session-1' });
    expect(tokenRequest?.code_verifier).toMatch(/^[\w-]{43,128}$/);

    const discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload: at, protectedHeader } = await jwtVerify(result.accessToken, jwks, {
      issuer: op.issuer,
      audience: 'account',
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: op.signingKid, typ: 'JWT' });
    expect(at).toMatchObject({ sub: 'user-alice', azp: 'app-one', typ: 'Bearer', preferred_username: 'alice' });
    expect(typeof at.iat).toBe('number');
    expect(at.exp).toBe((at.iat ?? 0) + 300);

    const { payload: id } = await jwtVerify(result.idToken, jwks, { issuer: op.issuer, audience: 'app-one', algorithms: ['RS256'] });
    expect(id.sid).toEqual(expect.any(String));
    expect(at.sid).toBe(id.sid);
    expect(result.sid).toBe(id.sid);
    expect(result.sub).toBe('user-alice');
    expect(result.refreshToken).toEqual(expect.any(String));
    expect(result.tokenResponse.session_state).toBe(id.sid);

    const userinfo = await fetch(`${op.issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${result.accessToken}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: 'user-alice', preferred_username: 'alice' });
  });

  it('puts sid into ID and access tokens of a client without a back-channel URI too', async () => {
    const result = await op.login({ clientId: 'app-plain', username: 'bob', password: 'bob-password' });
    expect(decodeJwt(result.accessToken).sid).toBe(result.sid);
  });

  it('refreshes with the refresh token and keeps sid', async () => {
    const first = await op.login({ clientId: 'app-one', username: 'bob', password: 'bob-password' });
    const response = await fetch(`${op.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('app-one:app-one-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.refreshToken ?? '' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string };
    expect(decodeJwt(body.access_token).sid).toBe(first.sid);
  });

  it('rejects a wrong password', async () => {
    await expect(op.login({ clientId: 'app-one', username: 'alice', password: 'nope' })).rejects.toThrow(/login as alice failed/);
  });

  it('shares one OP session between clients (SSO) and logs both out over the back-channel', async () => {
    const agent = createHttpAgent();
    const one = await op.login({ clientId: 'app-one', username: 'alice', password: 'alice-password', agent });
    // No password: this only succeeds through the OP session cookie.
    const two = await op.login({ clientId: 'app-two', username: 'alice', agent });
    expect(two.sub).toBe(one.sub);
    expect(agent.cookies(op.origin).has('_session')).toBe(true);
    // One Keycloak user session, one sid, whichever client asks (oidc-provider alone gives each its own).
    expect(two.sid).toBe(one.sid);
    expect(decodeJwt(two.accessToken).sid).toBe(one.sid);

    receiver.received.length = 0;
    op.backchannelResults.length = 0;
    const beforeLogout = Date.now();
    const { location } = await op.endSession({
      agent,
      idTokenHint: one.idToken,
      postLogoutRedirectUri: `${receiver.origin}/one/logged-out`,
    });
    expect(location).toBe(`${receiver.origin}/one/logged-out`);

    // The OP awaited its back-channel calls before redirecting, so they are all in.
    expect(op.backchannelResults).toEqual(
      expect.arrayContaining([
        { clientId: 'app-one', sub: 'user-alice', sid: one.sid, ok: true },
        { clientId: 'app-two', sub: 'user-alice', sid: two.sid, ok: true },
      ]),
    );
    expect(receiver.received.map((r) => r.path).sort()).toEqual(['/one/backchannel-logout', '/two/backchannel-logout']);

    // The OP noted where the logout came from before its first logout token went out.
    const origin = op.logoutOrigin({ sid: one.sid });
    expect(origin).toEqual({ initiatedBy: 'app-one', sid: one.sid, sub: 'user-alice', at: expect.any(Number) });
    expect(origin!.at).toBeGreaterThanOrEqual(beforeLogout);
    expect(origin!.at).toBeLessThanOrEqual(Math.min(...receiver.received.map((r) => r.at)));
    expect(op.logoutOrigin({ sub: 'user-alice' })).toEqual(origin);

    const jwks = createRemoteJWKSet(new URL(`${op.issuer}/protocol/openid-connect/certs`));
    for (const [clientId, login] of [['app-one', one], ['app-two', two]] as const) {
      const request = receiver.received.find((r) => r.path === `/${clientId.slice(4)}/backchannel-logout`);
      expect(request?.contentType).toBe('application/x-www-form-urlencoded');
      const logoutToken = request?.form.get('logout_token') ?? '';
      expect(decodeProtectedHeader(logoutToken)).toMatchObject({ alg: 'RS256', typ: 'logout+jwt', kid: op.signingKid });
      const { payload } = await jwtVerify(logoutToken, jwks, { issuer: op.issuer, audience: clientId, algorithms: ['RS256'] });
      expect(payload).toMatchObject({ sub: 'user-alice', sid: login.sid, aud: clientId, events: { [BACKCHANNEL_EVENT]: {} } });
      expect(payload.nonce).toBeUndefined();
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.exp).toEqual(expect.any(Number));
    }

    // The session is gone: the same browser has to log in again, and the old access token is dead.
    await expect(op.login({ clientId: 'app-two', username: 'alice', agent })).rejects.toThrow(/asked for credentials/);
    const userinfo = await fetch(`${op.issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${one.accessToken}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('gives each new SSO session its own sid', async () => {
    const first = await op.login({ clientId: 'app-one', username: 'alice', password: 'alice-password' });
    const second = await op.login({ clientId: 'app-one', username: 'alice', password: 'alice-password' });
    expect(second.sid).not.toBe(first.sid);
    expect(first.sid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('reports a logout made at the OP itself as started by no client', async () => {
    const agent = createHttpAgent();
    const login = await op.login({ clientId: 'app-two', username: 'bob', password: 'bob-password', agent });
    op.backchannelResults.length = 0;
    await op.endSession({ agent });
    expect(op.backchannelResults).toEqual([{ clientId: 'app-two', sub: 'user-bob', sid: login.sid, ok: true }]);
    const origin = op.logoutOrigin({ sid: login.sid });
    expect(origin).toEqual({ sid: login.sid, sub: 'user-bob', at: expect.any(Number) });
    expect(origin?.initiatedBy).toBeUndefined();
  });

  it('knows no origin for a session it never logged out', async () => {
    expect(op.logoutOrigin({ sid: 'never-logged-out' })).toBeUndefined();
    expect(op.logoutOrigin({ sub: 'user-nobody' })).toBeUndefined();
    expect(op.logoutOrigin({})).toBeUndefined();
  });

  it('drives an RP-started authorization request to the RP callback', async () => {
    const agent = createHttpAgent();
    const url = new URL(`${op.issuer}/protocol/openid-connect/auth`);
    url.search = new URLSearchParams({
      client_id: 'app-two',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${receiver.origin}/two/callback`,
      state: 'rp-state',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const { callbackUrl } = await op.authorize({ agent, url: url.href, username: 'bob', password: 'bob-password' });
    const callback = new URL(callbackUrl);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${receiver.origin}/two/callback`);
    expect(callback.searchParams.get('state')).toBe('rp-state');
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(op.issuer);
  });

  it('rejects an authorization request without PKCE', async () => {
    const agent = createHttpAgent();
    const url = new URL(`${op.issuer}/protocol/openid-connect/auth`);
    url.search = new URLSearchParams({
      client_id: 'app-one',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${receiver.origin}/one/callback`,
    }).toString();
    const response = await agent.request(url.href);
    const error = new URL(response.location ?? '').searchParams;
    expect(error.get('error')).toBe('invalid_request');
    expect(error.get('error_description')).toMatch(/PKCE/);
  });

  it('lets tests sign crafted tokens with the OP key', async () => {
    const jwk = op.privateJwks.keys[0]!;
    const key = await importJWK(jwk, 'RS256');
    const token = await new SignJWT({ events: { [BACKCHANNEL_EVENT]: {} }, sid: 'crafted' })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: jwk.kid })
      .setIssuer(op.issuer)
      .setAudience('app-one')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('crafted-jti')
      .sign(key);
    const jwks = createRemoteJWKSet(new URL(`${op.issuer}/protocol/openid-connect/certs`));
    const { payload } = await jwtVerify(token, jwks, { issuer: op.issuer, audience: 'app-one' });
    expect(payload.sid).toBe('crafted');
  });

  it('accepts clients registered after start (e.g. once the RP knows its port)', async () => {
    await op.registerClient({ clientId: 'late', redirectUris: [`${receiver.origin}/late/callback`] });
    const result = await op.login({ clientId: 'late', username: 'alice', password: 'alice-password' });
    expect(decodeJwt(result.accessToken).azp).toBe('late');
  });
});
