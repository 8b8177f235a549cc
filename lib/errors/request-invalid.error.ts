import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** `malformed`: wrong content type, missing or repeated parameter; `too_large`: over `maxBodyBytes`. */
export type RequestInvalidReason = 'malformed' | 'too_large';

/** The HTTP request itself is malformed: wrong content, missing parameter, body too large. */
export class RequestInvalidError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_REQUEST_INVALID';

  constructor(
    message: string,
    readonly reason: RequestInvalidReason = 'malformed',
  ) {
    super(message);
  }
}
