import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRealmKey, KeycloakTestRealm, type KeycloakTestRealmOptions, type RealmKey } from '../../lib/testing/index.js';
import { KeycloakTokenLogout } from './keycloak-token-logout.js';

export { createRealmKey, type RealmKey };

/**
 * The testing kit's realm (lib/testing, the `nestjs-keycloak-logout/testing` entry point) as this
 * project's tests use it: realm `demo` and key id `key-1` by default, plus Keycloak's token
 * logout (`POST …/protocol/openid-connect/logout` with a refresh token), which the kit leaves out.
 * Discovery, JWKS, signing, key rotation, fetch counters and the outage switches are the kit's,
 * so the project's tests exercise what users get.
 */
export class FakeRealm extends KeycloakTestRealm {
  /** `POST …/protocol/openid-connect/logout` with a refresh token: its clients, tokens and requests. */
  readonly tokenLogout = new KeycloakTokenLogout();

  static override async start(realm: string | KeycloakTestRealmOptions = 'demo'): Promise<FakeRealm> {
    const fake = new FakeRealm({ keyId: 'key-1', ...(typeof realm === 'string' ? { realm } : realm) });
    await fake.open();
    return fake;
  }

  protected override handleOther(request: IncomingMessage, response: ServerResponse, path: string): boolean {
    if (request.method !== 'POST' || path !== '/protocol/openid-connect/logout') return false;
    void this.tokenLogout.handle(request, response);
    return true;
  }
}
