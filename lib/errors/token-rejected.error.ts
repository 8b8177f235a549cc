import { describeAnswer, type ProviderAnswer } from './provider-answer.js';
import { KeycloakLogoutError } from './keycloak-logout.error.js';

/**
 * The OP refused a grant this app presented: an authorization code that was already used, was
 * issued to another client or does not match its PKCE challenge, or a refresh token that is
 * invalid or belongs to another client (400 `invalid_grant`).
 */
export class TokenRejectedError extends KeycloakLogoutError {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_TOKEN_REJECTED';
  readonly reason = 'grant_refused';

  constructor(
    /** What was refused, e.g. "authorization code", "refresh token". */
    readonly subject: string,
    readonly answer: ProviderAnswer,
  ) {
    super(`the OP refused the ${subject} (${describeAnswer(answer)})`);
  }
}
