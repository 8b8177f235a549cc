import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { KeycloakLogoutError, type KeycloakLogoutErrorCode } from '../errors/keycloak-logout.error.js';
import { LoginFailedError } from '../errors/login-failed.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';

/** The JSON error body of every route and guard (RFC 6749 §5.2 shape). */
export interface ErrorBody {
  error: string;
  error_description: string;
}

/**
 * Where an error is answered. The same error gets different answers at different edges: a bad
 * token is a 401 in a guard, but a 400 on the back-channel route, where OIDC Back-Channel
 * Logout 1.0 §2.8 allows no other status.
 */
export type ErrorEdge = 'guard' | 'backchannel-route' | 'admin-route' | 'browser-route';

interface AnswerRule {
  code?: KeycloakLogoutErrorCode;
  reasons?: readonly string[];
  edge?: ErrorEdge;
  status: number;
  /** The OAuth error code of the body; a function for codes taken from the error itself. */
  error: string | ((error: KeycloakLogoutError) => string);
}

const TOKEN_INVALID = 'ERR_KEYCLOAK_LOGOUT_TOKEN_INVALID';

/** Every library error's answer, per edge. The first matching row wins: specific rows first. */
const ANSWERS: readonly AnswerRule[] = [
  // Back-Channel Logout §2.8: every failure is a 400; the body still says what kind.
  { edge: 'backchannel-route', code: 'ERR_KEYCLOAK_LOGOUT_PROVIDER_UNAVAILABLE', status: 400, error: 'temporarily_unavailable' },
  { edge: 'backchannel-route', code: 'ERR_KEYCLOAK_LOGOUT_FAILED', status: 400, error: 'server_error' },
  { edge: 'backchannel-route', status: 400, error: 'invalid_request' },
  // RFC 6750 §3.1: a bearer token that is not valid is `invalid_token`, 401.
  { edge: 'guard', code: TOKEN_INVALID, status: 401, error: 'invalid_token' },
  // An admin action whose signature does not hold is not Keycloak's: 401, like keycloak-connect.
  { edge: 'admin-route', code: TOKEN_INVALID, reasons: ['signature'], status: 401, error: 'invalid_token' },
  // On the browser routes the only token is the login's ID token.
  { edge: 'browser-route', code: TOKEN_INVALID, status: 401, error: 'invalid_token' },
  { code: TOKEN_INVALID, status: 400, error: 'invalid_request' },
  { code: 'ERR_KEYCLOAK_LOGOUT_TOKEN_REPLAYED', status: 400, error: 'invalid_request' },
  { code: 'ERR_KEYCLOAK_LOGOUT_REQUEST_INVALID', reasons: ['too_large'], status: 413, error: 'invalid_request' },
  { code: 'ERR_KEYCLOAK_LOGOUT_REQUEST_INVALID', status: 400, error: 'invalid_request' },
  { code: 'ERR_KEYCLOAK_LOGOUT_PROVIDER_UNAVAILABLE', status: 503, error: 'temporarily_unavailable' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', reasons: ['callback_invalid'], status: 400, error: 'invalid_request' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', reasons: ['op_error'], status: 400, error: (e) => (e instanceof LoginFailedError && e.opError) || 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', reasons: ['access_denied'], status: 403, error: 'access_denied' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', reasons: ['id_token_invalid'], status: 401, error: 'invalid_token' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', reasons: ['op_misbehaved'], status: 502, error: 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_LOGIN_FAILED', status: 500, error: 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_FAILED', reasons: ['csrf', 'cross_site'], status: 403, error: 'access_denied' },
  { code: 'ERR_KEYCLOAK_LOGOUT_FAILED', reasons: ['unavailable'], status: 503, error: 'temporarily_unavailable' },
  { code: 'ERR_KEYCLOAK_LOGOUT_FAILED', reasons: ['op_misbehaved'], status: 502, error: 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_FAILED', status: 500, error: 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_TOKEN_REJECTED', status: 400, error: 'invalid_grant' },
  { code: 'ERR_KEYCLOAK_LOGOUT_PROVIDER_REJECTED', status: 502, error: 'server_error' },
  { code: 'ERR_KEYCLOAK_LOGOUT_CLIENT_AUTHENTICATION', status: 500, error: 'server_error' },
  { status: 500, error: 'server_error' },
];

/** OAuth error codes for Nest's own HTTP exceptions (a 404, a body parser's 413). */
const ERROR_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'access_denied',
  404: 'not_found',
  405: 'invalid_request',
  413: 'invalid_request',
  415: 'invalid_request',
  503: 'temporarily_unavailable',
};

const logger = new Logger('KeycloakLogout');

function matches(rule: AnswerRule, error: KeycloakLogoutError, edge: ErrorEdge): boolean {
  return (rule.edge === undefined || rule.edge === edge)
    && (rule.code === undefined || rule.code === error.code)
    && (rule.reasons === undefined || rule.reasons.includes(error.reason));
}

/**
 * What an unauthenticated caller may read of an error. An unreachable OP or Redis is described
 * without its URL or host (internal addresses stay in the server's log).
 */
function publicDescription(error: KeycloakLogoutError): string {
  if (error instanceof ProviderUnavailableError) {
    return 'a service this app depends on (the identity provider or the shared revocation log) cannot be reached right now; try again later';
  }
  return error.message;
}

/** The status and JSON body a library error gets at `edge`. */
export function answerFor(error: KeycloakLogoutError, edge: ErrorEdge): { status: number; body: ErrorBody } {
  const rule = ANSWERS.find((candidate) => matches(candidate, error, edge)) as AnswerRule;
  const code = typeof rule.error === 'function' ? rule.error(error) : rule.error;
  return { status: rule.status, body: { error: code, error_description: publicDescription(error) } };
}

/** Any thrown value as a status and a JSON error body; unknown errors are logged, not leaked. */
export function toErrorResponse(exception: unknown, edge: ErrorEdge): { status: number; body: ErrorBody } {
  if (exception instanceof KeycloakLogoutError) return answerFor(exception, edge);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'error' in response && 'error_description' in response) {
      return { status, body: response as ErrorBody };
    }
    return { status, body: { error: ERROR_BY_STATUS[status] ?? 'server_error', error_description: exception.message } };
  }
  logger.error(`unexpected error: ${exception instanceof Error ? exception.stack ?? exception.message : String(exception)}`);
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { error: 'server_error', error_description: 'internal error' } };
}

/** A stable, short reason code for logs and counters: `token_invalid`, `provider_unavailable`, … */
export function reasonOf(exception: unknown): string {
  // Its own reason code, so that tokens from an issuer nobody configured stand out in the log.
  if (exception instanceof KeycloakLogoutError && exception.reason === 'unknown_issuer') return 'unknown_issuer';
  if (exception instanceof KeycloakLogoutError) return exception.code.replace(/^ERR_KEYCLOAK_LOGOUT_/, '').toLowerCase();
  if (exception instanceof HttpException) return `http_${exception.getStatus()}`;
  return 'internal_error';
}

/**
 * A guard's answer outside HTTP (GraphQL, WebSocket, RPC), derived from its HTTP answer so that
 * every context refuses for the same reasons: `code` is the GraphQL `extensions.code` (Apollo's
 * names, used by Mercurius apps too) and the `code` of WebSocket and RPC error payloads;
 * `closeCode` closes a WebSocket refused at its handshake (4401 and 4403 are graphql-ws's
 * Unauthorized and Forbidden; 1013 is "Try Again Later" and 1011 "Internal Error" in the IANA
 * WebSocket close code registry, RFC 6455 §7.4).
 */
export interface ContextAnswer {
  code: string;
  closeCode: number;
  status: number;
  error: string;
  message: string;
}

const CONTEXT_CODES: Record<number, { code: string; closeCode: number }> = {
  401: { code: 'UNAUTHENTICATED', closeCode: 4401 },
  403: { code: 'FORBIDDEN', closeCode: 4403 },
  503: { code: 'SERVICE_UNAVAILABLE', closeCode: 1013 },
};

export function contextAnswerFor(status: number, body: ErrorBody): ContextAnswer {
  const { code, closeCode } = CONTEXT_CODES[status] ?? { code: 'INTERNAL_SERVER_ERROR', closeCode: 1011 };
  return { code, closeCode, status, error: body.error, message: body.error_description };
}
