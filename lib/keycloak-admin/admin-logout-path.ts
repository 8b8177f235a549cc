import type { LogoutPath } from '../telemetry/telemetry-names.js';
import type { AdminAction, AdminActionName } from '../tokens/admin-action.interface.js';

/** Admin URL actions that are logouts (TEST_AVAILABILITY is not one, so it is not measured as one). */
export function measuresAdminAction(action: AdminActionName): boolean {
  return action !== 'TEST_AVAILABILITY';
}

/**
 * The logout path of a verified action: `k_logout` naming sessions, `not_before` for
 * PUSH_NOT_BEFORE and for a LOGOUT without ids ("Sign out all active sessions", which Keycloak
 * sends as a not-before), undefined for a LOGOUT naming nothing.
 */
export function adminLogoutPath(action: AdminAction): LogoutPath | undefined {
  if (action.action === 'PUSH_NOT_BEFORE') return 'not_before';
  if (action.action !== 'LOGOUT') return undefined;
  if (action.adapterSessionIds.length > 0 || action.keycloakSessionIds.length > 0) return 'k_logout';
  return action.notBefore > 0 ? 'not_before' : undefined;
}
