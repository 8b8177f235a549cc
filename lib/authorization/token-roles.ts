import { isPlainObject } from '../tokens/token-rules.js';

/**
 * The roles and scopes an access token grants, read the way Keycloak writes them: realm roles
 * in `realm_access.roles`, client roles in `resource_access[clientId].roles`, scopes in the
 * space-separated `scope` claim (docs/keycloak-protocol.md §6).
 */
export interface TokenGrants {
  realmRoles: ReadonlySet<string>;
  clientRoles: ReadonlyMap<string, ReadonlySet<string>>;
  scopes: ReadonlySet<string>;
  /** Neither `realm_access` nor `resource_access` is present: a lightweight access token, or a client without role mappers. */
  carriesNoRoles: boolean;
}

function roleSet(value: unknown): Set<string> {
  const roles = isPlainObject(value) ? value.roles : undefined;
  return new Set(Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : []);
}

export function grantsOf(claims: Record<string, unknown>): TokenGrants {
  const clientRoles = new Map<string, Set<string>>();
  const resourceAccess = claims.resource_access;
  if (isPlainObject(resourceAccess)) {
    for (const [client, access] of Object.entries(resourceAccess)) clientRoles.set(client, roleSet(access));
  }
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  return {
    realmRoles: roleSet(claims.realm_access),
    clientRoles,
    scopes: new Set(scope),
    carriesNoRoles: claims.realm_access === undefined && claims.resource_access === undefined,
  };
}

/**
 * Whether the token grants one role, named as keycloak-connect names them: `realm:name` for a
 * realm role, `client:name` for a role of another client, a bare `name` for a role of this
 * app's own client (`clientId`).
 */
export function hasRole(grants: TokenGrants, role: string, clientId: string): boolean {
  const separator = role.indexOf(':');
  if (separator === -1) return grants.clientRoles.get(clientId)?.has(role) === true;
  const owner = role.slice(0, separator);
  const name = role.slice(separator + 1);
  if (owner === 'realm') return grants.realmRoles.has(name);
  return grants.clientRoles.get(owner)?.has(name) === true;
}
