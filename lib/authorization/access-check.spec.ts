import { describe, expect, it } from 'vitest';
import { checkAccess } from './access-check.js';
import { toRequirement } from './access-requirement.js';

/** Claims as Keycloak writes them into an access token for client `shop` (TokenManager, role mappers). */
const keycloakClaims = {
  sub: 'alice',
  azp: 'shop',
  scope: 'openid profile email orders:read',
  realm_access: { roles: ['offline_access', 'uma_authorization', 'staff'] },
  resource_access: { shop: { roles: ['editor'] }, account: { roles: ['manage-account'] } },
};

const roles = (...names: string[]) => ({ roles: toRequirement('roles', names) });

describe('checkAccess', () => {
  it('reads realm roles (realm:x), this client\'s roles (x) and other clients\' roles (client:x)', () => {
    expect(checkAccess(keycloakClaims, roles('realm:staff'), 'shop')).toBeUndefined();
    expect(checkAccess(keycloakClaims, roles('editor'), 'shop')).toBeUndefined();
    expect(checkAccess(keycloakClaims, roles('account:manage-account'), 'shop')).toBeUndefined();
    // A realm role is not a client role, nor the other way round.
    expect(checkAccess(keycloakClaims, roles('staff'), 'shop')).toBe('missing_role');
    expect(checkAccess(keycloakClaims, roles('realm:editor'), 'shop')).toBe('missing_role');
    // A bare name is a role of *this* client: another app's editor role does not count.
    expect(checkAccess(keycloakClaims, roles('editor'), 'other-app')).toBe('missing_role');
  });

  it('any-of by default, all-of on request (also in nest-keycloak-connect\'s { roles, mode } form)', () => {
    expect(checkAccess(keycloakClaims, roles('admin', 'editor'), 'shop')).toBeUndefined();
    expect(checkAccess(keycloakClaims, { roles: toRequirement('roles', [{ roles: ['admin', 'editor'], match: 'all' }]) }, 'shop')).toBe('missing_role');
    expect(checkAccess(keycloakClaims, { roles: toRequirement('roles', [{ roles: ['realm:staff', 'editor'], mode: 'ALL' }]) }, 'shop')).toBeUndefined();
  });

  it('checks scopes against the space-separated scope claim', () => {
    expect(checkAccess(keycloakClaims, { scopes: toRequirement('scopes', ['orders:read']) }, 'shop')).toBeUndefined();
    expect(checkAccess(keycloakClaims, { scopes: toRequirement('scopes', ['orders:write']) }, 'shop')).toBe('missing_scope');
    expect(checkAccess(keycloakClaims, { scopes: toRequirement('scopes', [{ scopes: ['openid', 'orders:write'], match: 'all' }]) }, 'shop')).toBe('missing_scope');
    // "orders" is not "orders:read": whole scope tokens only.
    expect(checkAccess(keycloakClaims, { scopes: toRequirement('scopes', ['orders']) }, 'shop')).toBe('missing_scope');
  });

  it('says when the token carries no roles at all (a lightweight access token) instead of "missing role"', () => {
    const lightweight = { azp: 'shop', sid: 'kc-1', scope: 'openid' };
    expect(checkAccess(lightweight, roles('editor'), 'shop')).toBe('no_roles_in_token');
    // Scopes alone still work with lightweight tokens.
    expect(checkAccess(lightweight, { scopes: toRequirement('scopes', ['openid']) }, 'shop')).toBeUndefined();
  });

  it('ignores malformed role claims instead of trusting them', () => {
    const odd = { realm_access: { roles: 'staff' }, resource_access: { shop: { roles: [1, null, 'editor'] } } };
    expect(checkAccess(odd, roles('realm:staff'), 'shop')).toBe('missing_role');
    expect(checkAccess(odd, roles('editor'), 'shop')).toBeUndefined();
  });

  it('refuses an empty or malformed requirement when the decorator is applied', () => {
    expect(() => toRequirement('roles', [])).toThrow(/one or more non-empty names/);
    expect(() => toRequirement('roles', [' '])).toThrow(/non-empty/);
    expect(() => toRequirement('scopes', [{ scopes: ['a'], match: 'some' as never }])).toThrow(/"any" or "all"/);
  });
});
