import { KeycloakLogoutError } from './keycloak-logout.error.js';

/**
 * Something this library depends on cannot be reached right now: the OP's discovery document,
 * its JWKS, or (in distributed mode) the shared revocation log. Requests fail closed with 503.
 */
export class ProviderUnavailableError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_PROVIDER_UNAVAILABLE';
  readonly reason = 'unreachable';
}
