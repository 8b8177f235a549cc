import { KeycloakLogoutReasonedError } from './keycloak-logout.error.js';

/**
 * - `callback_invalid`: the callback's `state` is missing, unknown, expired or malformed, or
 *   the response names another issuer;
 * - `op_error`: the OP answered the authorization request with an OAuth error (`opError`);
 * - `access_denied`: the OP (or the user) refused the login;
 * - `id_token_invalid`: the ID token's claims do not fit the login that was started;
 * - `op_misbehaved`: the OP's discovery document or token response lacks what login needs;
 * - `misconfigured`: this app is not set up for login (no session middleware, routes off);
 * - `internal`: anything else.
 */
export type LoginFailedReason = 'callback_invalid' | 'op_error' | 'access_denied' | 'id_token_invalid' | 'op_misbehaved' | 'misconfigured' | 'internal';

/** A browser login could not complete. */
export class LoginFailedError extends KeycloakLogoutReasonedError<LoginFailedReason> {
  readonly code = 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED';
  /** With `op_error`: the OAuth error code the OP answered (RFC 6749 §4.1.2.1). */
  readonly opError: string | undefined;

  constructor(reason: LoginFailedReason, message: string, options?: { cause?: unknown; opError?: string }) {
    super(reason, message, options);
    this.opError = options?.opError;
  }
}
