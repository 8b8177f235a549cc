import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RefusalLog, type RefusalChannel } from '../refusals/refusal-log.service.js';
import { reasonOf, toErrorResponse } from './error-response.js';

/** The logout route a request was for, from the last segments of its path. */
function channelOf(url: string | undefined): RefusalChannel {
  const path = (url ?? '').split('?')[0] ?? '';
  if (path.endsWith('/backchannel-logout')) return 'backchannel-logout';
  if (/\/k_(logout|push_not_before|test_available)$/.test(path)) return 'keycloak-admin';
  if (path.endsWith('/frontchannel-logout')) return 'frontchannel-logout';
  if (/\/logout(\/return)?$/.test(path)) return 'rp-logout';
  return 'login';
}

/**
 * Answers every failure on the logout routes with a JSON `{ error, error_description }` and
 * `Cache-Control: no-store`, on Express and Fastify alike, and records it as a refusal.
 */
@Catch()
export class KeycloakLogoutExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly refusals: RefusalLog,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const http = host.switchToHttp();
    const response: unknown = http.getResponse();
    const { status, body } = toErrorResponse(exception);
    // A route may re-answer an error with another status; the reason is the original's.
    const original = exception instanceof HttpException && exception.cause !== undefined ? exception.cause : exception;
    this.refusals.record({
      channel: channelOf(http.getRequest<{ url?: string }>().url),
      reason: reasonOf(original),
      status,
      detail: original instanceof Error ? original.message : body.error_description,
    });
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, body, status);
  }
}
