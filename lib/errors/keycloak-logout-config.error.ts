import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** A module option is missing or wrong. Thrown at bootstrap, before the app serves a request. */
export class KeycloakLogoutConfigError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_CONFIG';
  readonly reason = 'option';

  constructor(
    /** Dotted path of the offending option, e.g. `logoutToken.maxAge`. */
    readonly option: string,
    reason: string,
  ) {
    super(`KeycloakLogoutModule option "${option}" ${reason}`);
  }
}
