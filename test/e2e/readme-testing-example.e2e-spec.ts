// The README's "Testing your app" example, verbatim but for the two import paths (see
// readme-examples.e2e-spec.ts, which holds the README to this file).
import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentToken, KeycloakBearerGuard, Roles, type AccessTokenClaims } from '../../lib/index.js';
import { createKeycloakTestingModule, KeycloakTestRealm } from '../../lib/testing/index.js';

@Controller('orders')
@UseGuards(KeycloakBearerGuard)
class OrdersController {
  @Get()
  list(@CurrentToken() token: AccessTokenClaims) {
    return { owner: token.sub };
  }

  @Get('all')
  @Roles('realm:staff')
  all() {
    return { scope: 'all' };
  }
}

describe('orders API and Keycloak logouts', () => {
  let realm: KeycloakTestRealm;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    // Discovery and keys on a free loopback port; tokens for client "orders-api".
    realm = await KeycloakTestRealm.start({ clientId: 'orders-api' });
    const moduleRef = await createKeycloakTestingModule(realm, { controllers: [OrdersController] });
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
    await realm.close();
  });

  const getOrders = (token: string) => fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });

  it('refuses a session\'s token once Keycloak logs the session out', async () => {
    const token = await realm.accessToken({ sub: 'alice', sid: 'session-1' });
    expect((await getOrders(token)).status).toBe(200);

    const logout = await realm.backchannelLogout(url, { sub: 'alice', sid: 'session-1' });
    expect(logout.status).toBe(200);

    expect((await getOrders(token)).status).toBe(401);
  });

  it('refuses every older token after "Sign out all active sessions" (k_logout)', async () => {
    const token = await realm.accessToken({ sub: 'bob', sid: 'session-2', iat: Math.floor(Date.now() / 1000) - 10 });
    expect((await getOrders(token)).status).toBe(200);

    expect((await realm.kLogout(url)).status).toBe(200);

    expect((await getOrders(token)).status).toBe(401);
  });

  it('answers 403 without the realm role a route asks for', async () => {
    const get = async (token: string) => fetch(`${url}/orders/all`, { headers: { authorization: `Bearer ${token}` } });
    expect((await get(await realm.accessToken({ sub: 'carol', sid: 'session-3' }))).status).toBe(403);
    expect((await get(await realm.accessToken({ sub: 'carol', sid: 'session-3', realmRoles: ['staff'] }))).status).toBe(200);
  });
});
