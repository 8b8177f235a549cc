import type { AccessRequirement } from './access-requirement.js';
import { grantsOf, hasRole } from './token-roles.js';

/** Why access is refused; names no claim value (what the token holds is not the caller's business). */
export type AccessRefusal = 'missing_role' | 'missing_scope' | 'no_roles_in_token';

export interface AccessRequirements {
  roles?: AccessRequirement;
  scopes?: AccessRequirement;
}

function satisfied(requirement: AccessRequirement, has: (value: string) => boolean): boolean {
  return requirement.match === 'all' ? requirement.values.every(has) : requirement.values.some(has);
}

/** Checks an authenticated token's claims against a route's `@Roles()` and `@Scopes()`. */
export function checkAccess(claims: Record<string, unknown>, requirements: AccessRequirements, clientId: string): AccessRefusal | undefined {
  const grants = grantsOf(claims);
  if (requirements.roles !== undefined) {
    if (grants.carriesNoRoles) return 'no_roles_in_token';
    if (!satisfied(requirements.roles, (role) => hasRole(grants, role, clientId))) return 'missing_role';
  }
  if (requirements.scopes !== undefined && !satisfied(requirements.scopes, (scope) => grants.scopes.has(scope))) return 'missing_scope';
  return undefined;
}
