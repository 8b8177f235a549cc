/**
 * @Roles() and @Scopes() on real routes, through the bearer and session guards, with
 * Keycloak-shaped tokens: realm roles in realm_access, client roles in resource_access, scopes
 * in scope. Authenticated but not allowed is 403 (not 401), with a body naming no claim value.
 */
import { Controller, Get, UseGuards } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakBearerGuard, KeycloakLogoutModule, KeycloakSessionGuard, Roles, Scopes } from '../../lib/index.js';
import { nowSeconds } from '../support/clock.js';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';
import { ADAPTERS, startTestApp, type TestApp } from '../support/test-app.js';

const CLIENT = 'shop';

@Controller('shop')
@UseGuards(KeycloakBearerGuard)
class ShopController {
  @Get('orders')
  @Roles('realm:staff', 'editor')
  orders() {
    return { ok: 'orders' };
  }

  @Get('admin')
  @Roles({ roles: ['realm:staff', 'admin'], match: 'all' })
  admin() {
    return { ok: 'admin' };
  }

  @Get('reports')
  @Scopes('reports:read')
  reports() {
    return { ok: 'reports' };
  }
}

@Controller('page')
@UseGuards(KeycloakSessionGuard)
@Roles('editor')
class EditorPageController {
  @Get()
  page() {
    return { ok: 'page' };
  }
}

describe.each(ADAPTERS)('roles and scopes (%s)', (adapter) => {
  let realm: FakeRealm;
  let test: TestApp;

  const token = (extra: Record<string, unknown>) => keycloakAccessToken(realm, { clientId: CLIENT, sub: 'alice', sid: 'kc-roles', extra });
  const get = async (path: string, bearer: string) => fetch(`${test.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });

  beforeAll(async () => {
    realm = await FakeRealm.start();
    test = await startTestApp(adapter, KeycloakLogoutModule.forRoot({ issuer: realm.issuer, clientId: CLIENT }), { controllers: [ShopController, EditorPageController] });
  });
  afterAll(async () => {
    await test?.close();
    await realm?.close();
  });

  it('lets in a token with any one of the roles (a realm role, or a role of this client)', async () => {
    expect((await get('/shop/orders', await token({ realm_access: { roles: ['staff'] } }))).status).toBe(200);
    expect((await get('/shop/orders', await token({ resource_access: { shop: { roles: ['editor'] } } }))).status).toBe(200);
  });

  it('refuses with 403 access_denied a valid token without the role, naming no claim value', async () => {
    const response = await get('/shop/orders', await token({ realm_access: { roles: ['secret-role-x'] }, resource_access: { other: { roles: ['editor'] } } }));
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ error: 'access_denied', error_description: 'the access token lacks a role this route requires' });
    expect(body).not.toContain('secret-role-x');
  });

  it('needs every role with match "all"', async () => {
    expect((await get('/shop/admin', await token({ realm_access: { roles: ['staff'] } }))).status).toBe(403);
    expect((await get('/shop/admin', await token({ realm_access: { roles: ['staff'] }, resource_access: { shop: { roles: ['admin'] } } }))).status).toBe(200);
  });

  it('checks scopes: 403 insufficient_scope without it', async () => {
    expect((await get('/shop/reports', await token({ scope: 'openid reports:read' }))).status).toBe(200);
    const refused = await get('/shop/reports', await token({ scope: 'openid profile' }));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'insufficient_scope', error_description: 'the access token lacks a scope this route requires' });
  });

  it('says so when a lightweight access token carries no roles at all', async () => {
    const refused = await get('/shop/orders', await token({ sub: undefined, aud: undefined }));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'access_denied', error_description: expect.stringMatching(/carries none \(a lightweight access token\?\)/) });
  });

  it('authentication comes first: no token is 401, not 403', async () => {
    expect((await fetch(`${test.url}/shop/orders`)).status).toBe(401);
  });

  it('the session guard checks the roles of the access token stored at login', async () => {
    const now = nowSeconds();
    test.sessions.set('editor-session', { keycloak: { sub: 'alice', sid: 'kc-s1', issuedAt: now, accessToken: await token({ resource_access: { shop: { roles: ['editor'] } } }) } });
    test.sessions.set('reader-session', { keycloak: { sub: 'bob', sid: 'kc-s2', issuedAt: now, accessToken: await token({ resource_access: { shop: { roles: ['reader'] } } }) } });
    expect((await fetch(`${test.url}/page`, { headers: { 'x-test-session': 'editor-session' } })).status).toBe(200);
    expect((await fetch(`${test.url}/page`, { headers: { 'x-test-session': 'reader-session' } })).status).toBe(403);
  });
});
