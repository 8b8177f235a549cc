/**
 * What the browser flows refuse, each with a clear JSON error and nothing signed in: unsafe
 * return paths and post-logout redirect URIs (open redirect), a callback without or with a
 * wrong `state`, a replayed callback or authorization code, a tampered or foreign ID token,
 * a mix-up `iss`, and the OP's own error answers.
 */
import { exportJWK, generateKeyPair, importJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SessionRegistry } from '../../lib/index.js';
import { createHttpAgent, type HttpAgent } from '../support/http-client.js';
import { startTestOp, type TestOp } from '../support/test-op.js';
import { startSessionApp, type SessionApp } from './login-session-app.js';

const ALICE = { username: 'alice', password: 'alice-password' };

describe('login and logout refusals', () => {
  let op: TestOp;
  let app: SessionApp;
  /** When set, rewrites the ID token in the token responses the app receives (a man in the middle of the code exchange). */
  let tamper: ((idToken: string) => Promise<string>) | undefined;
  const originalFetch = globalThis.fetch;

  beforeAll(async () => {
    op = await startTestOp({ clients: [] });
    const tokenEndpoint = `${op.issuer}/protocol/openid-connect/token`;
    globalThis.fetch = async (input, init) => {
      const response = await originalFetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!tamper || url !== tokenEndpoint || response.status !== 200) return response;
      const body = (await response.json()) as Record<string, unknown>;
      body.id_token = await tamper(body.id_token as string);
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    app = await startSessionApp((url) => ({
      issuer: op.issuer,
      clientId: 'app-a',
      clientSecret: 'app-a-secret',
      publicUrl: url,
      routes: { login: true, logout: true },
    }));
    await op.registerClient({
      clientId: 'app-a',
      clientSecret: 'app-a-secret',
      redirectUris: [`${app.url}/auth/callback`],
      postLogoutRedirectUris: [`${app.url}/auth/logout/return`],
    });
  });
  beforeEach(() => {
    tamper = undefined;
  });
  afterAll(async () => {
    globalThis.fetch = originalFetch;
    await app?.close();
    await op?.close();
  });

  const page = (agent: HttpAgent) => agent.request(`${app.url}/api/page`);

  /** Starts a login and lets the OP authenticate; returns the callback URL without opening it. */
  async function authorize(agent: HttpAgent, user: { username: string; password: string } | undefined = ALICE) {
    const start = await agent.request(`${app.url}/auth/login`);
    expect(start.status).toBe(302);
    const { callbackUrl } = await op.authorize({ agent, url: start.location!, ...(user ?? {}) });
    return new URL(callbackUrl);
  }

  async function expectError(response: { status: number; body: string; headers: Headers }, status: number, error: string, description: RegExp) {
    expect(response.status, response.body).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const json = JSON.parse(response.body) as { error: string; error_description: string };
    expect(json.error).toBe(error);
    expect(json.error_description).toMatch(description);
  }

  async function expectSignedOut(agent: HttpAgent) {
    const response = await page(agent);
    expect(response.status).toBe(401);
  }

  describe('open redirects', () => {
    const unsafe = [
      '//evil.example/',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '/.//evil.example',
      '/ok\r\nSet-Cookie: x=y',
      '/ok\tpath',
      ' /leading-space',
      'relative/path',
    ];

    it.each(unsafe)('login refuses returnTo %j before anything leaves for the OP', async (returnTo) => {
      const before = op.authorizationRequests.length;
      const response = await createHttpAgent().request(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      await expectError(response, 400, 'invalid_request', /"returnTo" /);
      expect(response.location).toBeUndefined();
      expect(op.authorizationRequests.length).toBe(before);
    });

    it('a safe returnTo survives the round trip; query and fragment are kept', async () => {
      const agent = createHttpAgent();
      const start = await agent.request(`${app.url}/auth/login?returnTo=${encodeURIComponent('/orders?id=7#top')}`);
      const { callbackUrl } = await op.authorize({ agent, url: start.location!, ...ALICE });
      expect((await agent.request(callbackUrl)).location).toBe(`${app.url}/orders?id=7#top`);
    });

    it('logout refuses an unsafe returnTo and a post_logout_redirect_uri outside the allow-list', async () => {
      const agent = createHttpAgent();
      await agent.request((await authorize(agent)).href);
      await expectError(await agent.request(`${app.url}/auth/logout?returnTo=${encodeURIComponent('//evil.example')}`), 400, 'invalid_request', /"returnTo"/);
      await expectError(
        await agent.request(`${app.url}/auth/logout?post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`),
        400,
        'invalid_request',
        /allow-list/,
      );
      const confirmation = await agent.request(`${app.url}/auth/logout`);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(confirmation.body)![1]!;
      await expectError(
        await agent.request(`${app.url}/auth/logout`, { form: { csrf_token: csrf, post_logout_redirect_uri: `${app.url}/auth/logout/return/../../evil` } }),
        400,
        'invalid_request',
        /allow-list/,
      );
      await expectError(await agent.request(`${app.url}/auth/logout`, { form: { csrf_token: csrf, returnTo: 'https://evil.example' } }), 400, 'invalid_request', /"returnTo"/);
      expect((await page(agent)).status).toBe(200); // nothing happened
    });
  });

  describe('state', () => {
    it('a callback without state is refused', async () => {
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      callback.searchParams.delete('state');
      await expectError(await agent.request(callback.href), 400, 'invalid_request', /no "state"/);
      await expectSignedOut(agent);
    });

    it('a callback with a wrong state is refused', async () => {
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      callback.searchParams.set('state', 'x'.repeat(43));
      await expectError(await agent.request(callback.href), 400, 'invalid_request', /does not match a login started in this browser/);
      await expectSignedOut(agent);
    });

    it('a callback opened in another browser (login CSRF) is refused', async () => {
      const attacker = createHttpAgent();
      const callback = await authorize(attacker);
      const victim = createHttpAgent();
      await victim.request(`${app.url}/auth/login`); // the victim has a session, but not this login
      await expectError(await victim.request(callback.href), 400, 'invalid_request', /does not match/);
      await expectSignedOut(victim);
    });

    it('state given twice is refused as malformed', async () => {
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      callback.searchParams.append('state', 'again');
      await expectError(await agent.request(callback.href), 400, 'invalid_request', /"state" must be given once/);
    });
  });

  describe('replay', () => {
    it('the same callback URL works once', async () => {
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      expect((await agent.request(callback.href)).status).toBe(302);
      const sessionId = app.sessionIdOf(agent);
      await expectError(await agent.request(callback.href), 400, 'invalid_request', /does not match a login started in this browser/);
      // The failed replay does not disturb the login that worked.
      expect(app.sessionIdOf(agent)).toBe(sessionId);
      expect((await page(agent)).status).toBe(200);
    });

    it('a stolen code under a fresh state of the attacker is refused by the OP (PKCE), with a clear error', async () => {
      const victim = createHttpAgent();
      const stolen = await authorize(victim);
      const attacker = createHttpAgent();
      const own = await authorize(attacker, undefined); // SSO-less: the attacker logs in too
      own.searchParams.set('code', stolen.searchParams.get('code')!);
      await expectError(await attacker.request(own.href), 400, 'invalid_grant', /the OP refused the authorization code \(the token endpoint answered 400 invalid_grant/);
      await expectSignedOut(attacker);
    }, 30_000);
  });

  describe('ID token', () => {
    const signed = async (idToken: string, changes: Record<string, unknown>) => {
      const jwk = op.privateJwks.keys[0]!;
      return new SignJWT({ ...decodeJwt(idToken), ...changes })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
        .sign(await importJWK(jwk, 'RS256'));
    };

    async function expectRefusedWith(transform: (idToken: string) => Promise<string>, status: number, error: string, description: RegExp) {
      tamper = transform;
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      const registry = app.app.get(SessionRegistry);
      await expectError(await agent.request(callback.href), status, error, description);
      await expectSignedOut(agent);
      expect(await registry.findByAdapterSessionId(app.sessionIdOf(agent) ?? 'none')).toBeUndefined();
    }

    it('a payload changed under the OP signature', async () => {
      await expectRefusedWith(
        async (idToken) => {
          const [header, payload, signature] = idToken.split('.');
          const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
          const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'user-bob' })).toString('base64url');
          return `${header}.${forged}.${signature}`;
        },
        401,
        'invalid_token',
        /ID token signature is invalid/,
      );
    });

    it('signed with a key the realm does not publish', async () => {
      await expectRefusedWith(
        async (idToken) => {
          const { privateKey, publicKey } = await generateKeyPair('RS256');
          const kid = (await exportJWK(publicKey)).n!.slice(0, 8);
          return new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
        },
        401,
        'invalid_token',
        /ID token is signed with a key the realm does not publish/,
      );
    });

    it('ID token with alg none', async () => {
      await expectRefusedWith(
        async (idToken) => {
          const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
          return `${header}.${idToken.split('.')[1]}.`;
        },
        401,
        'invalid_token',
        /ID token is not a compact JWS/,
      );
    });

    it('a validly signed ID token with another nonce (replayed from another login)', async () => {
      await expectRefusedWith((idToken) => signed(idToken, { nonce: 'another-login-nonce' }), 401, 'invalid_token', /nonce/);
    });

    it('a validly signed ID token for another audience', async () => {
      await expectRefusedWith((idToken) => signed(idToken, { aud: 'other-app' }), 401, 'invalid_token', /not intended for this relying party|"aud"/);
    });

    it('a validly signed logout token passed off as an ID token', async () => {
      await expectRefusedWith(
        (idToken) => signed(idToken, { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }),
        401,
        'invalid_token',
        /a logout token is not an ID token/,
      );
    });

    it('the untampered token still logs in (control)', async () => {
      tamper = async (idToken) => {
        expect(decodeProtectedHeader(idToken).alg).toBe('RS256');
        return idToken;
      };
      const agent = createHttpAgent();
      expect((await agent.request((await authorize(agent)).href)).status).toBe(302);
      expect((await page(agent)).status).toBe(200);
    });
  });

  describe('other callbacks', () => {
    it('an error answered by the OP (the user denied access)', async () => {
      const agent = createHttpAgent();
      await agent.request(`${app.url}/auth/login`);
      await expectError(
        await agent.request(`${app.url}/auth/callback?error=access_denied&error_description=${encodeURIComponent('User denied\u0000 access')}`),
        403,
        'access_denied',
        /the OP denied the login: User denied {2}access/,
      );
    });

    it('an authorization response from another issuer (RFC 9207 mix-up)', async () => {
      const agent = createHttpAgent();
      const callback = await authorize(agent);
      callback.searchParams.set('iss', 'https://evil.example/realms/test');
      await expectError(await agent.request(callback.href), 400, 'invalid_request', /issued by another OP/);
      await expectSignedOut(agent);
    });

    it('a callback with neither code nor error, and a login route given a code', async () => {
      const agent = createHttpAgent();
      await expectError(await agent.request(`${app.url}/auth/callback`), 400, 'invalid_request', /neither "code" nor "error"/);
      await expectError(await agent.request(`${app.url}/auth/login?code=abc&state=def`), 400, 'invalid_request', /does not take "code"/);
    });
  });
});

describe('login with a wrong client secret', () => {
  it('the code exchange refusal is reported as a client authentication error, not a user error', async () => {
    const op = await startTestOp({ clients: [] });
    const app = await startSessionApp((url) => ({ issuer: op.issuer, clientId: 'app-c', clientSecret: 'wrong', publicUrl: url, routes: { login: true } }));
    try {
      await op.registerClient({ clientId: 'app-c', clientSecret: 'right', redirectUris: [`${app.url}/auth/callback`] });
      const agent = createHttpAgent();
      const start = await agent.request(`${app.url}/auth/login`);
      const { callbackUrl } = await op.authorize({ agent, url: start.location!, ...ALICE });
      const response = await agent.request(callbackUrl);
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body)).toEqual({
        error: 'server_error',
        error_description: expect.stringMatching(/the OP refused this client's credentials \(the token endpoint answered 401 invalid_client.*\); check clientId and clientSecret/),
      });
    } finally {
      await app.close();
      await op.close();
    }
  });
});
