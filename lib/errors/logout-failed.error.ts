import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** A logout request was valid but could not be carried out (e.g. the registry threw). */
export class LogoutFailedError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_FAILED';
  readonly error = 'server_error';
  readonly status: number;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status ?? 500;
  }
}
