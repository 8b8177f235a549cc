/**
 * DEMO_CLIENTS: the demo's identity provider registers a developer's own apps as extra clients
 * (sample/idp/demo-clients.ts). The demo as `npm start` runs it (sample/dist/src/demo.js), an
 * extra app built with the library on another port, a sign-in to that app's client at the
 * demo's IdP, a logout at the IdP, and the extra app receiving the back-channel logout.
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakLogoutModule, RevocationService, type LogoutEvent } from '../../lib/index.js';
import { parseDemoClients } from '../../sample/idp/demo-clients.js';
import { freePort } from '../support/free-port.js';
import { TestApiController } from '../support/test-app.js';
import { flowDrivers } from '../support/test-op.js';

const root = join(import.meta.dirname, '..', '..');
const demoMain = join(root, 'sample', 'dist', 'src', 'demo.js');

describe('DEMO_CLIENTS parsing', () => {
  it('reads client ids and app URLs, with the module\'s default route prefix or a given back-channel URL', () => {
    expect(parseDemoClients(undefined)).toEqual([]);
    expect(parseDemoClients('  ')).toEqual([]);
    const [api, shop] = parseDemoClients(' my-api:http://localhost:4000/ , shop.v2:https://shop.example:8443/base/keycloak/backchannel-logout');
    expect(api).toEqual({
      clientId: 'my-api',
      clientSecret: 'my-api-secret',
      appUrl: 'http://localhost:4000',
      backchannelLogoutUri: 'http://localhost:4000/auth/backchannel-logout',
      redirectUris: ['http://localhost:4000/auth/callback'],
      postLogoutRedirectUris: ['http://localhost:4000/auth/logout/return'],
    });
    expect(shop).toMatchObject({
      clientId: 'shop.v2',
      backchannelLogoutUri: 'https://shop.example:8443/base/keycloak/backchannel-logout',
      redirectUris: ['https://shop.example:8443/base/keycloak/callback'],
      postLogoutRedirectUris: ['https://shop.example:8443/base/keycloak/logout/return'],
    });
  });

  it.each([
    ['no URL', 'my-api', /"my-api" is not <client-id>:<app URL>/],
    ['an empty entry', 'my-api:http://localhost:4000,', /an entry is empty/],
    ['a bad client id', 'my api:http://localhost:4000', /"my api" is not a client id/],
    ['an empty client id', ':http://localhost:4000', /"" is not a client id/],
    ['a URL without scheme', 'my-api:localhost:4000', /"my-api:localhost:4000" is not <client-id>:<app URL>/],
    ['"=" for ":"', 'my-api=http://localhost:4000', /"my-api=http:\/\/localhost:4000" is not <client-id>:<app URL>/],
    ['a URL that is no URL', 'my-api:http://exa mple.com', /the URL of my-api, "http:\/\/exa mple.com", is not an absolute URL/],
    ['another scheme', 'my-api:ftp://localhost:4000', /must be http or https, got ftp:/],
    ['a query', 'my-api:http://localhost:4000/?a=1', /no query, fragment or credentials/],
    ['credentials', 'my-api:http://user:pw@localhost:4000', /no query, fragment or credentials/],
    ['a duplicate', 'x:http://localhost:1,x:http://localhost:2', /x is listed twice/],
    ['a demo client id', 'app-a:http://localhost:4000', /app-a is one of the demo's own clients/],
  ])('refuses %s, naming DEMO_CLIENTS', (_case, value, reason) => {
    expect(() => parseDemoClients(value, ['app-a', 'app-b'])).toThrow(/^DEMO_CLIENTS: /);
    expect(() => parseDemoClients(value, ['app-a', 'app-b'])).toThrow(reason);
  });
});

interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(env: Record<string, string>): Demo {
  let output = '';
  const child = spawn(process.execPath, [demoMain], { env: { ...process.env, OIDC_ISSUER: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo || demo.child.exitCode !== null || demo.child.signalCode !== null) return;
  demo.child.kill('SIGTERM');
  await demo.exited;
}

describe('the demo with DEMO_CLIENTS', () => {
  let demo: Demo | undefined;
  let app: INestApplication | undefined;
  const ports = { idp: 0, a: 0, b: 0, api: 0 };
  const events: LogoutEvent[] = [];
  const issuer = () => `http://localhost:${ports.idp}/realms/demo`;
  const apiUrl = () => `http://localhost:${ports.api}`;

  beforeAll(async () => {
    expect(existsSync(demoMain), 'build the sample first: npm run sample:build').toBe(true);
    for (const name of ['idp', 'a', 'b', 'api'] as const) ports[name] = await freePort();
    demo = startDemo({
      IDP_PORT: String(ports.idp),
      APP_A_PORT: String(ports.a),
      APP_B_PORT: String(ports.b),
      DEMO_CLIENTS: `my-api:${apiUrl()}`,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${demo!.output()}`)), 30_000);
      const poll = setInterval(() => {
        if (!demo!.output().includes('demo ready')) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 50);
      void demo!.exited.then((code) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`demo exited with ${code}:\n${demo!.output()}`));
      });
    });

    // The developer's own app: the library with the demo's realm, its client id and its port.
    @Module({ imports: [KeycloakLogoutModule.forRoot({ issuer: issuer(), clientId: 'my-api' })], controllers: [TestApiController] })
    class MyApiModule {}
    app = await NestFactory.create(MyApiModule, { logger: false });
    app.get(RevocationService).onLogout((event) => {
      events.push(event);
    });
    await app.listen(ports.api, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await stopDemo(demo);
  });

  it('prints the extra client with its secret and back-channel URL', () => {
    expect(demo!.output()).toContain(`my-api             ${apiUrl()}   (DEMO_CLIENTS: secret my-api-secret, back-channel logout ${apiUrl()}/auth/backchannel-logout)`);
  });

  it('signs in to the extra client, and the extra app receives the back-channel logout when the user logs out at the IdP', async () => {
    const idp = flowDrivers({
      origin: `http://localhost:${ports.idp}`,
      endpoints: {
        authorization: `${issuer()}/protocol/openid-connect/auth`,
        token: `${issuer()}/protocol/openid-connect/token`,
        end_session: `${issuer()}/protocol/openid-connect/logout`,
        jwks: `${issuer()}/protocol/openid-connect/certs`,
        userinfo: `${issuer()}/protocol/openid-connect/userinfo`,
        revocation: `${issuer()}/protocol/openid-connect/revoke`,
      },
      // What DEMO_CLIENTS registered: the secret and the redirect URI under the default prefix.
      clientConfig: (clientId) => (clientId === 'my-api' ? { clientId, clientSecret: 'my-api-secret', redirectUris: [`${apiUrl()}/auth/callback`] } : undefined),
    });
    const login = await idp.login({ clientId: 'my-api', username: 'alice', password: 'alice-password' });
    const me = () => fetch(`${apiUrl()}/api/me`, { headers: { authorization: `Bearer ${login.accessToken}` } });
    const before = await me();
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({ sub: 'user-alice', sid: login.sid, client: 'my-api' });
    expect(events).toEqual([]);

    // The IdP awaits its back-channel calls before it redirects.
    await idp.endSession({ agent: login.agent, idTokenHint: login.idToken });

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ revocation: { type: 'sid', sid: login.sid, source: 'backchannel-logout' } });
    const after = await me();
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'invalid_token', error_description: 'access token has been revoked (sid)' });
  });

  it('refuses a redirect URI DEMO_CLIENTS did not register for the client', async () => {
    const idp = flowDrivers({
      origin: `http://localhost:${ports.idp}`,
      endpoints: { authorization: `${issuer()}/protocol/openid-connect/auth` } as never,
      clientConfig: (clientId) => ({ clientId, clientSecret: 'my-api-secret', redirectUris: [`${apiUrl()}/elsewhere`] }),
    });
    await expect(idp.login({ clientId: 'my-api', username: 'alice', password: 'alice-password' })).rejects.toThrow(/unexpected OP response 400/);
  });
});

describe('the demo with an invalid DEMO_CLIENTS', () => {
  it('stops at start-up with an error naming DEMO_CLIENTS, before the IdP listens', async () => {
    expect(existsSync(demoMain), 'build the sample first: npm run sample:build').toBe(true);
    const idpPort = await freePort();
    const demo = startDemo({ IDP_PORT: String(idpPort), APP_A_PORT: String(await freePort()), APP_B_PORT: String(await freePort()), DEMO_CLIENTS: 'my-api=http://localhost:4000' });
    try {
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toMatch(/^DEMO_CLIENTS: "my-api=http:\/\/localhost:4000" is not <client-id>:<app URL>/m);
      expect(demo.output()).not.toContain('demo ready');
      await expect(fetch(`http://127.0.0.1:${idpPort}/realms/demo/.well-known/openid-configuration`)).rejects.toThrow();
    } finally {
      await stopDemo(demo);
    }
  });
});
