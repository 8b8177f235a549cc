import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const realm = JSON.parse(readFileSync(join(root, 'sample', 'keycloak', 'realm-demo.json'), 'utf8'));
const compose = readFileSync(join(root, 'sample', 'keycloak', 'docker-compose.yml'), 'utf8');

/**
 * Keycloak cannot be imported here, so the realm export is checked against the fields of
 * Keycloak's RealmRepresentation / ClientRepresentation and the client attributes the logout
 * paths depend on (docs/keycloak-protocol.md §1.3, §2.3, §4.1, §5).
 */
describe('sample/keycloak/realm-demo.json', () => {
  it('is a realm named demo with the two sample clients and two users', () => {
    expect(realm.realm).toBe('demo');
    expect(realm.enabled).toBe(true);
    expect(realm.clients.map((c: any) => c.clientId)).toEqual(['app-a', 'app-b']);
    expect(realm.users.map((u: any) => u.username)).toEqual(['alice', 'bob']);
    for (const user of realm.users) {
      expect(user.enabled).toBe(true);
      expect(user.credentials).toEqual([{ type: 'password', value: `${user.username}-password`, temporary: false }]);
    }
  });

  it.each([
    ['app-a', 3000],
    ['app-b', 3001],
  ])('%s is set up for back-channel logout and the Admin URL', (clientId, port) => {
    const client = realm.clients.find((c: any) => c.clientId === clientId);
    const browser = `http://localhost:${port}`;
    const server = `http://host.docker.internal:${port}`;
    expect(client).toMatchObject({
      protocol: 'openid-connect',
      publicClient: false,
      secret: `${clientId}-secret`,
      standardFlowEnabled: true,
      // Front channel logout ON would silently disable back-channel logout (Keycloak #15058).
      frontchannelLogout: false,
      rootUrl: browser,
      redirectUris: [`${browser}/auth/callback`],
      // Keycloak appends /k_logout, /k_push_not_before, /k_test_available.
      adminUrl: `${server}/auth`,
    });
    // Client attributes are strings in Keycloak's representation, "true"/"false" included.
    expect(client.attributes).toMatchObject({
      'backchannel.logout.url': `${server}/auth/backchannel-logout`,
      'backchannel.logout.session.required': 'true',
      'post.logout.redirect.uris': `${browser}/auth/logout/return`,
      'pkce.code.challenge.method': 'S256',
    });
    for (const value of Object.values(client.attributes)) expect(typeof value).toBe('string');
  });

  it('matches what the demo registers at its embedded identity provider', () => {
    const demo = readFileSync(join(root, 'sample', 'src', 'start-demo.ts'), 'utf8');
    expect(demo).toContain("clientSecret: `${app.name}-secret`");
    expect(demo).toContain('/auth/backchannel-logout');
    expect(demo).toContain('/auth/logout/return');
  });

  it('is mounted for import by the docker-compose file', () => {
    expect(compose).toContain('--import-realm');
    expect(compose).toContain('./realm-demo.json:/opt/keycloak/data/import/realm-demo.json');
    expect(compose).toContain('host.docker.internal:host-gateway');
  });
});
