/** Stable error codes: safe to match on in application code and logs. */
export type KeycloakLogoutErrorCode =
  | 'ERR_KEYCLOAK_LOGOUT_CONFIG'
  | 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID'
  | 'ERR_KEYCLOAK_LOGOUT_TOKEN_REPLAYED'
  | 'ERR_KEYCLOAK_LOGOUT_REQUEST_INVALID'
  | 'ERR_KEYCLOAK_LOGOUT_PROVIDER_UNAVAILABLE'
  | 'ERR_KEYCLOAK_LOGOUT_FAILED'
  | 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED'
  | 'ERR_KEYCLOAK_LOGOUT_CLIENT_AUTHENTICATION'
  | 'ERR_KEYCLOAK_LOGOUT_TOKEN_REJECTED'
  | 'ERR_KEYCLOAK_LOGOUT_PROVIDER_REJECTED';

/**
 * Base class of every error this library throws. An error says what went wrong (`code`, and
 * within it a `reason`) and nothing about how to answer it: the edge that catches it (an HTTP
 * route, a guard, later other execution contexts) maps code and reason to an answer in one
 * table (lib/http/error-answers.ts). Messages never contain a token.
 */
export abstract class KeycloakLogoutError extends Error {
  abstract readonly code: KeycloakLogoutErrorCode;
  /** A stable refinement of `code` (snake_case), e.g. `signature` for a token. */
  abstract readonly reason: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error whose `reason` its raiser chooses from a fixed set (`R`). */
export abstract class KeycloakLogoutReasonedError<R extends string> extends KeycloakLogoutError {
  constructor(
    readonly reason: R,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
