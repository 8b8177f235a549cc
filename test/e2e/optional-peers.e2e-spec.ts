import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FakeRealm } from '../support/fake-realm.js';
import { keycloakAccessToken } from '../support/keycloak-access-token.js';

const root = join(import.meta.dirname, '..', '..');

/*
 * The GraphQL, WebSocket and microservice packages are optional peers: an HTTP-only app runs the
 * built library with every one of them impossible to load (test/fixtures/http-only-app.js).
 */
describe('an HTTP-only app needs none of the optional context packages', () => {
  it('guards admit, refuse and see revocations with graphql, @nestjs/graphql, @nestjs/websockets and @nestjs/microservices unloadable', async () => {
    expect(existsSync(join(root, 'dist', 'index.js')), 'build the library first: npm run build').toBe(true);
    const realm = await FakeRealm.start();
    try {
      const sid = 'http-only-sid';
      const token = await keycloakAccessToken(realm, { clientId: 'app-http', sub: 'alice', sid });
      const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'test', 'fixtures', 'http-only-app.js')], {
        env: { ...process.env, ISSUER: realm.issuer, CLIENT_ID: 'app-http', TOKEN: token, SID: sid },
        timeout: 30_000,
      });
      const results = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(results).toEqual({ valid: 200, missing: 401, open: 200, revoked: 401, blocked: 'optional peer loaded: graphql' });
    } finally {
      await realm.close();
    }
  });
});
