import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';

/** The JSON error body of every route and guard (RFC 6749 §5.2 shape). */
export interface ErrorBody {
  error: string;
  error_description: string;
}

const logger = new Logger('KeycloakLogout');

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

/** A stable, short reason code for logs and counters: `token_invalid`, `provider_unavailable`, … */
export function reasonOf(exception: unknown): string {
  if (exception instanceof KeycloakLogoutError) return exception.code.replace(/^ERR_KEYCLOAK_LOGOUT_/, '').toLowerCase();
  if (exception instanceof HttpException) return `http_${exception.getStatus()}`;
  return 'internal_error';
}

/** Maps any thrown value to a status and a JSON error body; unknown errors are logged, not leaked. */
export function toErrorResponse(exception: unknown): { status: number; body: ErrorBody } {
  if (exception instanceof KeycloakLogoutError) {
    return { status: exception.status, body: { error: exception.error, error_description: publicDescription(exception) } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'error' in response && 'error_description' in response) {
      return { status, body: response as ErrorBody };
    }
    return { status, body: { error: ERROR_BY_STATUS[status] ?? 'server_error', error_description: exception.message } };
  }
  logger.error(`unexpected error: ${exception instanceof Error ? exception.stack ?? exception.message : String(exception)}`);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'server_error', error_description: 'internal error' },
  };
}

/** The same error answered with another status (OIDC Back-Channel Logout §2.8 wants 400 for every failure). */
export function withStatus(exception: unknown, status: number): HttpException {
  return new HttpException(toErrorResponse(exception).body, status, { cause: exception });
}
