import { KeycloakLogoutError } from './keycloak-logout.error.js';

/**
 * A browser login could not complete: the callback's `state` is missing, unknown or expired,
 * the OP answered with an error, or the ID token's claims do not fit the login that was started.
 */
export class LoginFailedError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED';
  readonly error: string;
  readonly status: number;

  constructor(reason: string, options?: { cause?: unknown; error?: string; status?: number }) {
    super(reason, options);
    this.error = options?.error ?? 'invalid_request';
    this.status = options?.status ?? 400;
  }
}
