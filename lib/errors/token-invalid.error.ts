import { KeycloakLogoutAnswerError, type ErrorAnswerOptions } from './keycloak-logout.error.js';

/** A token (logout token, access token, admin action) failed a validation rule. */
export class TokenInvalidError extends KeycloakLogoutAnswerError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID';

  constructor(reason: string, options?: ErrorAnswerOptions) {
    super(reason, { error: 'invalid_request', status: 400 }, options);
  }
}
