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
 * Base class of every error this library throws. `error` is the OAuth-style error code that
 * the HTTP edge puts in the JSON body; `status` is the HTTP status the edge answers with.
 * Messages never contain a token.
 */
export abstract class KeycloakLogoutError extends Error {
  abstract readonly code: KeycloakLogoutErrorCode;
  abstract readonly error: string;
  abstract readonly status: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where an error is raised decides its answer: a guard says 401 where a logout route says 400. */
export interface ErrorAnswerOptions {
  cause?: unknown;
  /** OAuth-style error code for the JSON body. */
  error?: string;
  /** HTTP status. */
  status?: number;
}

/** Base of the errors whose `error` code and `status` have defaults the raiser may override. */
export abstract class KeycloakLogoutAnswerError extends KeycloakLogoutError {
  readonly error: string;
  readonly status: number;

  protected constructor(message: string, defaults: { error: string; status: number }, options?: ErrorAnswerOptions) {
    super(message, options);
    this.error = options?.error ?? defaults.error;
    this.status = options?.status ?? defaults.status;
  }
}
