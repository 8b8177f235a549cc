import { KeycloakLogoutReasonedError } from './keycloak-logout.error.js';

/**
 * - `csrf`: an RP-initiated logout form without the session's CSRF token;
 * - `cross_site`: an RP-initiated logout posted from another site;
 * - `unavailable`: the session registry or the shared revocation log cannot be reached;
 * - `not_recorded`: the logout was valid but could not be recorded;
 * - `op_misbehaved`: the OP's discovery document lacks an endpoint the logout needs;
 * - `misconfigured`: this app lacks an option the logout needs.
 */
export type LogoutFailedReason = 'csrf' | 'cross_site' | 'unavailable' | 'not_recorded' | 'op_misbehaved' | 'misconfigured';

/** A logout request could not be carried out. */
export class LogoutFailedError extends KeycloakLogoutReasonedError<LogoutFailedReason> {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_FAILED';
}
