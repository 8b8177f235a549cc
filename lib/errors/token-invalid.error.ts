import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** A token (logout token, access token, admin action) failed a validation rule. */
export class TokenInvalidError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID';
  readonly error: string;
  readonly status: number;

  constructor(reason: string, options?: { cause?: unknown; error?: string; status?: number }) {
    super(reason, options);
    this.error = options?.error ?? 'invalid_request';
    this.status = options?.status ?? 400;
  }
}
