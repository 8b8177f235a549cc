import { describeAnswer, type ProviderAnswer } from './provider-answer.js';
import { KeycloakLogoutError } from './keycloak-logout.error.js';

/**
 * The OP refused this client's authentication: Keycloak answers 401 `unauthorized_client`
 * for a wrong or missing secret and 400 `invalid_client` for a missing `client_id` or a
 * bearer-only client (docs/keycloak-protocol.md §4.2). A configuration problem of this app.
 */
export class ClientAuthenticationError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_CLIENT_AUTHENTICATION';
  readonly reason = 'credentials_refused';

  constructor(readonly answer: ProviderAnswer) {
    super(`the OP refused this client's credentials (${describeAnswer(answer)}); check clientId and clientSecret`);
  }
}
