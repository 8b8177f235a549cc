import { describeAnswer, type ProviderAnswer } from './provider-answer.js';
import { KeycloakLogoutError } from './keycloak-logout.error.js';

/**
 * The OP refused a request for another reason than client authentication or the grant itself,
 * e.g. Keycloak's 400 `invalid_request` ("No refresh token") or 403 "HTTPS required".
 */
export class ProviderRejectedError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_PROVIDER_REJECTED';
  readonly reason = 'request_refused';

  constructor(readonly answer: ProviderAnswer) {
    super(`the OP refused the request (${describeAnswer(answer)})`);
  }
}
