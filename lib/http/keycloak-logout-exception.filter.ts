import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toErrorResponse } from './error-response.js';

/**
 * Answers every failure on the logout routes with a JSON `{ error, error_description }` and
 * `Cache-Control: no-store`, on Express and Fastify alike.
 */
@Catch()
export class KeycloakLogoutExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const { status, body } = toErrorResponse(exception);
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, body, status);
  }
}
