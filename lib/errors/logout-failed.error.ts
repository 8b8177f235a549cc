import { KeycloakLogoutAnswerError, type ErrorAnswerOptions } from './keycloak-logout.error.js';

/** A logout request was valid but could not be carried out (e.g. the registry threw). */
export class LogoutFailedError extends KeycloakLogoutAnswerError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_FAILED';

  constructor(reason: string, options?: ErrorAnswerOptions) {
    super(reason, { error: 'server_error', status: 500 }, options);
  }
}
