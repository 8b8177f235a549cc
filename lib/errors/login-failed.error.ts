import { KeycloakLogoutAnswerError, type ErrorAnswerOptions } from './keycloak-logout.error.js';

/**
 * A browser login could not complete: the callback's `state` is missing, unknown or expired,
 * the OP answered with an error, or the ID token's claims do not fit the login that was started.
 */
export class LoginFailedError extends KeycloakLogoutAnswerError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED';

  constructor(reason: string, options?: ErrorAnswerOptions) {
    super(reason, { error: 'invalid_request', status: 400 }, options);
  }
}
