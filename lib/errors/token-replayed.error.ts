import { KeycloakLogoutError } from './keycloak-logout.error.js';

/** A logout token whose `jti` was already accepted (OIDC Back-Channel Logout 1.0 §2.6 step 8). */
export class TokenReplayedError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_REPLAYED';
  readonly reason = 'jti_seen';

  constructor() {
    super('logout token was already used (jti replay)');
  }
}
