import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** The HTTP request itself is malformed: wrong content, missing parameter, body too large. */
export class RequestInvalidError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_REQUEST_INVALID';
  readonly error = 'invalid_request';
  readonly status: number;

  constructor(reason: string, status = 400) {
    super(reason);
    this.status = status;
  }
}
